// GpuFixture: a fresh headless debug context and shader library for one test case. Any GL error or
// KHR_debug message of type error left over at the end of the test fails it (polyscope-style), and
// checkClean() asserts the same mid-test. Tests run under llvmpipe (tests/CMakeLists.txt sets the
// environment); the renderer string is logged once per test.
#pragma once
#include <catch2/catch.hpp>
#include <memory>

#include "gpu/session.hpp"

namespace qviz::test {

class GpuFixture {
public:
  GpuFixture() {
    gpu::SessionOptions o;
    o.debug = true;
    auto s = gpu::GpuSession::openHeadless(o);
    if (!s) FAIL("no headless GL context: " << s.error());
    m_session = std::move(*s);
    UNSCOPED_INFO("renderer: " << m_session->context().describe());
  }
  ~GpuFixture() {
    if (!m_session) return;
    const auto st = m_session->context().checkErrors("end of test");
    CHECK(st.error() == "");
  }
  GpuFixture(const GpuFixture&) = delete;
  GpuFixture& operator=(const GpuFixture&) = delete;

  gpu::GpuContext& context() { return m_session->context(); }
  gpu::ShaderLibrary& shaders() { return m_session->shaders(); }
  gpu::GpuEnv env() { return m_session->env(); }
  // Fails the test now if a GL error or an error-type debug message arrived since the last check.
  void checkClean(const char* where) {
    const auto st = context().checkErrors(where);
    CHECK(st.error() == "");
  }

private:
  std::unique_ptr<gpu::GpuSession> m_session;
};

}  // namespace qviz::test
