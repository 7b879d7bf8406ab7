// Hand-written scanners (no std::regex) for the three compiler log dialects; see shader_log.hpp.
#include "gpu/shader_log.hpp"

#include <cctype>
#include <optional>

namespace qviz::gpu {
namespace {

struct Cursor {
  std::string_view s;
  std::size_t i = 0;
  bool eat(std::string_view t) {
    if (s.substr(i, t.size()) != t) return false;
    i += t.size();
    return true;
  }
  void spaces() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  }
  std::optional<int> number() {
    const std::size_t b = i;
    long v = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && i - b < 9) v = v * 10 + (s[i++] - '0');
    if (i == b || (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))) return std::nullopt;
    return int(v);
  }
  std::string_view rest() const { return s.substr(i); }
};

std::string trim(std::string_view t) {
  std::size_t b = 0, e = t.size();
  while (b < e && std::isspace(static_cast<unsigned char>(t[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(t[e - 1]))) --e;
  return std::string(t.substr(b, e - b));
}

std::string lower(std::string_view t) {
  std::string out(t);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "preprocessor error" -> error, "WARNING" -> warning.
std::string normaliseSeverity(std::string_view word) {
  const std::string w = lower(word);
  if (w.find("error") != std::string::npos) return "error";
  if (w.find("warning") != std::string::npos) return "warning";
  return "note";
}

void locate(ShaderDiagnostic& d, int source, int line, const std::vector<std::string>& files) {
  if (line >= kIncludeLineStride) {
    source = line / kIncludeLineStride;
    line %= kIncludeLineStride;
  }
  d.sourceIndex = source;
  d.line = line;
  d.file = source >= 0 && std::size_t(source) < files.size() ? files[std::size_t(source)]
                                                             : "<string " + std::to_string(source) + ">";
}

// Mesa: "0:12(3): error: message" (also "preprocessor error", "warning").
std::optional<ShaderDiagnostic> parseMesa(std::string_view line, const std::vector<std::string>& files) {
  Cursor c{line};
  auto src = c.number();
  if (!src || !c.eat(":")) return std::nullopt;
  auto ln = c.number();
  if (!ln || !c.eat("(")) return std::nullopt;
  auto col = c.number();
  if (!col || !c.eat("):")) return std::nullopt;
  c.spaces();
  const std::string_view rest = c.rest();
  const std::size_t colon = rest.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  ShaderDiagnostic d;
  locate(d, *src, *ln, files);
  d.column = *col;
  d.severity = normaliseSeverity(rest.substr(0, colon));
  d.message = trim(rest.substr(colon + 1));
  return d;
}

// NVIDIA: "0(12) : error C0000: message" (the code is optional in some driver versions).
std::optional<ShaderDiagnostic> parseNvidia(std::string_view line, const std::vector<std::string>& files) {
  Cursor c{line};
  auto src = c.number();
  if (!src || !c.eat("(")) return std::nullopt;
  auto ln = c.number();
  if (!ln || !c.eat(")")) return std::nullopt;
  c.spaces();
  if (!c.eat(":")) return std::nullopt;
  c.spaces();
  const std::string_view rest = c.rest();
  const std::size_t colon = rest.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view head = rest.substr(0, colon);  // "error C0000"
  const std::size_t sp = head.find(' ');
  ShaderDiagnostic d;
  locate(d, *src, *ln, files);
  d.severity = normaliseSeverity(sp == std::string_view::npos ? head : head.substr(0, sp));
  d.message = trim(rest.substr(colon + 1));
  return d;
}

// AMD / Apple / Intel on Windows: "ERROR: 0:12: message", "WARNING: 0:3: message"; also the
// unlocated summary "ERROR: 2 compilation errors.  No code generated."
std::optional<ShaderDiagnostic> parseAmd(std::string_view line, const std::vector<std::string>& files) {
  Cursor c{line};
  std::string severity;
  if (c.eat("ERROR:")) severity = "error";
  else if (c.eat("WARNING:")) severity = "warning";
  else return std::nullopt;
  c.spaces();
  const std::size_t mark = c.i;
  ShaderDiagnostic d;
  d.severity = severity;
  auto src = c.number();
  if (src && c.eat(":")) {
    if (auto ln = c.number(); ln && c.eat(":")) {
      locate(d, *src, *ln, files);
      d.message = trim(c.rest());
      return d;
    }
  }
  c.i = mark;
  d.message = trim(c.rest());
  return d;
}

}  // namespace

std::vector<ShaderDiagnostic> parseShaderLog(std::string_view log, const std::vector<std::string>& files) {
  std::vector<ShaderDiagnostic> out;
  std::size_t pos = 0;
  while (pos <= log.size()) {
    std::size_t end = log.find('\n', pos);
    if (end == std::string_view::npos) end = log.size();
    std::string_view line = log.substr(pos, end - pos);
    pos = end + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == '\0')) line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty()) continue;
    if (auto m = parseMesa(line, files)) out.push_back(std::move(*m));
    else if (auto n = parseNvidia(line, files)) out.push_back(std::move(*n));
    else if (auto a = parseAmd(line, files)) out.push_back(std::move(*a));
    else {
      ShaderDiagnostic d;
      const std::string text = trim(line);
      const std::size_t colon = text.find(':');
      const std::string first = lower(text.substr(0, colon == std::string::npos ? 0 : colon));
      if (first == "error" || first == "warning") {
        d.severity = first;
        d.message = trim(std::string_view(text).substr(colon + 1));
      } else {
        d.severity = "note";
        d.message = text;
      }
      out.push_back(std::move(d));
    }
  }
  return out;
}

std::string formatDiagnostic(const ShaderDiagnostic& d) {
  std::string s;
  if (!d.file.empty()) {
    s += d.file;
    if (d.line > 0) s += ":" + std::to_string(d.line);
    s += ": ";
  }
  return s + d.severity + ": " + d.message;
}

std::string formatDiagnostics(const std::vector<ShaderDiagnostic>& ds) {
  std::string s;
  for (const auto& d : ds) s += formatDiagnostic(d) + "\n";
  return s;
}

}  // namespace qviz::gpu
