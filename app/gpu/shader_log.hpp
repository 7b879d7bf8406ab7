// Pure parsing of GLSL compiler and linker logs into {file, line, message} for the three log
// dialects in the wild: Mesa `0:12(3): error: ...`, NVIDIA `0(12) : error C0000: ...` and AMD /
// Apple / Intel-Windows `ERROR: 0:12: ...`. No GL here, so it is unit-tested without a context.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace qviz::gpu {

// Included files get line numbers offset by index * kIncludeLineStride in their #line directives
// (`#line 100001 1` starts file 1), because Mesa drops the source-string number of #line from many
// of its messages while always keeping the line. parseShaderLog decodes both forms.
inline constexpr int kIncludeLineStride = 100000;

struct ShaderDiagnostic {
  std::string file;      // path of the source string (from the #line table); empty when unknown
  int sourceIndex = -1;  // the GLSL source-string number in the log; -1 for unlocated messages
  int line = 0;          // 1-based; 0 when the log gives none
  int column = 0;        // Mesa only; 0 when unknown
  std::string severity;  // "error" or "warning" (or "note" for anything else)
  std::string message;   // the text after the severity, trimmed
};

// Parses every line of `log`. `files[i]` is the path of source string i; a line number of
// kIncludeLineStride or more names file line / stride (the source number is then ignored); an index
// outside the table keeps its number and gets file "<string N>". Lines in none of the dialects that still carry text
// become unlocated diagnostics (severity from the first word when it is error/warning).
std::vector<ShaderDiagnostic> parseShaderLog(std::string_view log, const std::vector<std::string>& files);

// "shaders/x.comp:12: error: message" (file:line omitted when unknown).
std::string formatDiagnostic(const ShaderDiagnostic& d);
// One diagnostic per line; errors first is not implied, the log's order is kept.
std::string formatDiagnostics(const std::vector<ShaderDiagnostic>& ds);

}  // namespace qviz::gpu
