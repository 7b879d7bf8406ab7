// Move-only RAII owners of GL objects (textures, buffers, programs, shaders, framebuffers, vertex
// arrays, queries). They only create and delete names; binding and state stay with the caller.
// Destroy them while their context is current (a GpuContext outlives the objects it made).
#pragma once
#include <utility>

#include "gpu/gl.hpp"

namespace qviz::gpu {

// One GL name plus how to delete it. Zero is "no object"; moving leaves the source empty.
template <class Traits>
class GlObject {
public:
  GlObject() = default;
  explicit GlObject(GLuint id) : m_id(id) {}
  GlObject(const GlObject&) = delete;
  GlObject& operator=(const GlObject&) = delete;
  GlObject(GlObject&& o) noexcept : m_id(std::exchange(o.m_id, 0)) {}
  GlObject& operator=(GlObject&& o) noexcept {
    if (this != &o) reset(std::exchange(o.m_id, 0));
    return *this;
  }
  ~GlObject() { reset(); }

  // Creates a fresh object (deleting the old one).
  static GlObject create() { return GlObject(Traits::create()); }

  GLuint id() const { return m_id; }
  explicit operator bool() const { return m_id != 0; }
  void reset(GLuint id = 0) {
    if (m_id) Traits::destroy(m_id);
    m_id = id;
  }
  // Gives up ownership without deleting.
  GLuint release() { return std::exchange(m_id, 0); }

private:
  GLuint m_id = 0;
};

namespace detail {
// DSA-free creation (glGen*) so the wrappers also work on a GL 3.3 context.
struct TextureTraits {
  static GLuint create() { GLuint id = 0; glGenTextures(1, &id); return id; }
  static void destroy(GLuint id) { glDeleteTextures(1, &id); }
};
struct BufferTraits {
  static GLuint create() { GLuint id = 0; glGenBuffers(1, &id); return id; }
  static void destroy(GLuint id) { glDeleteBuffers(1, &id); }
};
struct ProgramTraits {
  static GLuint create() { return glCreateProgram(); }
  static void destroy(GLuint id) { glDeleteProgram(id); }
};
struct ShaderTraits {
  static GLuint create() = delete;  // needs a stage: use makeShader()
  static void destroy(GLuint id) { glDeleteShader(id); }
};
struct FramebufferTraits {
  static GLuint create() { GLuint id = 0; glGenFramebuffers(1, &id); return id; }
  static void destroy(GLuint id) { glDeleteFramebuffers(1, &id); }
};
struct VertexArrayTraits {
  static GLuint create() { GLuint id = 0; glGenVertexArrays(1, &id); return id; }
  static void destroy(GLuint id) { glDeleteVertexArrays(1, &id); }
};
struct QueryTraits {
  static GLuint create() { GLuint id = 0; glGenQueries(1, &id); return id; }
  static void destroy(GLuint id) { glDeleteQueries(1, &id); }
};
}  // namespace detail

using Texture = GlObject<detail::TextureTraits>;
using Buffer = GlObject<detail::BufferTraits>;
using Program = GlObject<detail::ProgramTraits>;
using Shader = GlObject<detail::ShaderTraits>;
using Framebuffer = GlObject<detail::FramebufferTraits>;
using VertexArray = GlObject<detail::VertexArrayTraits>;
using Query = GlObject<detail::QueryTraits>;

inline Shader makeShader(GLenum stage) { return Shader(glCreateShader(stage)); }

}  // namespace qviz::gpu
