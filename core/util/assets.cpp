// Sample image lookup (see assets.hpp).
#include "util/assets.hpp"

#include <filesystem>
#include <system_error>

#ifndef QVIZ_SOURCE_DIR
#define QVIZ_SOURCE_DIR "."
#endif

namespace qviz::core {

std::string assetImagePath(const std::string& name) {
  namespace fs = std::filesystem;
  for (const char* dir : {QVIZ_SOURCE_DIR "/assets/images", "assets/images", "/usr/share/qviz/images"}) {
    const fs::path p = fs::path(dir) / name;
    std::error_code ec;
    if (fs::exists(p, ec)) return p.string();
  }
  return (fs::path("assets/images") / name).string();
}

}  // namespace qviz::core
