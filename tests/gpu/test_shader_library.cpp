// ShaderLibrary on a temporary shader directory: file stamps of the program and its includes,
// reloadIfChanged() bumping the generation, a broken edit keeping the previous program (which
// keeps running) and naming the right file:line through an #include, skipping empty reads, and
// recovering after the fix.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "gpu/kernel_util.hpp"
#include "gpu_fixture.hpp"

#include "../test_files.hpp"

using namespace qviz;
using namespace qviz::gpu;
using qviz::test::GpuFixture;
namespace fs = std::filesystem;

namespace {
struct TempShaderDir {
  fs::path dir = qviz::test::scratchDir("qviz_test_shaders", "tree");
  TempShaderDir() { fs::create_directories(dir / "lib"); }
  ~TempShaderDir() { fs::remove_all(dir); }
  void write(const std::string& rel, const std::string& text) { qviz::test::writeBumped(dir / rel, text); }
};

const char* kMain =
    "#version 430 core\n"
    "layout(local_size_x = 1) in;\n"
    "#include \"lib/value.glsl\"\n"
    "layout(std430, binding = 0) writeonly buffer Out { uint s_out[]; };\n"
    "void main() { s_out[0] = value(); }\n";

std::string valueFile(unsigned v) { return "// the value the program writes\nuint value() {\n  return " + std::to_string(v) + "u;\n}\n"; }

// Runs the program and returns what it wrote.
unsigned runProgram(GLuint program) {
  Buffer out = Buffer::create();
  glBindBuffer(GL_SHADER_STORAGE_BUFFER, out.id());
  glBufferData(GL_SHADER_STORAGE_BUFFER, 4, nullptr, GL_DYNAMIC_COPY);
  glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 0, out.id());
  glUseProgram(program);
  glDispatchCompute(1, 1, 1);
  glMemoryBarrier(GL_BUFFER_UPDATE_BARRIER_BIT);
  unsigned v = 0;
  glGetBufferSubData(GL_SHADER_STORAGE_BUFFER, 0, 4, &v);
  glUseProgram(0);
  return v;
}
}  // namespace

TEST_CASE_METHOD(GpuFixture, "shader library: stamps, reload, a broken include keeps the last good program, recovery") {
  TempShaderDir t;
  t.write("main.comp", kMain);
  t.write("lib/value.glsl", valueFile(7));
  ShaderLibrary lib(t.dir.string());
  const ProgramDesc desc{"probe", {{ShaderStage::Compute, "main.comp"}}, {}};
  REQUIRE(lib.add(desc).error() == "");
  const ShaderEntry* e = lib.entry("probe");
  REQUIRE(e);
  CHECK(e->generation == 1);
  REQUIRE(e->files.size() == 2);
  CHECK(fs::path(e->files[1].path).filename() == "value.glsl");
  CHECK(e->files[1].mtimeNs > 0);
  CHECK(e->files[1].size == std::int64_t(valueFile(7).size()));
  CHECK(runProgram(lib.program("probe")) == 7u);

  // Nothing changed: nothing rebuilt.
  auto report = lib.reloadIfChanged();
  CHECK(report.rebuilt.empty());
  CHECK(report.failed.empty());

  // A good edit of the include: a new program, generation 2.
  t.write("lib/value.glsl", valueFile(42));
  report = lib.reloadIfChanged();
  CHECK(report.rebuilt == std::vector<std::string>{"probe"});
  CHECK(e->generation == 2);
  CHECK(runProgram(lib.program("probe")) == 42u);
  const GLuint good = lib.program("probe");

  // A broken edit at line 3 of the include: the old program stays and still runs.
  t.write("lib/value.glsl", "// the value the program writes\nuint value() {\n  return undefined_thing;\n}\n");
  report = lib.reloadIfChanged();
  CHECK(report.failed == std::vector<std::string>{"probe"});
  CHECK(e->generation == 2);
  CHECK(e->failedBuilds == 1);
  CHECK(lib.program("probe") == good);
  CHECK(runProgram(lib.program("probe")) == 42u);
  INFO("last error: " << e->lastError << "\nraw log:\n" << e->rawLog);
  bool located = false;
  for (const auto& d : e->diagnostics)
    located = located || (d.severity == "error" && fs::path(d.file).filename() == "value.glsl" && d.line == 3);
  CHECK(located);
  CHECK(e->lastError.find("value.glsl:3: error:") != std::string::npos);
  CHECK(!e->rawLog.empty());
  // The broken content is not rebuilt on every poll.
  CHECK(lib.reloadIfChanged().failed.empty());

  // An editor mid-save (empty file) is skipped: no rebuild, no new failure.
  t.write("lib/value.glsl", "");
  report = lib.reloadIfChanged();
  CHECK(report.rebuilt.empty());
  CHECK(report.failed.empty());
  CHECK(e->failedBuilds == 1);

  // The fix recovers.
  t.write("lib/value.glsl", valueFile(9));
  report = lib.reloadIfChanged();
  CHECK(report.rebuilt == std::vector<std::string>{"probe"});
  CHECK(e->generation == 3);
  CHECK(e->lastError.empty());
  CHECK(runProgram(lib.program("probe")) == 9u);
  checkClean("shader library");
}

TEST_CASE_METHOD(GpuFixture, "shader library: a program that never built has no program and reports why") {
  TempShaderDir t;
  t.write("main.comp", "#version 430 core\nlayout(local_size_x = 1) in;\n\n#include \"lib/missing.glsl\"\nvoid main() {}\n");
  ShaderLibrary lib(t.dir.string());
  const ProgramDesc desc{"never", {{ShaderStage::Compute, "main.comp"}}, {}};
  const auto st = lib.add(desc);
  REQUIRE(!st.ok());
  CHECK(st.error().find("main.comp:4: error: cannot open included file \"lib/missing.glsl\"") != std::string::npos);
  CHECK(lib.program("never") == 0);
  CHECK(!lib.ensure(desc).ok());
  // Creating the missing include is noticed by the poll.
  t.write("lib/missing.glsl", "// now here\n");
  CHECK(lib.reloadIfChanged().rebuilt == std::vector<std::string>{"never"});
  CHECK(lib.program("never") != 0);
  CHECK(lib.ensure(desc).ok());
}

TEST_CASE_METHOD(GpuFixture, "shader library: at most `capacity` programs, the least recently ensured evicted first") {
  TempShaderDir t;
  t.write("main.comp", kMain);
  t.write("lib/value.glsl", valueFile(5));
  ShaderLibrary lib(t.dir.string());
  CHECK(lib.capacity() == ShaderLibrary::kDefaultCapacity);
  lib.setCapacity(3);
  // Four variants of one file (the prelude names them apart, as the quantizers' variants are).
  auto desc = [](const std::string& name) { return ProgramDesc{name, {{ShaderStage::Compute, "main.comp"}}, "// " + name + "\n"}; };
  for (const char* name : {"a", "b", "c"}) REQUIRE(lib.ensure(desc(name)).error() == "");
  const std::uint64_t firstA = lib.entry("a")->buildId;
  CHECK(lib.entry("b")->buildId == firstA + 1);
  CHECK(lib.entry("c")->buildId == firstA + 2);
  REQUIRE(lib.ensure(desc("a")).ok());  // a is now the most recently used: b is the oldest
  REQUIRE(lib.ensure(desc("d")).ok());
  CHECK(lib.names() == std::vector<std::string>{"a", "c", "d"});
  CHECK(lib.evictions() == 1);
  CHECK(runProgram(lib.program("a")) == 5u);
  CHECK(runProgram(lib.program("d")) == 5u);
  // An evicted program is built again when asked for, with a generation of its own and a new build id.
  REQUIRE(lib.ensure(desc("b")).ok());
  CHECK(lib.names() == std::vector<std::string>{"a", "b", "d"});  // c was the oldest then
  CHECK(lib.entry("b")->generation == 1);
  CHECK(lib.entry("b")->buildId == firstA + 4);
  CHECK(runProgram(lib.program("b")) == 5u);
  CHECK(lib.evictions() == 2);
  // Lowering the capacity evicts at once, oldest first.
  lib.setCapacity(1);
  CHECK(lib.names() == std::vector<std::string>{"b"});
  CHECK(lib.evictions() == 4);
  // A reload rebuilds only what is kept.
  t.write("lib/value.glsl", valueFile(6));
  CHECK(lib.reloadIfChanged().rebuilt == std::vector<std::string>{"b"});
  CHECK(lib.entry("b")->buildId == firstA + 5);
  CHECK(runProgram(lib.program("b")) == 6u);
  checkClean("shader library capacity");
}

TEST_CASE_METHOD(GpuFixture, "shader library: link errors and the prelude") {
  TempShaderDir t;
  t.write("v.vert", "#version 330 core\nout vec4 v_colour;\nvoid main() { gl_Position = vec4(0.0); v_colour = vec4(1.0); }\n");
  t.write("f.frag", "#version 330 core\nout vec4 o;\nvoid notMain() { o = vec4(VALUE); }\n");
  ShaderLibrary lib(t.dir.string());
  const auto st = lib.add({"linked", {{ShaderStage::Vertex, "v.vert"}, {ShaderStage::Fragment, "f.frag"}}, "#define VALUE 1.0\n"});
  REQUIRE(!st.ok());  // compiles (the prelude defines VALUE) but a stage has no main()
  CHECK(lib.entry("linked")->rawLog.find("link") != std::string::npos);
  CHECK(lib.program("linked") == 0);
  (void)context().checkErrors("expected link failure");
}

TEST_CASE("shader library: the default directory is the source tree's shaders/, QVIZ_SHADER_DIR overrides") {
  ::unsetenv("QVIZ_SHADER_DIR");
  CHECK(ShaderLibrary::defaultDir() == std::string(QVIZ_SOURCE_DIR) + "/shaders");
  ::setenv("QVIZ_SHADER_DIR", "/somewhere/else", 1);
  CHECK(ShaderLibrary::defaultDir() == "/somewhere/else");
  ::unsetenv("QVIZ_SHADER_DIR");
  CHECK(stampFile("/definitely/not/here.glsl").mtimeNs == -1);
}
