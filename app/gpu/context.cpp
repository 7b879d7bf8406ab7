// GpuContext: EGL surfaceless creation, wrapping a current context, capability detection and the
// KHR_debug message queue.
#include "gpu/context.hpp"

#include <glad/egl.h>

#include <cstdlib>
#include <cstring>
#include <utility>

namespace qviz::gpu {

const char* gpuPathName(GpuPath p) { return p == GpuPath::Compute ? "compute" : "fragment"; }

bool parseGpuPath(const std::string& s, GpuPath& out) {
  for (GpuPath p : {GpuPath::Compute, GpuPath::Fragment})
    if (s == gpuPathName(p)) return out = p, true;
  return false;
}

Status checkGlVersion(int major, int minor) {
  if (major > 3 || (major == 3 && minor >= 3)) return {};
  return core::fail("the GL context is version " + std::to_string(major) + "." + std::to_string(minor) +
                    "; the GPU path needs OpenGL 3.3 core or newer");
}

namespace {
const char* debugTypeName(GLenum t) {
  switch (t) {
    case GL_DEBUG_TYPE_ERROR: return "error";
    case GL_DEBUG_TYPE_DEPRECATED_BEHAVIOR: return "deprecated";
    case GL_DEBUG_TYPE_UNDEFINED_BEHAVIOR: return "undefined behaviour";
    case GL_DEBUG_TYPE_PORTABILITY: return "portability";
    case GL_DEBUG_TYPE_PERFORMANCE: return "performance";
    case GL_DEBUG_TYPE_MARKER: return "marker";
    default: return "other";
  }
}
const char* debugSeverityName(GLenum s) {
  switch (s) {
    case GL_DEBUG_SEVERITY_HIGH: return "high";
    case GL_DEBUG_SEVERITY_MEDIUM: return "medium";
    case GL_DEBUG_SEVERITY_LOW: return "low";
    default: return "notification";
  }
}
const char* glErrorName(GLenum e) {
  switch (e) {
    case GL_INVALID_ENUM: return "GL_INVALID_ENUM";
    case GL_INVALID_VALUE: return "GL_INVALID_VALUE";
    case GL_INVALID_OPERATION: return "GL_INVALID_OPERATION";
    case GL_INVALID_FRAMEBUFFER_OPERATION: return "GL_INVALID_FRAMEBUFFER_OPERATION";
    case GL_OUT_OF_MEMORY: return "GL_OUT_OF_MEMORY";
    default: return "GL error";
  }
}
std::string glString(GLenum name) {
  const GLubyte* s = glGetString(name);
  return s ? reinterpret_cast<const char*>(s) : "";
}
bool hasExtension(const char* list, const char* name) {
  if (!list) return false;
  const std::size_t n = std::strlen(name);
  for (const char* p = std::strstr(list, name); p; p = std::strstr(p + 1, name))
    if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0')) return true;
  return false;
}
}  // namespace

std::string DebugMessage::describe() const {
  return std::string("[") + debugTypeName(type) + ", " + debugSeverityName(severity) + "] " + text;
}

void GLAD_API_PTR GpuContext::onDebugMessage(GLenum source, GLenum type, GLuint id, GLenum severity,
                                             GLsizei length, const GLchar* message, const void* user) {
  auto* self = static_cast<GpuContext*>(const_cast<void*>(user));
  if (!self) return;
  if (self->m_messages.size() >= kMaxMessages) {
    ++self->m_dropped;
    return;
  }
  DebugMessage m;
  m.source = source;
  m.type = type;
  m.id = id;
  m.severity = severity;
  m.text = length >= 0 ? std::string(message, std::size_t(length)) : std::string(message);
  while (!m.text.empty() && (m.text.back() == '\n' || m.text.back() == '\r')) m.text.pop_back();
  self->m_messages.push_back(std::move(m));
}

Status GpuContext::init(GLADloadfunc getProcAddress) {
  const int version = gladLoadGL(getProcAddress);
  if (!version) return core::fail("could not load the OpenGL functions (glad)");
  glGetIntegerv(GL_MAJOR_VERSION, &m_caps.major);
  glGetIntegerv(GL_MINOR_VERSION, &m_caps.minor);
  m_caps.renderer = glString(GL_RENDERER);
  m_caps.vendor = glString(GL_VENDOR);
  m_caps.version = glString(GL_VERSION);
  m_caps.glslVersion = glString(GL_SHADING_LANGUAGE_VERSION);
  if (auto st = checkGlVersion(m_caps.major, m_caps.minor); !st) return st;
  // The loader's view and the context's must agree (a 4.x context with missing entry points would
  // crash in the compute path).
  m_caps.compute = GLAD_GL_VERSION_4_3 && glDispatchCompute && glMemoryBarrier && glBindBufferBase;
  m_caps.khrDebug = (GLAD_GL_VERSION_4_3 || GLAD_GL_KHR_debug) && glDebugMessageCallback;
  m_caps.timerQuery = GLAD_GL_VERSION_3_3 && glQueryCounter;
  glGetIntegerv(GL_MAX_TEXTURE_SIZE, &m_caps.maxTextureSize);
  if (m_caps.compute)
    for (GLuint i = 0; i < 3; ++i) glGetIntegeri_v(GL_MAX_COMPUTE_WORK_GROUP_COUNT, i, &m_caps.maxWorkGroupCount[i]);
  if (m_options.debug && m_caps.khrDebug) {
    glEnable(GL_DEBUG_OUTPUT);
    glEnable(GL_DEBUG_OUTPUT_SYNCHRONOUS);  // messages arrive inside the call that caused them
    glDebugMessageCallback(&GpuContext::onDebugMessage, this);
    glDebugMessageControl(GL_DONT_CARE, GL_DONT_CARE, GL_DONT_CARE, 0, nullptr, GL_TRUE);
  }
  while (glGetError() != GL_NO_ERROR) {
  }
  return {};
}

Result<std::unique_ptr<GpuContext>> GpuContext::createHeadless(const ContextOptions& options) {
  if (const char* no = std::getenv("QVIZ_NO_GPU"); no && *no && std::strcmp(no, "0") != 0)
    return core::fail("the GPU is disabled by QVIZ_NO_GPU");
  // First load: the EGL 1.0 entry points (the library itself, through dlopen). Display-specific
  // 1.5 functions are loaded again once the display is initialised.
  if (!gladLoaderLoadEGL(EGL_NO_DISPLAY) || !glad_eglGetProcAddress || !glad_eglQueryString)
    return core::fail("could not load libEGL (install libegl1 / libegl-mesa0)");
  const char* clientExt = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
  if (!hasExtension(clientExt, "EGL_MESA_platform_surfaceless"))
    return core::fail("EGL has no surfaceless platform (EGL_MESA_platform_surfaceless; Mesa's libEGL is "
                      "needed for headless rendering)");
  auto getPlatformDisplay =
      reinterpret_cast<PFNEGLGETPLATFORMDISPLAYPROC>(eglGetProcAddress("eglGetPlatformDisplay"));
  EGLDisplay display = EGL_NO_DISPLAY;
  if (getPlatformDisplay) {
    display = getPlatformDisplay(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, nullptr);
  } else if (hasExtension(clientExt, "EGL_EXT_platform_base")) {
    auto getPlatformDisplayExt =
        reinterpret_cast<PFNEGLGETPLATFORMDISPLAYEXTPROC>(eglGetProcAddress("eglGetPlatformDisplayEXT"));
    if (getPlatformDisplayExt)
      display = getPlatformDisplayExt(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, nullptr);
  }
  if (display == EGL_NO_DISPLAY) return core::fail("no EGL surfaceless display");
  EGLint eglMajor = 0, eglMinor = 0;
  if (!eglInitialize(display, &eglMajor, &eglMinor))
    return core::fail("eglInitialize failed on the surfaceless display");
  if (!gladLoaderLoadEGL(display) || !eglBindAPI(EGL_OPENGL_API))
    return core::fail("EGL cannot bind the desktop OpenGL API");
  const bool noConfig = GLAD_EGL_VERSION_1_5 || GLAD_EGL_KHR_no_config_context;
  EGLConfig config = nullptr;
  if (!noConfig) {
    const EGLint want[] = {EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT, EGL_NONE};
    EGLint count = 0;
    if (!eglChooseConfig(display, want, &config, 1, &count) || count < 1)
      return core::fail("EGL found no OpenGL config");
  }
  EGLContext context = EGL_NO_CONTEXT;
  const int versions[][2] = {{4, 6}, {4, 5}, {4, 3}, {4, 1}, {3, 3}};
  for (const auto& v : versions) {
    const EGLint attribs[] = {EGL_CONTEXT_MAJOR_VERSION, v[0], EGL_CONTEXT_MINOR_VERSION, v[1],
                              EGL_CONTEXT_OPENGL_PROFILE_MASK, EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT,
                              EGL_CONTEXT_OPENGL_DEBUG, options.debug ? EGL_TRUE : EGL_FALSE, EGL_NONE};
    context = eglCreateContext(display, noConfig ? EGL_NO_CONFIG_KHR : config, EGL_NO_CONTEXT, attribs);
    if (context != EGL_NO_CONTEXT) break;
  }
  if (context == EGL_NO_CONTEXT)
    return core::fail("EGL could not create an OpenGL 3.3+ core context");
  if (!eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, context)) {
    eglDestroyContext(display, context);
    return core::fail("eglMakeCurrent failed (surfaceless contexts need EGL_KHR_surfaceless_context)");
  }
  std::unique_ptr<GpuContext> ctx(new GpuContext());
  ctx->m_options = options;
  ctx->m_eglDisplay = display;
  ctx->m_eglContext = context;
  // The destructor releases the EGL context on every path from here on.
  if (auto st = ctx->init(reinterpret_cast<GLADloadfunc>(glad_eglGetProcAddress)); !st)
    return core::fail(st.error());
  return ctx;
}

Result<std::unique_ptr<GpuContext>> GpuContext::wrapCurrent(GLADloadfunc getProcAddress,
                                                            const ContextOptions& options) {
  if (!getProcAddress) return core::fail("no GL loader function given");
  std::unique_ptr<GpuContext> ctx(new GpuContext());
  ctx->m_options = options;
  if (auto st = ctx->init(getProcAddress); !st) return core::fail(st.error());
  return ctx;
}

GpuContext::~GpuContext() {
  if (m_caps.khrDebug && m_options.debug && glDebugMessageCallback) glDebugMessageCallback(nullptr, nullptr);
  if (m_eglContext) {
    auto display = static_cast<EGLDisplay>(m_eglDisplay);
    if (eglGetCurrentContext() == static_cast<EGLContext>(m_eglContext))
      eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
    eglDestroyContext(display, static_cast<EGLContext>(m_eglContext));
    // No eglTerminate: the surfaceless display is shared by every context of the process.
  }
}

std::string GpuContext::describe() const {
  return m_caps.renderer + ", GL " + std::to_string(m_caps.major) + "." + std::to_string(m_caps.minor) +
         " core, " + gpuPathName(defaultPath()) + " path" +
         (m_caps.compute && m_options.forceFragment ? " (forced)" : "");
}

Status GpuContext::makeCurrent() {
  if (!m_eglContext) return {};
  auto display = static_cast<EGLDisplay>(m_eglDisplay);
  if (!eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, static_cast<EGLContext>(m_eglContext)))
    return core::fail("eglMakeCurrent failed");
  return {};
}

Status GpuContext::supports(GpuPath path) const {
  if (path == GpuPath::Fragment || computeAvailable()) return {};
  if (m_caps.compute) return core::fail("the compute path is switched off (fragment path forced)");
  return core::fail("the compute path needs OpenGL 4.3; this context is " + std::to_string(m_caps.major) + "." +
                    std::to_string(m_caps.minor) + " (use the fragment path)");
}

std::vector<DebugMessage> GpuContext::takeMessages() { return std::exchange(m_messages, {}); }

Status GpuContext::checkErrors(const char* where) {
  std::string errors;
  for (GLenum e = glGetError(); e != GL_NO_ERROR; e = glGetError()) errors += std::string(errors.empty() ? "" : ", ") + glErrorName(e);
  std::vector<DebugMessage> keep;
  for (auto& m : m_messages) {
    if (m.isError()) errors += (errors.empty() ? "" : "; ") + m.describe();
    else keep.push_back(std::move(m));
  }
  m_messages = std::move(keep);
  if (errors.empty()) return {};
  return core::fail(std::string(where) + ": " + errors);
}

}  // namespace qviz::gpu
