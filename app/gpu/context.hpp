// GpuContext: one interface over the two ways qviz gets a GL context — a headless EGL context on
// Mesa's surfaceless platform (tests, CLI, screenshots; no X server) or the current context of a
// window the app created (GLFW). It loads GL with glad2, detects capabilities, picks the compute
// or fragment path and collects KHR_debug messages. It does not create windows or own GLFW.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gpu/gl.hpp"
#include "util/result.hpp"

namespace qviz::gpu {

using core::Result;
using core::Status;

// How the image kernels run: compute shaders on SSBOs (GL 4.3+), or a fragment shader rendering
// into an integer framebuffer (GL 3.3+, e.g. macOS with GL 4.1). Both give the same samples.
enum class GpuPath : std::uint8_t { Compute, Fragment };
const char* gpuPathName(GpuPath p);  // "compute", "fragment"
bool parseGpuPath(const std::string& s, GpuPath& out);

struct ContextOptions {
  bool debug = false;          // ask for a debug context and collect KHR_debug messages
  bool forceFragment = false;  // behave like a GL 3.3-4.2 context: no compute path
};

struct Capabilities {
  int major = 0, minor = 0;
  std::string renderer, vendor, version, glslVersion;
  bool compute = false;    // GL 4.3+: compute shaders, SSBOs, atomics, image load/store
  bool khrDebug = false;   // glDebugMessageCallback available
  bool timerQuery = false; // GL_TIMESTAMP queries (GL 3.3 core)
  int maxTextureSize = 0;
  std::array<int, 3> maxWorkGroupCount{0, 0, 0};  // compute only
};

// A GL version is usable from 3.3 on; below that the message says why (callers fall back to the CPU).
Status checkGlVersion(int major, int minor);

struct DebugMessage {
  GLenum source = 0, type = 0, severity = 0;
  GLuint id = 0;
  std::string text;
  // Shader compile/link logs are the ShaderLibrary's business (parsed, kept, last good program
  // used), not GL errors: they do not count.
  bool isError() const {
    return (type == GL_DEBUG_TYPE_ERROR || type == GL_DEBUG_TYPE_UNDEFINED_BEHAVIOR) &&
           source != GL_DEBUG_SOURCE_SHADER_COMPILER;
  }
  std::string describe() const;  // "[error, high] text"
};

class GpuContext {
public:
  // EGL_PLATFORM_SURFACELESS_MESA through eglGetPlatformDisplay; tries core 4.6 down to 3.3.
  // QVIZ_NO_GPU=1 in the environment makes this fail (forces the CPU path).
  static Result<std::unique_ptr<GpuContext>> createHeadless(const ContextOptions& options = {});
  // Wraps the context current on this thread (e.g. after glfwMakeContextCurrent), loading GL with
  // the given loader (e.g. glfwGetProcAddress). The caller keeps owning the context.
  static Result<std::unique_ptr<GpuContext>> wrapCurrent(GLADloadfunc getProcAddress,
                                                         const ContextOptions& options = {});

  GpuContext(const GpuContext&) = delete;
  GpuContext& operator=(const GpuContext&) = delete;
  ~GpuContext();

  const Capabilities& caps() const { return m_caps; }
  const ContextOptions& options() const { return m_options; }
  bool headless() const { return m_eglContext != nullptr; }
  // "llvmpipe (LLVM 15.0.6, 256 bits), GL 4.5 core, compute path"
  std::string describe() const;

  // Makes the headless context current on this thread (a no-op for a wrapped context).
  Status makeCurrent();

  bool computeAvailable() const { return m_caps.compute && !m_options.forceFragment; }
  GpuPath defaultPath() const { return computeAvailable() ? GpuPath::Compute : GpuPath::Fragment; }
  // Ok when this context can run `path`; otherwise says why.
  Status supports(GpuPath path) const;

  // KHR_debug messages collected since the last take (at most kMaxMessages kept; the rest counted).
  static constexpr std::size_t kMaxMessages = 256;
  std::vector<DebugMessage> takeMessages();
  std::size_t droppedMessages() const { return m_dropped; }
  // glGetError plus error-type debug messages since the last call: ok, or a message naming `where`.
  // Non-error messages are left in the queue.
  Status checkErrors(const char* where);

private:
  GpuContext() = default;
  Status init(GLADloadfunc getProcAddress);
  static void GLAD_API_PTR onDebugMessage(GLenum source, GLenum type, GLuint id, GLenum severity,
                                          GLsizei length, const GLchar* message, const void* user);

  ContextOptions m_options;
  Capabilities m_caps;
  void* m_eglDisplay = nullptr;  // EGLDisplay / EGLContext, kept opaque so <glad/egl.h> stays private
  void* m_eglContext = nullptr;
  std::vector<DebugMessage> m_messages;
  std::size_t m_dropped = 0;
};

}  // namespace qviz::gpu
