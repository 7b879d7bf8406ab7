// BlockwiseQuantizerGpu: the GPU kernels of the block-wise formats, driven by core's format table
// (quant/format_table.hpp). Nothing numeric is derived here: the block constants (1/absmax, scales,
// zero points, fp16 d and its overflow message), the codebooks, the pad codes, the double-
// quantization offset and the kernels' #defines all come from core (FormatDesc and its functions);
// this file only moves data and picks the pipeline (FormatDesc::gpuKernel).
#include "gpu/tensor_kernels.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <string>

#include "tensor/tensor.hpp"

namespace qviz::gpu {
namespace {

const core::FormatDesc& descOf(core::TensorFormat f) { return core::formatDesc(f); }
bool isTable4(core::TensorFormat f) { return descOf(f).gpuKernel == core::GpuKernel::Codebook4; }

std::string programName(int stage) { return "quantize_blockwise.stage" + std::to_string(stage); }
constexpr const char* kDequantProgram = "dequantize_blockwise";

GLuint log2u(std::size_t v) { return GLuint(std::countr_zero(v)); }

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
  if (descOf(s.format).isRaw()) return core::fail("runQuantize: raw formats run through RawFormatGpu");
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
  const core::FormatDesc& d = descOf(s.format);
  for (std::size_t b = 0; b < nb; ++b) {
    core::BlockConstants k;
    if (auto st = d.constants({m_hostAbsmax[b], 0.0f}, b, k); !st) return st;
    m_hostAbsmax[b] = k.stored;
    m_hostInv[b] = k.inv;
  }
  writeBuffer(m_absmax, m_hostAbsmax.data(), nb * 4);
  writeBuffer(m_inv, m_hostInv.data(), nb * 4);
  // Stage 1: codes and packed nibbles.
  const core::Codebook& cb = *d.codebook;
  GLuint sortedToCode[16];
  for (std::size_t i = 0; i < 16; ++i) sortedToCode[i] = cb.sortedToCode[i];
  prog = m_env.shaders->program(programName(1));
  glUseProgram(prog);
  setUniform(prog, "u_n", GLuint(n));
  setUniform(prog, "u_blockShift", log2u(bs));
  setUniform(prog, "u_fullBlocks", GLuint(n / bs));
  setUniformArray(prog, "u_mids", cb.mids.data(), 15);
  glUniform1uiv(glGetUniformLocation(prog, "u_map"), 16, sortedToCode);
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
      const core::BlockConstants k = core::absmaxConstants(m_hostAbsmax2[b]);
      m_hostAbsmax2[b] = k.stored;
      m_hostInv2[b] = k.inv;
    }
    writeBuffer(m_absmax2, m_hostAbsmax2.data(), nb2 * 4);
    writeBuffer(m_inv2, m_hostInv2.data(), nb2 * 4);
    // Stage 3: 8-bit codes of (absmax - offset) and the absmax used to dequantize.
    const core::Codebook& dm = core::dynamicMapCodebook();
    prog = m_env.shaders->program(programName(3));
    glUseProgram(prog);
    setUniform(prog, "u_n", GLuint(nb));
    setUniform(prog, "u_offset", m_offset);
    setUniform(prog, "u_fullBlocks", GLuint(nb / 256));
    setUniformArray(prog, "u_dmids", dm.mids.data(), 255);
    setUniformArray(prog, "u_dmap", dm.sorted.data(), 256);
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 6, m_inv2.id());
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 7, m_qabsmax.id());
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 8, m_absmaxDq.id());
    dispatch(prog, nb);
  }
  for (GLuint i = 0; i <= 8; ++i) glBindBufferBase(GL_SHADER_STORAGE_BUFFER, i, 0);
  return m_env.context->checkErrors("blockwise quantizer");
}

void BlockwiseQuantizerGpu::readQuantized(std::size_t n, const core::BlockwiseSettings& s, core::QuantizedTensor& q) {
  const std::size_t bs = core::effectiveBlocksize(s), nb = (n + bs - 1) / bs;
  q = core::QuantizedTensor{};
  q.format = s.format;
  q.blocksize = int(bs);
  q.doubleQuant = s.doubleQuant;
  q.n = n;
  q.codes.assign(n, 0);
  q.packed.assign(core::formatCodeBits(s.format) == 4 ? (n + 1) / 2 : 0, 0);
  q.absmax = m_hostAbsmax;
  if (descOf(s.format).zeroPoint) q.zeroPoint = m_hostZeroPoint;
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

// Raw formats (and q8_0/q4_0's blocks): the GPU's blocks; for raw formats each value's code from
// them with the format's RawCodec::codes, block after block, a padded block's padding dropped (as
// core's quantizeRawInto).
Status BlockwiseQuantizerGpu::quantizeRaw(const float* x, std::size_t n, const core::BlockwiseSettings& s,
                                          core::QuantizedTensor& q) {
  const core::FormatDesc& d = descOf(s.format);
  auto blocks = m_raw.quantize(x, n, s);
  if (!blocks) return core::fail(blocks.error());
  q.blocks = std::move(*blocks);
  q.rowLength = s.rowLength;
  if (!d.isRaw()) return {};
  const core::RawCodec& r = d.raw;
  if (!r.codes) return core::fail(std::string(d.name) + ": the block codec is missing");
  const std::size_t bv = std::size_t(r.blockValues), bb = std::size_t(r.blockBytes);
  const std::size_t rowLength = r.rows == core::RowRule::Flat || s.rowLength == 0 ? n : s.rowLength;
  q.format = s.format;
  q.blocksize = int(bv);
  q.doubleQuant = s.doubleQuant;
  q.n = n;
  q.codes.assign(n, 0);
  q.packed.clear();
  q.absmax.clear();
  q.zeroPoint.clear();
  std::vector<std::uint8_t> one(bv);
  std::size_t b = 0;
  for (std::size_t i = 0; i < n; ++b) {
    const std::size_t m = std::min({bv, rowLength - i % rowLength, n - i});
    r.codes(q.blocks.data() + r.headerBytes + b * bb, one.data());
    std::copy(one.begin(), one.begin() + std::ptrdiff_t(m), q.codes.begin() + std::ptrdiff_t(i));
    i += m;
  }
  return {};
}

Result<core::QuantizedTensor> BlockwiseQuantizerGpu::quantize(const float* x, std::size_t n,
                                                             const core::BlockwiseSettings& s) {
  if (auto st = supports(s); !st) return core::fail(st.error());
  core::QuantizedTensor q;
  const core::FormatDesc& d = descOf(s.format);
  if (d.isRaw()) {
    if (auto st = quantizeRaw(x, n, s, q); !st) return core::fail(st.error());
    return q;
  }
  if (auto st = core::validateBlockwiseShape(s, n); !st) return core::fail(st.error());
  if (auto st = core::checkFinite(x, n); !st) return core::fail(st.error());
  if (auto st = upload(x, n); !st) return core::fail(st.error());
  if (auto st = runQuantize(n, s); !st) return core::fail(st.error());
  readQuantized(n, s, q);
  q.rowLength = s.rowLength;
  // q8_0 and q4_0 also get their ggml blocks (blocks.bin), from raw_ggml_legacy.comp.
  if (d.hasRawBlocks())
    if (auto st = quantizeRaw(x, n, s, q); !st) return core::fail(st.error());
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
  const std::vector<float>& table = *descOf(s.format).values;
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
  if (descOf(q.format).isRaw()) {
    s.rowLength = q.rowLength;
    return m_raw.dequantize(q.blocks.data(), q.blocks.size(), q.n, s, out);
  }
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
  const std::string& fmt = descOf(f).gpuDefines;
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
  const core::FormatDesc& d = descOf(f);
  const std::size_t bs = core::effectiveBlocksize(s), nb = (n + bs - 1) / bs, words = (n + 7) / 8;
  reserveBuffer(m_stats, m_statsCap, std::max<std::size_t>(8, nb * 8));
  reserveBuffer(m_consts, m_constsCap, std::max<std::size_t>(8, nb * 8));
  reserveBuffer(m_codes, m_codesCap, std::max<std::size_t>(8, words * 8));
  reserveBuffer(m_packed, m_packedCap, std::max<std::size_t>(4, words * 4));
  m_hostAbsmax.assign(nb, 0.0f);
  m_hostZeroPoint.assign(d.zeroPoint ? nb : 0, 0.0f);
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
  // The block constants: the format's own function, as core's block loop calls it.
  std::vector<float> consts(nb * 2, 0.0f);
  core::BlockConstants k;
  for (std::size_t b = 0; b < nb; ++b) {
    if (auto st = d.constants({stats[2 * b], stats[2 * b + 1]}, b, k); !st) {
      glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 0, 0);
      glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 1, 0);
      return st;
    }
    m_hostAbsmax[b] = k.stored;
    if (d.zeroPoint) m_hostZeroPoint[b] = k.zeroPoint;
    consts[2 * b] = k.inv;
    consts[2 * b + 1] = k.zeroPoint;
  }
  writeBuffer(m_consts, consts.data(), nb * 8);
  // Odd length (4-bit formats): the pad value 0.0 under the last block's constants.
  const GLuint pad = d.padCode ? d.padCode(d.decodeConstants(k.stored, k.zeroPoint)) : 0u;
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
  const core::FormatDesc& d = descOf(f);
  if (q.absmax.size() < nb || (d.zeroPoint && q.zeroPoint.size() < nb))
    return core::fail("quantized tensor lacks per-block scales");
  // As the core: the codes when it holds n of them, else the packed nibbles.
  std::vector<std::uint8_t> codes;
  const std::uint8_t* src = q.codes.data();
  if (q.codes.size() != n) {
    if (d.codeBits != 4 || q.packed.size() < (n + 1) / 2)
      return core::fail("quantized tensor holds neither n codes nor the packed nibbles");
    codes.resize(n);
    for (std::size_t i = 0; i < n; ++i)
      codes[i] = std::uint8_t((i & 1) ? (q.packed[i / 2] & 15u) : (q.packed[i / 2] >> 4));
    src = codes.data();
  }
  std::vector<float> consts(nb * 2, 0.0f);
  for (std::size_t b = 0; b < nb; ++b) {
    const core::BlockConstants k = d.decodeConstants(q.absmax[b], d.zeroPoint ? q.zeroPoint[b] : 0.0f);
    consts[2 * b] = k.step;
    consts[2 * b + 1] = k.zeroPoint;
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
  if (d.values) setUniformArray(prog, "u_values", d.values->data(), int(d.values->size()));
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
