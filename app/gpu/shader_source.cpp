// #include expansion with #line bookkeeping; see shader_source.hpp.
#include "gpu/shader_source.hpp"

#include <filesystem>

namespace qviz::gpu {
namespace {

struct Expander {
  const std::string& rootDir;
  const SourceReader& read;
  const std::string& prelude;
  const IncludeMap& includeAs;
  const IncludeGuard& inside;
  ExpandedSource out;
  bool lastOutside = false;  // the last resolve() found nothing inside but looked outside

  static std::string_view trimLeft(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    return s;
  }
  // `# include "name"` (spaces allowed after '#'); returns the quoted name.
  static std::optional<std::string> includeName(std::string_view line, bool& malformed) {
    malformed = false;
    line = trimLeft(line);
    if (line.empty() || line.front() != '#') return std::nullopt;
    line = trimLeft(line.substr(1));
    if (line.substr(0, 7) != "include") return std::nullopt;
    line = trimLeft(line.substr(7));
    if (line.size() < 2 || line.front() != '"') return malformed = true, std::nullopt;
    const std::size_t close = line.find('"', 1);
    if (close == std::string_view::npos || close == 1) return malformed = true, std::nullopt;
    return std::string(line.substr(1, close - 1));
  }
  static bool isVersion(std::string_view line) {
    line = trimLeft(line);
    if (line.empty() || line.front() != '#') return false;
    return trimLeft(line.substr(1)).substr(0, 7) == "version";
  }

  void error(int fileIndex, int line, std::string message) {
    ShaderDiagnostic d;
    d.sourceIndex = fileIndex;
    d.file = out.files[std::size_t(fileIndex)];
    d.line = line;
    d.severity = "error";
    d.message = std::move(message);
    out.errors.push_back(std::move(d));
  }

  std::optional<std::string> resolve(const std::string& from, const std::string& name, std::string& text) {
    namespace fs = std::filesystem;
    if (auto it = includeAs.find(name); it != includeAs.end()) {
      const std::string path = fs::path(it->second).lexically_normal().string();
      if (auto t = read(path)) {
        text = std::move(*t);
        return path;
      }
      return std::nullopt;
    }
    const fs::path local = fs::path(from).parent_path() / name;
    const fs::path rooted = fs::path(rootDir) / name;
    for (const fs::path& p : {local, rooted}) {
      const std::string path = p.lexically_normal().string();
      if (inside && !inside(path)) {
        lastOutside = true;
        continue;
      }
      if (auto t = read(path)) {
        text = std::move(*t);
        return path;
      }
    }
    return std::nullopt;
  }

  void emit(const std::string& path, const std::string& text, int depth) {
    const int index = int(out.files.size());
    out.files.push_back(path);
    const bool top = index == 0;
    // Line numbers carry the file index too (see kIncludeLineStride): Mesa drops the source number.
    const int base = index * kIncludeLineStride;
    if (!top) out.text += "#line " + std::to_string(base + 1) + " " + std::to_string(index) + "\n";
    bool versionSeen = false;
    std::size_t pos = 0;
    int lineNo = 0;
    while (pos < text.size()) {
      std::size_t end = text.find('\n', pos);
      if (end == std::string::npos) end = text.size();
      const std::string_view line(text.data() + pos, end - pos);
      pos = end + 1;
      ++lineNo;
      bool malformed = false;
      if (isVersion(line)) {
        if (!top || versionSeen) {
          error(index, lineNo, "#version belongs only at the start of the top-level shader file");
          out.text += "\n";
          continue;
        }
        versionSeen = true;
        out.text += std::string(line) + "\n" + prelude;
        if (!prelude.empty() && prelude.back() != '\n') out.text += "\n";
        out.text += "#line " + std::to_string(base + lineNo + 1) + " " + std::to_string(index) + "\n";
        continue;
      }
      if (auto name = includeName(line, malformed)) {
        std::string body;
        lastOutside = false;
        const auto resolved = resolve(path, *name, body);
        if (!resolved) {
          error(index, lineNo, lastOutside ? std::string("include outside the shader folder")
                                           : "cannot open included file \"" + *name + "\"");
          out.text += "\n";
          continue;
        }
        bool seen = false;
        for (const auto& f : out.files) seen = seen || f == *resolved;
        if (seen) {
          out.text += "\n";  // already included: keep the line count
          continue;
        }
        if (depth >= 32) {
          error(index, lineNo, "#include nested more than 32 deep");
          out.text += "\n";
          continue;
        }
        emit(*resolved, body, depth + 1);
        out.text += "#line " + std::to_string(base + lineNo + 1) + " " + std::to_string(index) + "\n";
        continue;
      }
      if (malformed) {
        error(index, lineNo, "malformed #include (expected #include \"file\")");
        out.text += "\n";
        continue;
      }
      out.text.append(line.data(), line.size());
      out.text += "\n";
    }
    if (top && !versionSeen) error(index, 1, "the shader has no #version line");
  }
};

}  // namespace

ExpandedSource expandIncludes(const std::string& topPath, const std::string& rootDir, const SourceReader& read,
                              const std::string& prelude, const IncludeMap& includeAs, const IncludeGuard& inside) {
  Expander e{rootDir, read, prelude, includeAs, inside, {}};
  auto text = read(topPath);
  if (!text) {
    e.out.files.push_back(topPath);
    e.error(0, 0, "cannot read the shader file");
    return std::move(e.out);
  }
  e.emit(topPath, *text, 0);
  return std::move(e.out);
}

}  // namespace qviz::gpu
