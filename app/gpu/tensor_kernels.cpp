// BlockwiseQuantizerGpu: the NF4/FP4 stages of quantize_blockwise.comp and dequantize_blockwise.comp.
// Data-dependent reciprocals (1/absmax, 1/absmax2) and the double-quantization offset (a float32
// pairwise mean) are computed here on the CPU from the GPU's read-back absmax, exactly as the core.
#include "gpu/tensor_kernels.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <numeric>
#include <string>

namespace qviz::gpu {
namespace {

constexpr float kAbsmaxFloor = 1e-38f;  // core: bitsandbytes clamps the block absmax below at 1e-38

bool isTable4(core::TensorFormat f) { return f == core::TensorFormat::NF4 || f == core::TensorFormat::FP4; }

// core's Codebook: sorted values (stable, so FP4's +0 code 0 precedes code 8), midpoints in double
// rounded to float, sorted index -> code.
struct Codebook {
  std::vector<float> mids, sortedValues;
  std::vector<GLuint> sortedToCode;
};
Codebook makeCodebook(const std::vector<float>& table) {
  Codebook cb;
  std::vector<std::size_t> order(table.size());
  std::iota(order.begin(), order.end(), std::size_t(0));
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return table[a] < table[b]; });
  for (std::size_t i = 0; i < order.size(); ++i) {
    cb.sortedToCode.push_back(GLuint(order[i]));
    cb.sortedValues.push_back(table[order[i]]);
    if (i + 1 < order.size())
      cb.mids.push_back(float((double(table[order[i]]) + double(table[order[i + 1]])) * 0.5));
  }
  return cb;
}
const Codebook& codebookFor(core::TensorFormat f) {
  static const Codebook nf4 = makeCodebook(core::nf4Table()), fp4 = makeCodebook(core::fp4Table());
  return f == core::TensorFormat::NF4 ? nf4 : fp4;
}
const Codebook& dynamicCodebook() {
  static const Codebook cb = makeCodebook(core::dynamicMap());
  return cb;
}

std::string programName(int stage) { return "quantize_blockwise.stage" + std::to_string(stage); }
constexpr const char* kDequantProgram = "dequantize_blockwise";

GLuint log2u(std::size_t v) { return GLuint(std::countr_zero(v)); }

bool isGgml(core::TensorFormat f) { return f == core::TensorFormat::Q8_0 || f == core::TensorFormat::Q4_0; }
std::size_t blocksizeOf(const core::BlockwiseSettings& s) { return isGgml(s.format) ? 32 : std::size_t(s.blocksize); }
bool isInt(core::TensorFormat f) {
  return f == core::TensorFormat::Int8 || f == core::TensorFormat::Int4 || f == core::TensorFormat::Int2;
}
bool isUInt(core::TensorFormat f) { return f == core::TensorFormat::UInt8 || f == core::TensorFormat::UInt4; }
float symmetricMax(core::TensorFormat f) {
  return f == core::TensorFormat::Int8 ? 127.0f : f == core::TensorFormat::Int4 ? 7.0f : 1.0f;
}
std::string formatsProgram(const char* file, core::TensorFormat f, int stage) {
  return std::string(file) + "." + core::tensorFormatName(f) + ".stage" + std::to_string(stage);
}

}  // namespace

Status BlockwiseQuantizerGpu::supports(const core::BlockwiseSettings& s) { return core::validateBlockwise(s); }

Status BlockwiseQuantizerGpu::ensurePrograms(const core::BlockwiseSettings&) {
  if (auto st = m_env.context->supports(GpuPath::Compute); !st) return st;
  for (int stage = 0; stage < 4; ++stage) {
    const ProgramDesc desc{programName(stage), {{ShaderStage::Compute, "quantize_blockwise.comp"}},
                           "#define STAGE " + std::to_string(stage) + "\n"};
    if (auto st = m_env.shaders->ensure(desc); !st) return st;
  }
  const ProgramDesc dq{kDequantProgram, {{ShaderStage::Compute, "dequantize_blockwise.comp"}}, ""};
  return m_env.shaders->ensure(dq);
}

void BlockwiseQuantizerGpu::dispatch(GLuint prog, std::size_t items) {
  setUniform(prog, "u_count", GLuint(items));
  glDispatchCompute(groupCount(items, 64, m_env.limits.maxGroups), 1, 1);
  barrierAfterCompute();
}

Status BlockwiseQuantizerGpu::upload(const float* x, std::size_t n) {
  if (n > (std::size_t(1) << 31)) return core::fail("tensor too large for the GPU kernels (2^31 values at most)");
  GLint64 maxBlock = 0;
  glGetInteger64v(GL_MAX_SHADER_STORAGE_BLOCK_SIZE, &maxBlock);
  if (maxBlock > 0 && double(n) * 4.0 > double(maxBlock))
    return core::fail("tensor of " + std::to_string(n) + " values exceeds this GPU's storage-buffer limit of " +
                      std::to_string(maxBlock / 4) + " float32 values; use the CPU backend");
  reserveBuffer(m_x, m_xCap, std::max<std::size_t>(4, n * 4));
  if (n) writeBuffer(m_x, x, n * 4);
  return {};
}

Status BlockwiseQuantizerGpu::runQuantize(std::size_t n, const core::BlockwiseSettings& s) {
  if (auto st = supports(s); !st) return st;
  if (!isTable4(s.format)) return runQuantizeFormats(n, s);
  if (auto st = ensurePrograms(s); !st) return st;
  const std::size_t bs = std::size_t(s.blocksize), nb = (n + bs - 1) / bs, words = (n + 7) / 8;
  reserveBuffer(m_absmax, m_absmaxCap, std::max<std::size_t>(4, nb * 4));
  reserveBuffer(m_inv, m_invCap, std::max<std::size_t>(4, nb * 4));
  reserveBuffer(m_codes, m_codesCap, std::max<std::size_t>(8, words * 8));
  reserveBuffer(m_packed, m_packedCap, std::max<std::size_t>(4, words * 4));
  m_hostAbsmax.assign(nb, 0.0f);
  m_hostInv.assign(nb, 0.0f);
  m_offset = 0.0f;
  if (n == 0) return {};
  ProgramGuard guard;
  // Stage 0: absmax per block; the floor and reciprocals on the CPU (exact, as the core).
  GLuint prog = m_env.shaders->program(programName(0));
  glUseProgram(prog);
  setUniform(prog, "u_n", GLuint(n));
  setUniform(prog, "u_blockShift", log2u(bs));
  glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 0, m_x.id());
  glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 1, m_absmax.id());
  dispatch(prog, nb);
  readBuffer(m_absmax, m_hostAbsmax.data(), nb * 4);
  for (std::size_t b = 0; b < nb; ++b) {
    m_hostAbsmax[b] = std::max(m_hostAbsmax[b], kAbsmaxFloor);
    m_hostInv[b] = 1.0f / m_hostAbsmax[b];
  }
  writeBuffer(m_absmax, m_hostAbsmax.data(), nb * 4);
  writeBuffer(m_inv, m_hostInv.data(), nb * 4);
  // Stage 1: codes and packed nibbles.
  const Codebook& cb = codebookFor(s.format);
  prog = m_env.shaders->program(programName(1));
  glUseProgram(prog);
  setUniform(prog, "u_n", GLuint(n));
  setUniform(prog, "u_blockShift", log2u(bs));
  setUniform(prog, "u_fullBlocks", GLuint(n / bs));
  setUniformArray(prog, "u_mids", cb.mids.data(), 15);
  glUniform1uiv(glGetUniformLocation(prog, "u_map"), 16, cb.sortedToCode.data());
  glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 2, m_inv.id());
  glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 3, m_codes.id());
  glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 4, m_packed.id());
  dispatch(prog, words);
  if (s.doubleQuant) {
    m_offset = core::doubleQuantOffset(m_hostAbsmax.data(), nb);
    const std::size_t nb2 = (nb + 255) / 256;
    reserveBuffer(m_absmax2, m_absmax2Cap, nb2 * 4);
    reserveBuffer(m_inv2, m_inv2Cap, nb2 * 4);
    reserveBuffer(m_qabsmax, m_qabsmaxCap, nb * 4);
    reserveBuffer(m_absmaxDq, m_absmaxDqCap, nb * 4);
    // Stage 2: absmax2 per 256 blocks.
    prog = m_env.shaders->program(programName(2));
    glUseProgram(prog);
    setUniform(prog, "u_n", GLuint(nb));
    setUniform(prog, "u_offset", m_offset);
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 5, m_absmax2.id());
    dispatch(prog, nb2);
    m_hostAbsmax2.assign(nb2, 0.0f);
    m_hostInv2.assign(nb2, 0.0f);
    readBuffer(m_absmax2, m_hostAbsmax2.data(), nb2 * 4);
    for (std::size_t b = 0; b < nb2; ++b) {
      m_hostAbsmax2[b] = std::max(m_hostAbsmax2[b], kAbsmaxFloor);
      m_hostInv2[b] = 1.0f / m_hostAbsmax2[b];
    }
    writeBuffer(m_absmax2, m_hostAbsmax2.data(), nb2 * 4);
    writeBuffer(m_inv2, m_hostInv2.data(), nb2 * 4);
    // Stage 3: 8-bit codes of (absmax - offset) and the absmax used to dequantize.
    const Codebook& dm = dynamicCodebook();
    prog = m_env.shaders->program(programName(3));
    glUseProgram(prog);
    setUniform(prog, "u_n", GLuint(nb));
    setUniform(prog, "u_offset", m_offset);
    setUniform(prog, "u_fullBlocks", GLuint(nb / 256));
    setUniformArray(prog, "u_dmids", dm.mids.data(), 255);
    setUniformArray(prog, "u_dmap", dm.sortedValues.data(), 256);
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 6, m_inv2.id());
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 7, m_qabsmax.id());
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 8, m_absmaxDq.id());
    dispatch(prog, nb);
  }
  for (GLuint i = 0; i <= 8; ++i) glBindBufferBase(GL_SHADER_STORAGE_BUFFER, i, 0);
  return m_env.context->checkErrors("blockwise quantizer");
}

void BlockwiseQuantizerGpu::readQuantized(std::size_t n, const core::BlockwiseSettings& s, core::QuantizedTensor& q) {
  const std::size_t bs = blocksizeOf(s), nb = (n + bs - 1) / bs;
  q = core::QuantizedTensor{};
  q.format = s.format;
  q.blocksize = int(bs);
  q.doubleQuant = s.doubleQuant;
  q.n = n;
  q.codes.assign(n, 0);
  q.packed.assign(core::formatCodeBits(s.format) == 4 ? (n + 1) / 2 : 0, 0);
  q.absmax = m_hostAbsmax;
  if (s.format == core::TensorFormat::UInt8 || s.format == core::TensorFormat::UInt4) q.zeroPoint = m_hostZeroPoint;
  if (n == 0) return;
  readBuffer(m_codes, q.codes.data(), n);
  if (!q.packed.empty()) readBuffer(m_packed, q.packed.data(), q.packed.size());
  if (s.doubleQuant) {
    q.offset = m_offset;
    const std::vector<GLuint> codes = readBuffer<GLuint>(m_qabsmax, nb);
    q.qabsmax.resize(nb);
    for (std::size_t b = 0; b < nb; ++b) q.qabsmax[b] = std::uint8_t(codes[b]);
    q.absmax2 = m_hostAbsmax2;
    q.absmaxDq = readBuffer<float>(m_absmaxDq, nb);
  }
}

Result<core::QuantizedTensor> BlockwiseQuantizerGpu::quantize(const float* x, std::size_t n,
                                                             const core::BlockwiseSettings& s) {
  if (auto st = supports(s); !st) return core::fail(st.error());
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(x[i]))
      return core::fail("value " + std::to_string(i) + " (flat index) is " + (std::isnan(x[i]) ? "NaN" : "Inf") +
                        "; only finite values can be quantized");
  if (auto st = upload(x, n); !st) return core::fail(st.error());
  if (auto st = runQuantize(n, s); !st) return core::fail(st.error());
  core::QuantizedTensor q;
  readQuantized(n, s, q);
  return q;
}

Status BlockwiseQuantizerGpu::runDequantize(std::size_t n, const core::BlockwiseSettings& s) {
  if (auto st = supports(s); !st) return st;
  if (!isTable4(s.format)) return core::fail("runDequantize: nf4 and fp4 only (dequantize() handles every format)");
  if (auto st = ensurePrograms(s); !st) return st;
  reserveBuffer(m_out, m_outCap, std::max<std::size_t>(4, n * 4));
  if (n == 0) return {};
  ProgramGuard guard;
  const GLuint prog = m_env.shaders->program(kDequantProgram);
  glUseProgram(prog);
  const std::vector<float>& table = s.format == core::TensorFormat::NF4 ? core::nf4Table() : core::fp4Table();
  setUniform(prog, "u_n", GLuint(n));
  setUniform(prog, "u_blockShift", log2u(std::size_t(s.blocksize)));
  setUniformArray(prog, "u_table", table.data(), 16);
  glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 0, m_packed.id());
  glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 1, s.doubleQuant ? m_absmaxDq.id() : m_absmax.id());
  glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 2, m_out.id());
  dispatch(prog, (n + 7) / 8);
  for (GLuint i = 0; i <= 2; ++i) glBindBufferBase(GL_SHADER_STORAGE_BUFFER, i, 0);
  return m_env.context->checkErrors("blockwise dequantizer");
}

Status BlockwiseQuantizerGpu::dequantize(const core::QuantizedTensor& q, float* out) {
  core::BlockwiseSettings s;
  s.format = q.format;
  s.blocksize = q.blocksize;
  if (auto st = supports(s); !st) return st;
  if (!isTable4(q.format)) return dequantizeFormats(q, out);
  const std::size_t n = q.n, bs = std::size_t(q.blocksize), nb = (n + bs - 1) / bs;
  if (n == 0) return {};
  // As the core: codes when it holds n of them, else the packed nibbles; absmaxDq with double quant.
  std::vector<std::uint8_t> packed;
  const std::vector<std::uint8_t>* src = &q.packed;
  if (q.codes.size() == n) {
    packed.assign((n + 1) / 2, 0);
    for (std::size_t i = 0; i < n; ++i) packed[i / 2] |= std::uint8_t((q.codes[i] & 15u) << ((i & 1) ? 0 : 4));
    src = &packed;
  }
  if (src->size() < (n + 1) / 2) return core::fail("quantized tensor holds neither n codes nor the packed nibbles");
  const bool dq = q.doubleQuant && q.absmaxDq.size() == nb;
  const std::vector<float>& scales = dq ? q.absmaxDq : q.absmax;
  if (scales.size() < nb) return core::fail("quantized tensor lacks per-block scales");
  const std::size_t words = (n + 7) / 8;
  reserveBuffer(m_packed, m_packedCap, words * 4);
  writeBuffer(m_packed, src->data(), (n + 1) / 2);
  Buffer& scaleBuf = dq ? m_absmaxDq : m_absmax;
  std::size_t& scaleCap = dq ? m_absmaxDqCap : m_absmaxCap;
  reserveBuffer(scaleBuf, scaleCap, nb * 4);
  writeBuffer(scaleBuf, scales.data(), nb * 4);
  s.doubleQuant = dq;
  if (auto st = runDequantize(n, s); !st) return st;
  readBuffer(m_out, out, n * 4);
  return {};
}

// ---- int / uint / FP8 / ggml -------------------------------------------------------------------

Status BlockwiseQuantizerGpu::ensureFormatPrograms(core::TensorFormat f) {
  if (auto st = m_env.context->supports(GpuPath::Compute); !st) return st;
  const std::string fmt = "#define FORMAT_N " + std::to_string(int(f)) + "\n";
  for (int stage = 0; stage < 2; ++stage) {
    const ProgramDesc desc{formatsProgram("quantize_blockwise_formats", f, stage),
                           {{ShaderStage::Compute, "quantize_blockwise_formats.comp"}},
                           fmt + "#define STAGE " + std::to_string(stage) + "\n"};
    if (auto st = m_env.shaders->ensure(desc); !st) return st;
  }
  const ProgramDesc dq{formatsProgram("dequantize_blockwise_formats", f, 0),
                       {{ShaderStage::Compute, "dequantize_blockwise_formats.comp"}}, fmt};
  return m_env.shaders->ensure(dq);
}

Status BlockwiseQuantizerGpu::runQuantizeFormats(std::size_t n, const core::BlockwiseSettings& s) {
  const core::TensorFormat f = s.format;
  if (auto st = ensureFormatPrograms(f); !st) return st;
  const std::size_t bs = blocksizeOf(s), nb = (n + bs - 1) / bs, words = (n + 7) / 8;
  reserveBuffer(m_stats, m_statsCap, std::max<std::size_t>(8, nb * 8));
  reserveBuffer(m_consts, m_constsCap, std::max<std::size_t>(8, nb * 8));
  reserveBuffer(m_codes, m_codesCap, std::max<std::size_t>(8, words * 8));
  reserveBuffer(m_packed, m_packedCap, std::max<std::size_t>(4, words * 4));
  m_hostAbsmax.assign(nb, 0.0f);
  m_hostZeroPoint.assign(isUInt(f) ? nb : 0, 0.0f);
  if (n == 0) return {};
  ProgramGuard guard;
  GLuint prog = m_env.shaders->program(formatsProgram("quantize_blockwise_formats", f, 0));
  glUseProgram(prog);
  setUniform(prog, "u_n", GLuint(n));
  setUniform(prog, "u_blockShift", log2u(bs));
  glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 0, m_x.id());
  glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 1, m_stats.id());
  dispatch(prog, nb);
  const std::vector<float> stats = readBuffer<float>(m_stats, nb * 2);
  // The block constants, computed as core's per-format quantizers do.
  std::vector<float> consts(nb * 2, 0.0f);
  for (std::size_t b = 0; b < nb; ++b) {
    const float s0 = stats[2 * b], s1 = stats[2 * b + 1];
    float inv = 0.0f, zp = 0.0f;
    if (isInt(f)) {
      const float scale = s0 / symmetricMax(f);
      inv = scale > 0.0f ? 1.0f / scale : 0.0f;
      m_hostAbsmax[b] = s0;
    } else if (isUInt(f)) {
      const float levels = float((1 << core::formatCodeBits(f)) - 1);
      const float scale = float((double(s1) - double(s0)) / double(levels));
      inv = scale > 0.0f ? 1.0f / scale : 0.0f;
      zp = std::clamp(std::nearbyint(-s0 * inv), 0.0f, levels);
      m_hostAbsmax[b] = scale;
      m_hostZeroPoint[b] = zp;
    } else if (f == core::TensorFormat::FP8E4M3 || f == core::TensorFormat::FP8E5M2) {
      const float scale = s0 / (f == core::TensorFormat::FP8E4M3 ? 448.0f : 57344.0f);
      inv = scale > 0.0f ? 1.0f / scale : 0.0f;
      m_hostAbsmax[b] = scale;
    } else {
      const bool q8 = f == core::TensorFormat::Q8_0;
      const float d = q8 ? s0 / 127.0f : s1 / -8.0f;
      inv = d != 0.0f ? 1.0f / d : 0.0f;
      const float dh = core::roundToHalf(d);
      if (!std::isfinite(dh)) {
        glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 0, 0);
        glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 1, 0);
        return core::fail(std::string(q8 ? "q8_0" : "q4_0") + " stores its block scale as fp16: block " +
                          std::to_string(b) + " needs scale " + std::to_string(d) +
                          ", beyond fp16's 65504 (values too large for this format)");
      }
      m_hostAbsmax[b] = dh;
    }
    consts[2 * b] = inv;
    consts[2 * b + 1] = zp;
  }
  writeBuffer(m_consts, consts.data(), nb * 8);
  // Odd length: the pad value 0.0 under the last block's constants (int4, q4_0: 8; uint4: its zero point).
  GLuint pad = 8;
  if (f == core::TensorFormat::UInt4) pad = GLuint(m_hostZeroPoint.back());
  prog = m_env.shaders->program(formatsProgram("quantize_blockwise_formats", f, 1));
  glUseProgram(prog);
  setUniform(prog, "u_n", GLuint(n));
  setUniform(prog, "u_blockShift", log2u(bs));
  setUniform(prog, "u_padCode", pad);
  glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 2, m_consts.id());
  glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 3, m_codes.id());
  glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 4, m_packed.id());
  dispatch(prog, words);
  for (GLuint i = 0; i <= 4; ++i) glBindBufferBase(GL_SHADER_STORAGE_BUFFER, i, 0);
  return m_env.context->checkErrors("blockwise quantizer (formats)");
}

Status BlockwiseQuantizerGpu::dequantizeFormats(const core::QuantizedTensor& q, float* out) {
  const core::TensorFormat f = q.format;
  if (auto st = ensureFormatPrograms(f); !st) return st;
  const std::size_t n = q.n, bs = std::size_t(q.blocksize), nb = (n + bs - 1) / bs;
  if (n == 0) return {};
  if (q.absmax.size() < nb || (isUInt(f) && q.zeroPoint.size() < nb))
    return core::fail("quantized tensor lacks per-block scales");
  // As the core: the codes when it holds n of them, else the packed nibbles.
  std::vector<std::uint8_t> codes;
  const std::uint8_t* src = q.codes.data();
  if (q.codes.size() != n) {
    if (core::formatCodeBits(f) != 4 || q.packed.size() < (n + 1) / 2)
      return core::fail("quantized tensor holds neither n codes nor the packed nibbles");
    codes.resize(n);
    for (std::size_t i = 0; i < n; ++i)
      codes[i] = std::uint8_t((i & 1) ? (q.packed[i / 2] & 15u) : (q.packed[i / 2] >> 4));
    src = codes.data();
  }
  std::vector<float> consts(nb * 2, 0.0f);
  for (std::size_t b = 0; b < nb; ++b) {
    consts[2 * b] = isInt(f) ? q.absmax[b] / symmetricMax(f) : q.absmax[b];  // int formats store the absmax
    consts[2 * b + 1] = isUInt(f) ? q.zeroPoint[b] : 0.0f;
  }
  const std::size_t words = (n + 3) / 4;
  reserveBuffer(m_codes, m_codesCap, words * 4);
  writeBuffer(m_codes, src, n);
  reserveBuffer(m_consts, m_constsCap, nb * 8);
  writeBuffer(m_consts, consts.data(), nb * 8);
  reserveBuffer(m_out, m_outCap, n * 4);
  ProgramGuard guard;
  const GLuint prog = m_env.shaders->program(formatsProgram("dequantize_blockwise_formats", f, 0));
  glUseProgram(prog);
  setUniform(prog, "u_n", GLuint(n));
  setUniform(prog, "u_blockShift", log2u(bs));
  if (f == core::TensorFormat::FP8E4M3 || f == core::TensorFormat::FP8E5M2)
    setUniformArray(prog, "u_fp8", core::fp8Values(f).data(), 256);
  glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 0, m_codes.id());
  glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 1, m_consts.id());
  glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 2, m_out.id());
  dispatch(prog, words);
  for (GLuint i = 0; i <= 2; ++i) glBindBufferBase(GL_SHADER_STORAGE_BUFFER, i, 0);
  if (auto st = m_env.context->checkErrors("blockwise dequantizer (formats)"); !st) return st;
  readBuffer(m_out, out, n * 4);
  return {};
}

}  // namespace qviz::gpu
