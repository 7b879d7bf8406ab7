// Pure tests (no GL): compile-log parsing for Mesa, NVIDIA and AMD, and #include/#line expansion.
#include <catch2/catch.hpp>
#include <map>

#include "gpu/shader_log.hpp"
#include "gpu/shader_source.hpp"

using namespace qviz::gpu;

namespace {
const std::vector<std::string> kFiles = {"shaders/main.comp", "shaders/common/quant.glsl", "shaders/common/x.glsl"};

SourceReader mapReader(const std::map<std::string, std::string>& files) {
  return [files](const std::string& path) -> std::optional<std::string> {
    auto it = files.find(path);
    if (it == files.end()) return std::nullopt;
    return it->second;
  };
}
}  // namespace

TEST_CASE("Mesa logs: source:line(column): severity: message") {
  const auto d = parseShaderLog("0:12(3): error: `foo' undeclared\n"
                                "1:4(10): warning: unused variable `t'\n"
                                "2:9(1): preprocessor error: Unterminated comment\n",
                                kFiles);
  REQUIRE(d.size() == 3);
  CHECK(d[0].file == "shaders/main.comp");
  CHECK(d[0].sourceIndex == 0);
  CHECK(d[0].line == 12);
  CHECK(d[0].column == 3);
  CHECK(d[0].severity == "error");
  CHECK(d[0].message == "`foo' undeclared");
  CHECK(d[1].file == "shaders/common/quant.glsl");
  CHECK(d[1].severity == "warning");
  CHECK(d[2].severity == "error");
  CHECK(d[2].message == "Unterminated comment");
  CHECK(formatDiagnostic(d[0]) == "shaders/main.comp:12: error: `foo' undeclared");
}

TEST_CASE("NVIDIA logs: source(line) : severity Cnnnn: message") {
  const auto d = parseShaderLog("1(27) : error C1008: undefined variable \"x\"\r\n"
                                "0(3) : warning C7050: \"v\" might be used before being initialized\n",
                                kFiles);
  REQUIRE(d.size() == 2);
  CHECK(d[0].file == "shaders/common/quant.glsl");
  CHECK(d[0].line == 27);
  CHECK(d[0].severity == "error");
  CHECK(d[0].message == "undefined variable \"x\"");
  CHECK(d[1].file == "shaders/main.comp");
  CHECK(d[1].line == 3);
  CHECK(d[1].severity == "warning");
}

TEST_CASE("AMD / Apple logs: SEVERITY: source:line: message, and the unlocated summary") {
  const auto d = parseShaderLog("ERROR: 0:7: 'y' : undeclared identifier\n"
                                "WARNING: 2:1: extension not supported\n"
                                "ERROR: 1 compilation errors.  No code generated.\n",
                                kFiles);
  REQUIRE(d.size() == 3);
  CHECK(d[0].file == "shaders/main.comp");
  CHECK(d[0].line == 7);
  CHECK(d[0].severity == "error");
  CHECK(d[0].message == "'y' : undeclared identifier");
  CHECK(d[1].file == "shaders/common/x.glsl");
  CHECK(d[1].severity == "warning");
  CHECK(d[2].file.empty());
  CHECK(d[2].line == 0);
  CHECK(d[2].severity == "error");
  CHECK(formatDiagnostic(d[2]) == "error: 1 compilation errors.  No code generated.");
}

TEST_CASE("line numbers offset by the include stride name the file in every dialect") {
  const int line = 2 * kIncludeLineStride + 41;
  for (const std::string& log : {"0:" + std::to_string(line) + "(5): error: m", "2(" + std::to_string(line) + ") : error C0000: m",
                                "ERROR: 0:" + std::to_string(line) + ": m"}) {
    const auto d = parseShaderLog(log, kFiles);
    REQUIRE(d.size() == 1);
    INFO(log);
    CHECK(d[0].file == "shaders/common/x.glsl");
    CHECK(d[0].sourceIndex == 2);
    CHECK(d[0].line == 41);
  }
}

TEST_CASE("unknown source strings, link errors and free text are kept") {
  const auto d = parseShaderLog("7:3(1): error: out of table\nerror: linking with uncompiled shader\n\nsomething else\n", kFiles);
  REQUIRE(d.size() == 3);
  CHECK(d[0].file == "<string 7>");
  CHECK(d[1].file.empty());
  CHECK(d[1].severity == "error");
  CHECK(d[1].message == "linking with uncompiled shader");
  CHECK(d[2].severity == "note");
  CHECK(parseShaderLog("", kFiles).empty());
}

TEST_CASE("#include expansion: #line per file, include once, prelude after #version") {
  const auto src = expandIncludes("/s/main.comp", "/s",
                                  mapReader({{"/s/main.comp", "#version 430 core\n#include \"common/a.glsl\"\n"
                                                              "#include \"common/a.glsl\"\nvoid main() {}\n"},
                                             {"/s/common/a.glsl", "#include \"b.glsl\"\nfloat a() { return b(); }\n"},
                                             {"/s/common/b.glsl", "float b() { return 1.0; }\n"}}),
                                  "#define X 1\n");
  REQUIRE(src.ok());
  REQUIRE(src.files == std::vector<std::string>{"/s/main.comp", "/s/common/a.glsl", "/s/common/b.glsl"});
  auto line = [](int file, int n) { return "#line " + std::to_string(file * kIncludeLineStride + n) + " " + std::to_string(file) + "\n"; };
  const std::string want = "#version 430 core\n#define X 1\n#line 2 0\n" + line(1, 1) + line(2, 1) +
                           "float b() { return 1.0; }\n" + line(1, 2) + "float a() { return b(); }\n"
                           "#line 3 0\n"
                           "\n"  // the second include of a.glsl keeps the line count
                           "void main() {}\n";
  CHECK(src.text == want);
}

TEST_CASE("#include problems are located at the #include line") {
  const auto missing = expandIncludes("/s/m.comp", "/s", mapReader({{"/s/m.comp", "#version 430 core\n\n#include \"nope.glsl\"\n"}}));
  REQUIRE(missing.errors.size() == 1);
  CHECK(missing.errors[0].file == "/s/m.comp");
  CHECK(missing.errors[0].line == 3);
  CHECK(missing.errors[0].message.find("nope.glsl") != std::string::npos);

  const auto version = expandIncludes("/s/m.comp", "/s",
                                      mapReader({{"/s/m.comp", "#version 430 core\n#include \"v.glsl\"\n"},
                                                 {"/s/v.glsl", "// header\n#version 330 core\n"}}));
  REQUIRE(version.errors.size() == 1);
  CHECK(version.errors[0].file == "/s/v.glsl");
  CHECK(version.errors[0].line == 2);

  const auto malformed = expandIncludes("/s/m.comp", "/s", mapReader({{"/s/m.comp", "#version 430 core\n#include <x.glsl>\n"}}));
  REQUIRE(malformed.errors.size() == 1);
  CHECK(malformed.errors[0].line == 2);

  const auto noVersion = expandIncludes("/s/m.comp", "/s", mapReader({{"/s/m.comp", "void main() {}\n"}}));
  CHECK(!noVersion.ok());

  const auto unreadable = expandIncludes("/s/none.comp", "/s", mapReader({}));
  REQUIRE(unreadable.errors.size() == 1);
  CHECK(unreadable.errors[0].file == "/s/none.comp");
}

TEST_CASE("includes resolve next to the including file first, then under the root") {
  const auto src = expandIncludes("/s/sub/m.comp", "/s",
                                  mapReader({{"/s/sub/m.comp", "#version 430 core\n#include \"local.glsl\"\n#include \"common/r.glsl\"\n"},
                                             {"/s/sub/local.glsl", "// local\n"},
                                             {"/s/common/r.glsl", "// rooted\n"}}));
  REQUIRE(src.ok());
  CHECK(src.files == std::vector<std::string>{"/s/sub/m.comp", "/s/sub/local.glsl", "/s/common/r.glsl"});
}
