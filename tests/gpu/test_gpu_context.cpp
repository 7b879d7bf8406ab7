// The headless context: llvmpipe through EGL surfaceless, capabilities, the forced fragment path,
// version checks, and GL errors turned into failures.
#include <catch2/catch.hpp>
#include <cstdlib>

#include "gpu/gl_objects.hpp"
#include "gpu_fixture.hpp"

using namespace qviz;
using namespace qviz::gpu;
using qviz::test::GpuFixture;

TEST_CASE_METHOD(GpuFixture, "the headless context is llvmpipe with GL 4.3+ and compute") {
  const Capabilities& caps = context().caps();
  WARN("renderer: " << context().describe() << " (GLSL " << caps.glslVersion << ")");
  CHECK(context().headless());
  CHECK(caps.major * 10 + caps.minor >= 43);
  CHECK(caps.compute);
  CHECK(caps.khrDebug);
  CHECK(caps.maxWorkGroupCount[0] >= 65535);
  CHECK(caps.maxTextureSize >= 4096);
  CHECK(context().defaultPath() == GpuPath::Compute);
  CHECK(context().supports(GpuPath::Fragment).ok());
  if (const char* sw = std::getenv("LIBGL_ALWAYS_SOFTWARE"); sw && std::string(sw) == "1")
    CHECK(caps.renderer.find("llvmpipe") != std::string::npos);
}

TEST_CASE("a forced fragment path refuses compute with a reason") {
  SessionOptions o;
  o.forceFragment = true;
  auto s = GpuSession::openHeadless(o);
  REQUIRE(s.ok());
  GpuContext& ctx = (*s)->context();
  CHECK(ctx.defaultPath() == GpuPath::Fragment);
  CHECK(!ctx.computeAvailable());
  const auto st = ctx.supports(GpuPath::Compute);
  REQUIRE(!st.ok());
  CHECK(st.error().find("fragment") != std::string::npos);
}

TEST_CASE("GL versions below 3.3 are refused with a clear message") {
  CHECK(checkGlVersion(4, 6).ok());
  CHECK(checkGlVersion(3, 3).ok());
  for (auto [major, minor] : {std::pair{3, 2}, std::pair{2, 1}, std::pair{3, 0}}) {
    const auto st = checkGlVersion(major, minor);
    REQUIRE(!st.ok());
    CHECK(st.error().find("3.3") != std::string::npos);
  }
}

TEST_CASE("QVIZ_NO_GPU makes context creation fail with a message") {
  ::setenv("QVIZ_NO_GPU", "1", 1);
  auto s = GpuSession::openHeadless();
  ::unsetenv("QVIZ_NO_GPU");
  REQUIRE(!s.ok());
  CHECK(s.error().find("QVIZ_NO_GPU") != std::string::npos);
}

TEST_CASE_METHOD(GpuFixture, "GL errors and KHR_debug errors come back as failures naming the call site") {
  glBindTexture(GL_TEXTURE_2D, 123456);  // not a name this context generated
  const auto st = context().checkErrors("deliberate");
  REQUIRE(!st.ok());
  CHECK(st.error().rfind("deliberate: ", 0) == 0);
  CHECK(st.error().find("GL_INVALID_OPERATION") != std::string::npos);
  CHECK(context().checkErrors("after").ok());  // drained
}

TEST_CASE_METHOD(GpuFixture, "RAII wrappers are move-only owners that delete their names") {
  Texture a = Texture::create();
  const GLuint id = a.id();
  glBindTexture(GL_TEXTURE_2D, id);  // a name is a texture only once bound
  CHECK(glIsTexture(id));
  Texture b = std::move(a);
  CHECK(!a);
  CHECK(b.id() == id);
  b.reset();
  CHECK(!glIsTexture(id));
  Buffer buf = Buffer::create();
  Program prog = Program::create();
  Framebuffer fbo = Framebuffer::create();
  VertexArray vao = VertexArray::create();
  Query q = Query::create();
  Shader sh = makeShader(GL_COMPUTE_SHADER);
  CHECK((buf && prog && fbo && vao && q && sh));
  static_assert(!std::is_copy_constructible_v<Texture> && std::is_nothrow_move_constructible_v<Texture>);
  checkClean("wrappers");
}
