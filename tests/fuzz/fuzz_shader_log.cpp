// libFuzzer harness for the GLSL compiler-log parser (gpu::parseShaderLog, Mesa / NVIDIA / AMD
// dialects). Checks every diagnostic's location, severity and trimming, and the formatter.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "gpu/shader_log.hpp"

using namespace qviz::gpu;

namespace {
bool trimmed(const std::string& s) {
  return s.empty() || (!std::isspace(static_cast<unsigned char>(s.front())) &&
                       !std::isspace(static_cast<unsigned char>(s.back())));
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view log(reinterpret_cast<const char*>(data), size);
  const std::vector<std::string> files = {"shaders/top.comp", "shaders/common/quant.glsl", "shaders/user/q.glsl"};
  const auto ds = parseShaderLog(log, files);

  std::size_t lines = 1;
  for (char c : log) lines += c == '\n';
  FUZZ_CHECK(ds.size() <= lines);
  for (const ShaderDiagnostic& d : ds) {
    FUZZ_CHECK(d.line >= 0 && d.column >= 0 && d.sourceIndex >= -1);
    FUZZ_CHECK(d.severity == "error" || d.severity == "warning" || d.severity == "note");
    FUZZ_CHECK(trimmed(d.message));
    FUZZ_CHECK(d.message.size() <= size);
    if (d.sourceIndex < 0) {
      FUZZ_CHECK(d.file.empty() && d.line == 0 && d.column == 0);
    } else {
      FUZZ_CHECK(d.line < kIncludeLineStride);  // include offsets are decoded into the index
      if (std::size_t(d.sourceIndex) < files.size()) FUZZ_CHECK(d.file == files[std::size_t(d.sourceIndex)]);
      else FUZZ_CHECK(d.file == "<string " + std::to_string(d.sourceIndex) + ">");
    }
    FUZZ_CHECK(formatDiagnostic(d).find(d.message) != std::string::npos);
  }
  const std::string all = formatDiagnostics(ds);
  std::size_t n = 0;
  for (char c : all) n += c == '\n';
  FUZZ_CHECK(n >= ds.size());
  return 0;
}
