// The uniform image quantizer on the GPU: shaders/quantize_uniform.comp (compute path) and
// shaders/quantize_uniform.frag (fragment path). Reference: core::quantizeUniform — every sample is
// core::dequantizeCode(core::quantizeCode(...)) of core::quantizerReference(src) (integer luma
// first with --gray); alpha passes through. Floyd-Steinberg is serial and stays on the CPU.
//
// Rounding::User runs the workshop quantizer instead: shaders/quantize_user.{comp,frag} include the
// user's file (default user/quantizer.glsl, or any file set with setUserShader) which defines
// `float userQuantize(float x, int bits)` on samples in [0, 1]; its annotated uniforms
// (gpu/shader_annotations.hpp) are set from UserShader::values. There is no CPU reference for it.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "gpu/kernel_util.hpp"
#include "gpu/shader_annotations.hpp"
#include "quant/uniform.hpp"

namespace qviz::gpu {

inline constexpr const char* kUserQuantizerFile = "user/quantizer.glsl";

// Which file implements userQuantize and the values of its annotated uniforms.
struct UserShader {
  std::string file = kUserQuantizerFile;  // relative to the shader library's directory, or absolute
  std::map<std::string, double> values;   // by uniform name; a missing one gets its annotation default
  bool operator==(const UserShader&) const = default;
};

// The annotations of a user file and of the files it includes (read from disk now), so an exercise
// pulled in with #include gets its sliders too. Fails when the file cannot be read.
Result<AnnotationSet> readUserControls(const ShaderLibrary& lib, const std::string& file = kUserQuantizerFile);
// Absolute path of a user file as the library resolves it.
std::string resolveShaderPath(const ShaderLibrary& lib, const std::string& file);
// User shaders are small; a file larger than this is not one (read with core::readFile: regular files only).
constexpr std::uint64_t kMaxUserShaderBytes = 1 << 20;

class UniformQuantizerGpu {
public:
  static constexpr const char* kReference = "core::quantizeUniform";

  explicit UniformQuantizerGpu(GpuEnv env) : m_env(env) {}

  // Ok when the GPU can run these settings. Floyd-Steinberg fails with a "CPU only" message.
  static Status supports(const core::UniformSettings& s);
  static bool cpuOnly(const core::UniformSettings& s) { return s.dither == core::Dither::FloydSteinberg; }

  // Quantizes `src` (the original; the luma is taken on the GPU when s.gray) into `dst`, which gets
  // the shape of core::quantizerReference(src). Stays on the GPU.
  Status run(const DeviceImage& src, const core::UniformSettings& s, DeviceImage& dst, GpuPath path);
  // Upload, run, download: the same result as core::quantizeUniform(src, s).
  Result<core::Image> quantize(const core::Image& src, const core::UniformSettings& s, GpuPath path);

  // The user quantizer used for Rounding::User (takes effect at the next run).
  void setUserShader(UserShader u) { m_user = std::move(u); }
  const UserShader& userShader() const { return m_user; }
  // The shader-library entry the last Rounding::User run used (empty before one): the UI shows
  // its status, error and generation.
  const std::string& lastUserProgram() const { return m_lastUserProgram; }

private:
  Status runCompute(const DeviceImage& src, const core::UniformSettings& s, DeviceImage& dst, bool gray);
  Status runFragment(const DeviceImage& src, const core::UniformSettings& s, DeviceImage& dst, bool gray);

  Status runUser(const DeviceImage& src, const core::UniformSettings& s, DeviceImage& dst, bool gray, GpuPath path);
  // The two ways a program runs: a compute dispatch over `items` (256 per group, grid-stride) with
  // src and dst as storage buffers 0 and 1, or a full-screen fragment pass from an integer texture
  // of src into dst. `setUniforms` runs with the program current.
  Status dispatch(GLuint prog, const DeviceImage& src, DeviceImage& dst, std::uint64_t items,
                  const std::function<void()>& setUniforms);
  Status drawFragment(GLuint prog, const DeviceImage& src, DeviceImage& dst, const std::function<void()>& setUniforms);

  GpuEnv m_env;
  UserShader m_user;
  std::string m_lastUserProgram;
  AnnotationSet m_controls;           // of the user program that linked as this build
  std::uint64_t m_controlsBuildId = 0;  // ShaderEntry::buildId (0: none read yet)
  IntegerTexture m_srcTexture;  // fragment path scratch
  IntegerTarget m_target;
  DeviceImage m_upload, m_download;  // quantize() scratch
};

}  // namespace qviz::gpu
