// Controls for workshop shaders from annotations on uniform lines, e.g.
//   uniform float u_gamma;  // @slider 0.2 4.0 1.0     (min max default)
//   uniform int u_steps;    // @slider 1 16 4
//   uniform bool u_dither;  // @toggle                  (optionally `@toggle on`)
// Pure text parsing (no GL, no files), so it is unit-tested and fuzzed on its own. Malformed
// annotations become warnings located at their line; they never stop a shader from building.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "gpu/shader_log.hpp"

namespace qviz::gpu {

struct UniformControl {
  enum class Kind : unsigned char { Slider, Toggle };
  Kind kind = Kind::Slider;
  std::string name;  // the uniform, e.g. "u_gamma"
  std::string type;  // "float", "int", "uint" or "bool"
  double min = 0, max = 1;
  double value = 0;  // the default: within [min, max]; toggles 0 or 1; whole numbers for int/uint
  int line = 0;      // 1-based line of the declaration
  bool operator==(const UniformControl&) const = default;
};

struct AnnotationSet {
  std::vector<UniformControl> controls;     // in file order, one per uniform name
  std::vector<ShaderDiagnostic> problems;   // severity "warning", file and line set
};

// Scans `source` (one file; `file` names it in diagnostics). Only annotations in a `//` comment on
// the same line as a single `uniform <type> <name>;` declaration count. Sliders need a float, int
// or uint uniform and three numbers min < max with min <= default <= max; toggles need a bool (or
// int) uniform. Anything else annotated gets a warning and no control.
AnnotationSet parseAnnotations(std::string_view source, const std::string& file);

}  // namespace qviz::gpu
