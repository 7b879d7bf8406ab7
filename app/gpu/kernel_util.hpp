// Shared plumbing of the GPU kernel drivers: the environment they run in (context, shader library,
// dispatch limits), work-group counts for grid-stride loops, uniform setters, a GL state guard for
// fragment passes (so the explorer's ImGui state survives), integer textures made from a
// DeviceImage and an RGBA8 texture target. No kernel logic here.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "gpu/context.hpp"
#include "gpu/device_image.hpp"
#include "gpu/gl_objects.hpp"
#include "gpu/shader_library.hpp"

namespace qviz::gpu {

struct DispatchLimits {
  // Groups per dispatch (x only). GL guarantees 65535; tests lower it to exercise the
  // grid-stride loops on small images.
  std::uint32_t maxGroups = 65535;
};

// What every driver needs. The context and library outlive the drivers.
struct GpuEnv {
  GpuContext* context = nullptr;
  ShaderLibrary* shaders = nullptr;
  DispatchLimits limits;
};

// Groups for `items` work items at `perGroup` per group, at least 1 and at most `cap`
// (the kernels loop with stride groups * perGroup over the rest).
std::uint32_t groupCount(std::uint64_t items, std::uint32_t perGroup, std::uint32_t cap);

// After a compute pass: make its SSBO / image writes visible to every later consumer (another
// dispatch, buffer reads, pixel unpack, texture fetches, framebuffer reads).
void barrierAfterCompute();

void setUniform(GLuint program, const char* name, GLuint v);
void setUniform(GLuint program, const char* name, GLint v);
void setUniform(GLuint program, const char* name, float v);
void setUniform(GLuint program, const char* name, const std::array<float, 4>& v);
void setUniform(GLuint program, const char* name, const std::array<GLuint, 4>& v);
void setUniformArray(GLuint program, const char* name, const float* v, int count);

// Plain GL buffers for kernel inputs and outputs that are not images (bins, partial sums, tensor
// values): grow (contents undefined), fill, zero and read back. All bind GL_COPY_*_BUFFER only.
void reserveBuffer(Buffer& buf, std::size_t& capacity, std::size_t bytes);
void writeBuffer(const Buffer& buf, const void* data, std::size_t bytes, std::size_t offset = 0);
void zeroBuffer(const Buffer& buf, std::size_t bytes);
void readBuffer(const Buffer& buf, void* out, std::size_t bytes, std::size_t offset = 0);
template <class T>
std::vector<T> readBuffer(const Buffer& buf, std::size_t count) {
  std::vector<T> out(count);
  readBuffer(buf, out.data(), count * sizeof(T));
  return out;
}

// Restores the current program after a compute pass (the explorer draws right after).
class ProgramGuard {
public:
  ProgramGuard() { glGetIntegerv(GL_CURRENT_PROGRAM, &m_program); }
  ~ProgramGuard() { glUseProgram(GLuint(m_program)); }
  ProgramGuard(const ProgramGuard&) = delete;
  ProgramGuard& operator=(const ProgramGuard&) = delete;

private:
  GLint m_program = 0;
};

// Saves and restores the GL state a kernel pass touches (framebuffers, viewport, program, vertex
// array, texture unit 0-1 bindings, pixel store, buffer bindings, enables), so running a kernel
// in the middle of a frame leaves the caller's state as it was.
class GlStateGuard {
public:
  GlStateGuard();
  ~GlStateGuard();
  GlStateGuard(const GlStateGuard&) = delete;
  GlStateGuard& operator=(const GlStateGuard&) = delete;

private:
  GLint m_drawFbo = 0, m_readFbo = 0, m_program = 0, m_vao = 0, m_activeTexture = 0;
  GLint m_tex[2] = {0, 0};
  GLint m_viewport[4] = {0, 0, 0, 0};
  GLint m_unpackAlign = 4, m_packAlign = 4, m_unpackRow = 0, m_packRow = 0;
  GLint m_unpackBuffer = 0, m_packBuffer = 0;
  GLboolean m_blend = GL_FALSE, m_scissor = GL_FALSE, m_depth = GL_FALSE, m_cull = GL_FALSE, m_stencil = GL_FALSE;
};

// An integer texture (R8UI..RGBA16UI) holding a DeviceImage's samples, for the fragment path.
// Reallocated only when the shape changes.
class IntegerTexture {
public:
  // Copies `img` into the texture on the GPU (pixel-unpack buffer, no CPU round trip).
  Status assign(const DeviceImage& img, int maxTextureSize);
  GLuint id() const { return m_texture.id(); }

private:
  Texture m_texture;
  int m_width = 0, m_height = 0;
  GLenum m_internal = GL_NONE;
};

// The colour attachment of a fragment pass with an integer format (RGBA8UI / RGBA16UI), its
// framebuffer and an empty vertex array for the full-screen triangle.
class IntegerTarget {
public:
  Status ensure(int width, int height, core::SampleType type, int maxTextureSize);
  // Binds the framebuffer and viewport (call inside a GlStateGuard).
  void bind() const;
  // Draws the full-screen triangle with the bound program.
  void draw() const;
  // Reads the first `channels` channels of every pixel into dst's buffer (dst already allocated).
  void readInto(DeviceImage& dst) const;

private:
  Texture m_texture;
  Framebuffer m_fbo;
  VertexArray m_vao;
  int m_width = 0, m_height = 0;
  core::SampleType m_type = core::SampleType::U8;
};

// An RGBA8 (UNORM) texture the explorer can draw directly, e.g. the error map; it can be written
// by compute (image store) or by a fragment pass (framebuffer).
class RgbaTexture {
public:
  void ensure(int width, int height);
  GLuint id() const { return m_texture.id(); }
  int width() const { return m_width; }
  int height() const { return m_height; }
  // A framebuffer with this texture attached (made on first use).
  GLuint framebuffer();
  VertexArray& vertexArray();
  // Reads the texture back as an RGBA8 core::Image (tests, screenshots).
  Result<core::Image> read() const;

private:
  Texture m_texture;
  Framebuffer m_fbo;
  VertexArray m_vao;
  int m_width = 0, m_height = 0;
};

// The full-screen-triangle vertex shader every fragment pass uses.
inline constexpr const char* kFullscreenVertex = "fullscreen.vert";

}  // namespace qviz::gpu
