// libFuzzer harness for the uniform annotation parser (gpu::parseAnnotations: `// @slider min max
// default`, `// @toggle [on]` on uniform lines). Checks each control against the header's contract
// (types, min < max, default in range, whole numbers for integers, unique names, file order, the
// line it names really declares it) and that every problem is a located warning.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "gpu/shader_annotations.hpp"

using namespace qviz::gpu;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view source(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> lines;
  for (std::size_t pos = 0;;) {
    const std::size_t nl = source.find('\n', pos);
    lines.push_back(source.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }

  const std::string file = "shaders/user/fuzz.glsl";
  const AnnotationSet set = parseAnnotations(source, file);

  std::set<std::string> names;
  int lastLine = 0;
  for (const UniformControl& c : set.controls) {
    FUZZ_CHECK(names.insert(c.name).second);  // one control per uniform name
    FUZZ_CHECK(!c.name.empty());
    FUZZ_CHECK(c.line >= 1 && std::size_t(c.line) <= lines.size());
    FUZZ_CHECK(c.line > lastLine);  // file order, one declaration per line
    lastLine = c.line;
    const std::string_view text = lines[std::size_t(c.line - 1)];
    FUZZ_CHECK(text.find("uniform") != std::string_view::npos);
    FUZZ_CHECK(text.find(c.name) != std::string_view::npos);
    FUZZ_CHECK(text.find(c.type) != std::string_view::npos);
    FUZZ_CHECK(text.find('@') != std::string_view::npos);
    FUZZ_CHECK(std::isfinite(c.min) && std::isfinite(c.max) && std::isfinite(c.value));
    const bool integer = c.type == "int" || c.type == "uint";
    if (c.kind == UniformControl::Kind::Slider) {
      FUZZ_CHECK(c.type == "float" || integer);
      FUZZ_CHECK(c.min < c.max);
      FUZZ_CHECK(c.min <= c.value && c.value <= c.max);
      if (integer) FUZZ_CHECK(c.value == std::floor(c.value));
      if (c.type == "uint") FUZZ_CHECK(c.value >= 0);
    } else {
      FUZZ_CHECK(c.type == "bool" || c.type == "int");
      FUZZ_CHECK(c.value == 0 || c.value == 1);
    }
  }
  for (const ShaderDiagnostic& p : set.problems) {
    FUZZ_CHECK(p.severity == "warning");
    FUZZ_CHECK(p.file == file);
    FUZZ_CHECK(p.line >= 1 && std::size_t(p.line) <= lines.size());
    FUZZ_CHECK(!p.message.empty());
  }
  // At most one control or one problem per line.
  FUZZ_CHECK(set.controls.size() + set.problems.size() <= lines.size());
  return 0;
}
