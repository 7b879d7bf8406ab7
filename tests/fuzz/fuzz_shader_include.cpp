// libFuzzer harness for `#include` expansion (gpu::expandIncludes). The input is a set of in-memory
// files, each chunk "PATH\nTEXT" separated by a 0x00 byte (the first chunk is the top file), so
// cycles, diamonds, missing files, bad directives and long lines all come from the fuzzer.
// Checks the file table, the error locations, every emitted #line and a bound on the output size.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "gpu/shader_source.hpp"

using namespace qviz::gpu;

namespace {
std::size_t lineCount(const std::string& s) {
  std::size_t n = 0;
  for (char c : s) n += c == '\n';
  return n + 1;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  std::map<std::string, std::string> files;
  std::string top;
  for (std::size_t pos = 0; pos <= in.size() && files.size() < 16;) {
    std::size_t end = in.find('\0', pos);
    if (end == std::string_view::npos) end = in.size();
    const std::string_view chunk = in.substr(pos, end - pos);
    pos = end + 1;
    const std::size_t nl = chunk.find('\n');
    std::string path(chunk.substr(0, nl));
    std::string text(nl == std::string_view::npos ? std::string_view() : chunk.substr(nl + 1));
    if (top.empty()) top = path.empty() ? "top.comp" : path;
    files.emplace(path.empty() && files.empty() ? top : path, std::move(text));
  }
  // The prelude is chosen by the input too (none, or a define).
  const std::string prelude = size % 3 == 0 ? "" : size % 3 == 1 ? "#define FUZZ 1\n" : "#define FUZZ 2";

  std::size_t reads = 0;
  std::set<std::string> served;
  const SourceReader reader = [&](const std::string& path) -> std::optional<std::string> {
    ++reads;
    auto it = files.find(path);
    if (it == files.end()) return std::nullopt;
    served.insert(path);
    return it->second;
  };
  const ExpandedSource out = expandIncludes(top, "lib", reader, prelude);

  FUZZ_CHECK(!out.files.empty() && out.files.front() == top);
  FUZZ_CHECK(out.ok() == out.errors.empty());
  const std::set<std::string> unique(out.files.begin(), out.files.end());
  FUZZ_CHECK(unique.size() == out.files.size());  // each file at most once
  std::size_t budget = prelude.size() + 64;
  for (std::size_t i = 0; i < out.files.size(); ++i) {
    const std::string& f = out.files[i];
    if (!files.count(f)) {
      FUZZ_CHECK(i == 0 && out.text.empty());  // only an unreadable top file is listed unread
      continue;
    }
    FUZZ_CHECK(served.count(f));
    // Each source line costs at most itself, a newline and a #line directive after it.
    budget += files[f].size() + lineCount(files[f]) * 40 + 40;
  }
  FUZZ_CHECK(out.text.size() <= budget);
  for (const ShaderDiagnostic& e : out.errors) {
    FUZZ_CHECK(e.severity == "error");
    FUZZ_CHECK(e.sourceIndex >= 0 && std::size_t(e.sourceIndex) < out.files.size());
    FUZZ_CHECK(e.file == out.files[std::size_t(e.sourceIndex)]);
    FUZZ_CHECK(e.line >= 0);
    auto it = files.find(e.file);
    if (it != files.end()) FUZZ_CHECK(std::size_t(e.line) <= lineCount(it->second));
  }
  // With no #line of the user's own, every #line names a file in the table and one of its lines
  // (offset by the file index, see kIncludeLineStride).
  bool userLine = false;
  for (const auto& [path, text] : files) userLine = userLine || text.find("#line") != std::string::npos;
  for (std::size_t pos = 0; !userLine && (pos = out.text.find("#line ", pos)) != std::string::npos;) {
    FUZZ_CHECK(pos == 0 || out.text[pos - 1] == '\n');
    pos += 6;
    const std::size_t eol = out.text.find('\n', pos);
    FUZZ_CHECK(eol != std::string::npos);
    const std::string directive = out.text.substr(pos, eol - pos);
    const std::size_t sp = directive.find(' ');
    FUZZ_CHECK(sp != std::string::npos && sp <= 10 && directive.size() - sp - 1 <= 10 &&
               directive.find_first_not_of("0123456789 ") == std::string::npos);
    const long long line = std::stoll(directive.substr(0, sp)), index = std::stoll(directive.substr(sp + 1));
    FUZZ_CHECK(index >= 0 && std::size_t(index) < out.files.size());
    const long long local = line - index * kIncludeLineStride;
    FUZZ_CHECK(local >= 1 && std::size_t(local) <= lineCount(files[out.files[std::size_t(index)]]) + 1);
  }
  FUZZ_CHECK(reads <= 2 * size + 3);  // two lookups per #include at most
  return 0;
}
