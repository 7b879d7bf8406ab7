// Pure GLSL source assembly: `#include "file"` expansion with `#line` directives, so compiler
// errors name the user's file and line. GLSL's `#line L S` takes a source-string number S, so the
// result carries the table S -> file path used to map logs back (and, because Mesa drops S from
// many messages, included files' line numbers are offset by S * kIncludeLineStride). No GL and no file system here:
// files come through a callback (the ShaderLibrary reads them; tests pass a map).
#pragma once
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gpu/shader_log.hpp"

namespace qviz::gpu {

struct ExpandedSource {
  std::string text;                         // one string for glShaderSource
  std::vector<std::string> files;           // source-string number -> path (0 is the top file)
  std::vector<ShaderDiagnostic> errors;     // include problems, located at the #include line
  bool ok() const { return errors.empty(); }
};

// Returns the file's text, or nullopt when it cannot be read.
using SourceReader = std::function<std::optional<std::string>(const std::string& path)>;

// Expands `topPath`. An include is looked up next to the including file, then under `rootDir`.
// Each file is included at most once per program (as with #pragma once), so diamonds are fine and
// cycles end. `#version` must be the first directive of the top file and appear nowhere else;
// `prelude` (e.g. "#define SAMPLE_BITS 16\n") goes right after it, followed by a #line that
// restores the numbering. `includeAs` maps an include name to the file that stands in for it
// (e.g. "user/quantizer.glsl" -> an exercise file), looked up before the usual places.
// `inside`, when given, is asked about every place an #include is looked up (not the top file, not
// includeAs files: those were named by the user): false there means "outside the shader folder",
// and an include found only outside is the error "include outside the shader folder".
using IncludeMap = std::map<std::string, std::string>;
using IncludeGuard = std::function<bool(const std::string& path)>;
ExpandedSource expandIncludes(const std::string& topPath, const std::string& rootDir, const SourceReader& read,
                              const std::string& prelude = {}, const IncludeMap& includeAs = {},
                              const IncludeGuard& inside = {});

}  // namespace qviz::gpu
