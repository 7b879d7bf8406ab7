// UniformQuantizerGpu: validation, per-channel constants as uniforms, compute and fragment passes.
#include "gpu/uniform_kernel.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <optional>
#include <sstream>
#include <set>
#include <string>

#include "util/fs.hpp"

namespace qviz::gpu {
namespace {

// shaders/common/quant.glsl numbers the rounding modes like core::Rounding.
static_assert(int(core::Rounding::Nearest) == 0 && int(core::Rounding::Truncate) == 1 &&
              int(core::Rounding::Stochastic) == 2 && int(core::Rounding::Seed) == 3 &&
              int(core::Rounding::Drop) == 5);

struct ChannelConstants {
  std::array<float, 4> scale{0, 0, 0, 0}, inv{0, 0, 0, 0};
  std::array<GLuint, 4> levels{2, 2, 2, 2};
  GLuint seedShift = 8;
};

// core::uniformConstants per colour channel of the output, exactly as core::quantizeUniformInto.
ChannelConstants constantsFor(const core::UniformSettings& s, int colorChannels, std::uint32_t vmax) {
  ChannelConstants k;
  for (int c = 0; c < colorChannels; ++c) {
    const core::UniformConstants u = core::uniformConstants(s.bitsFor(c), vmax);
    k.scale[std::size_t(c)] = u.scale;
    k.inv[std::size_t(c)] = u.inv;
    k.levels[std::size_t(c)] = u.levels;
    k.seedShift = u.seedShift;
  }
  return k;
}

// The numbers that vary without a new program (modes and layout are compiled in: variantFor).
void setConstants(GLuint prog, const core::UniformSettings& s, const ChannelConstants& k, std::uint32_t vmax) {
  setUniform(prog, "u_seed", GLuint(s.seed));
  setUniform(prog, "u_vmax", GLuint(vmax));
  setUniform(prog, "u_seedShift", k.seedShift);
  setUniform(prog, "u_scale", k.scale);
  setUniform(prog, "u_inv", k.inv);
  setUniform(prog, "u_levels", k.levels);
}

// One specialised program per (depth, layout, mode): branches on them fold at compile time,
// which is what makes llvmpipe fast. Each variant is built on first use and then cached by name.
struct Variant {
  std::string name, prelude;
};
// The layout part of a program's name and prelude, shared by the built-in and the user quantizer.
std::string layoutName(const DeviceImage& src, bool gray) {
  return std::string(src.type() == core::SampleType::U16 ? "u16" : "u8") + ".c" + std::to_string(src.channels()) +
         (gray ? ".gray" : "");
}
std::string layoutPrelude(const DeviceImage& src, const DeviceImage& dst, bool gray) {
  return std::string("#define SAMPLE_BITS ") + (src.type() == core::SampleType::U16 ? "16" : "8") +
         "\n#define SRC_CHANNELS_N " + std::to_string(src.channels()) +
         "\n#define DST_CHANNELS_N " + std::to_string(dst.channels()) +
         "\n#define COLOR_CHANNELS_N " + std::to_string(dst.colorChannels()) + "\n#define GRAY " + (gray ? "1" : "0") +
         "\n";
}

Variant variantFor(const DeviceImage& src, const DeviceImage& dst, const core::UniformSettings& s, bool gray) {
  const bool ordered = s.dither == core::Dither::Ordered;
  bool same = true;
  for (int c = 1; c < dst.colorChannels(); ++c) same = same && s.bitsFor(c) == s.bitsFor(0);
  Variant v;
  v.name = layoutName(src, gray) + "." + core::roundingName(s.rounding) + (ordered ? ".ordered" : "") +
           (same ? "" : ".perchannel");
  v.prelude = layoutPrelude(src, dst, gray) + "#define ROUNDING_N " + std::to_string(int(s.rounding)) +
              "\n#define DITHER_N " + (ordered ? "1" : "0") + "\n#define SAME_CHANNELS " + (same ? "1" : "0") + "\n";
  return v;
}

// Sets the annotated uniforms of the user file: the chosen value, else the annotation's default.
void setUserUniforms(GLuint prog, const AnnotationSet& controls, const UserShader& user) {
  for (const UniformControl& c : controls.controls) {
    auto it = user.values.find(c.name);
    double v = it != user.values.end() && std::isfinite(it->second) ? it->second : c.value;
    v = std::clamp(v, c.min, c.max);
    const GLint loc = glGetUniformLocation(prog, c.name.c_str());
    if (loc < 0) continue;  // declared but unused: the compiler removed it
    if (c.type == "float") glUniform1f(loc, float(v));
    else if (c.type == "uint") glUniform1ui(loc, GLuint(std::llround(v)));
    else glUniform1i(loc, GLint(std::llround(v)));  // int and bool
  }
}

}  // namespace

std::string resolveShaderPath(const ShaderLibrary& lib, const std::string& file) {
  namespace fs = std::filesystem;
  return fs::path(file).is_absolute() ? file : (fs::path(lib.dir()) / file).lexically_normal().string();
}

namespace {
std::optional<std::string> readSmallFile(const std::string& path) {
  auto bytes = core::readFile(path, kMaxUserShaderBytes);
  if (!bytes) return std::nullopt;
  return std::string(bytes->begin(), bytes->end());
}

// The annotations of `path` and of the files it #includes (as the shader library resolves them:
// next to the including file, then under the library), each file once.
void collectControls(const ShaderLibrary& lib, const std::string& path, const std::string& text, int depth,
                     std::set<std::string>& seen, AnnotationSet& out, const std::vector<std::string>& roots) {
  namespace fs = std::filesystem;
  if (!seen.insert(path).second) return;
  AnnotationSet own = parseAnnotations(text, path);
  for (auto& c : own.controls) {
    bool dup = false;
    for (const auto& o : out.controls) dup = dup || o.name == c.name;
    if (!dup) out.controls.push_back(std::move(c));
  }
  for (auto& p : own.problems) out.problems.push_back(std::move(p));
  if (depth >= 8) return;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    const std::size_t hash = line.find_first_not_of(" \t");
    if (hash == std::string::npos || line[hash] != '#') continue;
    const std::size_t inc = line.find("include", hash);
    const std::size_t open = line.find('"', hash);
    if (inc == std::string::npos || open == std::string::npos || open < inc) continue;
    const std::size_t close = line.find('"', open + 1);
    if (close == std::string::npos) continue;
    const std::string name = line.substr(open + 1, close - open - 1);
    for (const fs::path& cand : {fs::path(path).parent_path() / name, fs::path(lib.dir()) / name}) {
      const std::string p = cand.lexically_normal().string();
      if (!insideRoots(p, roots)) continue;  // as the library: nothing read outside the shader folder
      if (auto t = readSmallFile(p)) {
        collectControls(lib, p, *t, depth + 1, seen, out, roots);
        break;
      }
    }
  }
}
}  // namespace

Result<AnnotationSet> readUserControls(const ShaderLibrary& lib, const std::string& file) {
  const std::string path = resolveShaderPath(lib, file);
  auto text = readSmallFile(path);
  if (!text) return core::fail("cannot read the user shader " + path);
  AnnotationSet out;
  std::set<std::string> seen;
  collectControls(lib, path, *text, 0, seen, out, includeRoots(lib.dir(), {path}));
  return out;
}

Status UniformQuantizerGpu::supports(const core::UniformSettings& s) {
  if (cpuOnly(s))
    return core::fail("Floyd-Steinberg dithering is serial error diffusion and runs on the CPU only");
  return {};
}

Status UniformQuantizerGpu::run(const DeviceImage& src, const core::UniformSettings& s, DeviceImage& dst,
                                GpuPath path) {
  if (auto st = supports(s); !st) return st;
  if (auto st = m_env.context->supports(path); !st) return st;
  if (auto st = core::validateUniform(src.shape(), s); !st) return st;
  // core::quantizerReference: toGray keeps gray and gray+alpha images as they are.
  const bool gray = s.gray && src.channels() >= 3;
  const int outChannels = gray ? (src.channels() == 4 ? 2 : 1) : src.channels();
  if (&dst == &src) return core::fail("the quantizer cannot write over its input");
  if (auto st = dst.allocate(src.width(), src.height(), outChannels, src.type()); !st) return st;
  Status st = s.rounding == core::Rounding::User ? runUser(src, s, dst, gray, path)
              : path == GpuPath::Compute        ? runCompute(src, s, dst, gray)
                                                : runFragment(src, s, dst, gray);
  if (!st) return st;
  return m_env.context->checkErrors("uniform quantizer");
}

Status UniformQuantizerGpu::dispatch(GLuint prog, const DeviceImage& src, DeviceImage& dst, std::uint64_t items,
                                     const std::function<void()>& setUniforms) {
  GLint previous = 0;
  glGetIntegerv(GL_CURRENT_PROGRAM, &previous);
  glUseProgram(prog);
  setUniforms();
  glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 0, src.buffer());
  glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 1, dst.buffer());
  glDispatchCompute(groupCount(items, 256, m_env.limits.maxGroups), 1, 1);
  barrierAfterCompute();
  glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 0, 0);
  glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 1, 0);
  glUseProgram(GLuint(previous));
  return {};
}

Status UniformQuantizerGpu::drawFragment(GLuint prog, const DeviceImage& src, DeviceImage& dst,
                                         const std::function<void()>& setUniforms) {
  const int maxSize = m_env.context->caps().maxTextureSize;
  GlStateGuard guard;
  if (auto st = m_srcTexture.assign(src, maxSize); !st) return st;
  if (auto st = m_target.ensure(src.width(), src.height(), src.type(), maxSize); !st) return st;
  glUseProgram(prog);
  setUniforms();
  setUniform(prog, "u_src", GLint(0));
  glActiveTexture(GL_TEXTURE0);
  glBindTexture(GL_TEXTURE_2D, m_srcTexture.id());
  m_target.bind();
  m_target.draw();
  m_target.readInto(dst);
  return {};
}

Status UniformQuantizerGpu::runCompute(const DeviceImage& src, const core::UniformSettings& s, DeviceImage& dst,
                                       bool gray) {
  const Variant v = variantFor(src, dst, s, gray);
  const ProgramDesc desc{"quantize_uniform.compute." + v.name, {{ShaderStage::Compute, "quantize_uniform.comp"}}, v.prelude};
  if (auto st = m_env.shaders->ensure(desc); !st) return st;
  const GLuint prog = m_env.shaders->program(desc.name);
  return dispatch(prog, src, dst, dst.vectorCount(), [&] {
    setConstants(prog, s, constantsFor(s, dst.colorChannels(), dst.vmax()), dst.vmax());
    setUniform(prog, "u_width", GLuint(src.width()));
    setUniform(prog, "u_pixelCount", GLuint(src.pixelCount()));
    setUniform(prog, "u_vecCount", GLuint(dst.vectorCount()));
  });
}

Status UniformQuantizerGpu::runFragment(const DeviceImage& src, const core::UniformSettings& s, DeviceImage& dst,
                                        bool gray) {
  const Variant v = variantFor(src, dst, s, gray);
  const ProgramDesc desc{"quantize_uniform.fragment." + v.name,
                         {{ShaderStage::Vertex, kFullscreenVertex}, {ShaderStage::Fragment, "quantize_uniform.frag"}},
                         v.prelude};
  if (auto st = m_env.shaders->ensure(desc); !st) return st;
  const GLuint prog = m_env.shaders->program(desc.name);
  return drawFragment(prog, src, dst,
                      [&] { setConstants(prog, s, constantsFor(s, dst.colorChannels(), dst.vmax()), dst.vmax()); });
}

Status UniformQuantizerGpu::runUser(const DeviceImage& src, const core::UniformSettings& s, DeviceImage& dst,
                                    bool gray, GpuPath path) {
  const bool compute = path == GpuPath::Compute;
  // One library entry per user file and layout, so every file hot-reloads on its own.
  ProgramDesc desc;
  desc.name = std::string("quantize_user.") + (compute ? "compute." : "fragment.") + layoutName(src, gray) + " [" +
              m_user.file + "]";
  if (compute) desc.stages = {{ShaderStage::Compute, "quantize_user.comp"}};
  else desc.stages = {{ShaderStage::Vertex, kFullscreenVertex}, {ShaderStage::Fragment, "quantize_user.frag"}};
  desc.prelude = layoutPrelude(src, dst, gray);
  if (m_user.file != kUserQuantizerFile) desc.includeAs[kUserQuantizerFile] = m_user.file;
  m_lastUserProgram = desc.name;
  // ensure() keeps the last program that linked when the file is broken now (hot reload).
  if (auto st = m_env.shaders->ensure(desc); !st) return st;
  const GLuint prog = m_env.shaders->program(desc.name);
  // The annotations belong to the program that runs: read again only when a new one linked (a
  // broken edit keeps the old program, and so its controls), not on every run.
  // (By build id: an evicted and rebuilt entry starts again at generation 1.)
  const std::uint64_t buildId = m_env.shaders->entry(desc.name)->buildId;
  if (m_controlsBuildId != buildId) {
    auto controls = readUserControls(*m_env.shaders, m_user.file);
    m_controls = controls ? std::move(*controls) : AnnotationSet{};
    m_controlsBuildId = buildId;
  }

  std::array<GLint, 4> bits{1, 1, 1, 1};
  for (int c = 0; c < dst.colorChannels(); ++c) bits[std::size_t(c)] = s.bitsFor(c);
  const std::uint32_t vmax = dst.vmax();
  auto common = [&] {
    setUniform(prog, "u_seed", GLuint(s.seed));
    setUniform(prog, "u_qvVmax", GLuint(vmax));
    setUniform(prog, "u_qvInvVmax", float(1.0 / double(vmax)));
    if (const GLint loc = glGetUniformLocation(prog, "u_qvBits"); loc >= 0) glUniform4iv(loc, 1, bits.data());
    setUserUniforms(prog, m_controls, m_user);
  };
  if (!compute) return drawFragment(prog, src, dst, common);
  const std::uint64_t words = std::uint64_t(dst.vectorCount()) * 4;
  return dispatch(prog, src, dst, words, [&] {
    common();
    setUniform(prog, "u_qvWidth", GLuint(src.width()));
    setUniform(prog, "u_qvPixelCount", GLuint(src.pixelCount()));
    setUniform(prog, "u_qvWordCount", GLuint(words));
  });
}

Result<core::Image> UniformQuantizerGpu::quantize(const core::Image& src, const core::UniformSettings& s,
                                                  GpuPath path) {
  if (auto st = supports(s); !st) return core::fail(st.error());
  if (auto st = core::validateUniform(src, s); !st) return core::fail(st.error());
  if (auto st = m_upload.upload(src); !st) return core::fail(st.error());
  if (auto st = run(m_upload, s, m_download, path); !st) return core::fail(st.error());
  return m_download.download();
}

}  // namespace qviz::gpu
