// RawFormatGpu: moves the tensor and its blocks, builds the family programs and dispatches them.
// The numerics are the kernels' (shaders/raw_<family>.comp) and, on the CPU side, core's (shape
// checks, the refusal of non-finite values, the tensor scale).
#include "gpu/raw_kernels.hpp"

#include <algorithm>
#include <bit>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "tensor/tensor.hpp"

namespace qviz::gpu {

const std::vector<std::uint32_t>& log2RoundUpTable() {
  static const std::vector<std::uint32_t> table = [] {
    std::vector<std::uint32_t> t(277);
    for (int k = -149; k <= 127; ++k) {
      // The binade's patterns: [2^k, 2^(k+1)) as uint32 bit patterns (positive floats order as their bits).
      const std::uint32_t lo = k < -126 ? (1u << (k + 149)) : std::uint32_t(k + 127) << 23;
      const std::uint32_t hi = k < -127 ? (1u << (k + 150)) : std::uint32_t(k + 128) << 23;
      auto up = [k](std::uint32_t bits) {
        return std::floor(float(std::log2(double(std::bit_cast<float>(bits))))) >= float(k + 1);
      };
      // Smallest pattern in [lo, hi) that rounds up (log2 is monotonic); hi when none does.
      std::uint32_t a = lo, b = hi;
      while (a < b) {
        const std::uint32_t m = a + (b - a) / 2;
        if (up(m)) b = m;
        else a = m + 1;
      }
      t[std::size_t(k + 149)] = a;
    }
    return t;
  }();
  return table;
}

std::string RawFormatGpu::kernelFile(const core::FormatDesc& d) { return std::string("raw_") + d.family + ".comp"; }

std::string RawFormatGpu::formatDefine(const core::FormatDesc& d) {
  std::string s = "FMT_";
  for (const char* p = d.name; *p; ++p) s += *p == '-' ? '_' : char(std::toupper(static_cast<unsigned char>(*p)));
  return s;
}

bool RawFormatGpu::hasKernel(const ShaderLibrary& shaders, const core::FormatDesc& d) {
  std::error_code ec;
  return d.hasRawBlocks() && std::filesystem::is_regular_file(std::filesystem::path(shaders.dir()) / kernelFile(d), ec);
}

Result<RawFormatGpu::Layout> RawFormatGpu::layoutFor(const core::BlockwiseSettings& s, std::size_t n) const {
  if (auto st = core::validateBlockwiseShape(s, n); !st) return core::fail(st.error());
  const core::FormatDesc& d = core::formatDesc(s.format);
  if (!d.hasRawBlocks()) return core::fail(std::string(d.name) + " has no raw block layout");
  if (!hasKernel(*m_env.shaders, d))
    return core::fail(std::string(d.name) + ": no GPU kernel (" + kernelFile(d) + " is not in " + m_env.shaders->dir() + ")");
  const core::RawCodec& r = d.raw;
  Layout L;
  L.n = n;
  L.blockValues = std::size_t(r.blockValues);
  L.blockBytes = std::size_t(r.blockBytes);
  L.headerBytes = std::size_t(r.headerBytes);
  L.rowLength = r.rows == core::RowRule::Flat || s.rowLength == 0 ? n : s.rowLength;
  L.rows = L.rowLength ? n / L.rowLength : 0;
  L.blocksPerRow = (L.rowLength + L.blockValues - 1) / L.blockValues;
  L.blocks = L.rows * L.blocksPerRow;
  L.padded = L.rowLength % L.blockValues != 0;
  if (L.headerBytes != 0 && L.headerBytes != 4) return core::fail(std::string(d.name) + ": unsupported header");
  const std::size_t values = L.blocks * L.blockValues, bytes = L.headerBytes + L.blocks * L.blockBytes;
  if (values > (std::size_t(1) << 31) || bytes > (std::size_t(1) << 31))
    return core::fail("tensor too large for the GPU kernels (2^31 values at most)");
  GLint64 maxBlock = 0;
  glGetInteger64v(GL_MAX_SHADER_STORAGE_BLOCK_SIZE, &maxBlock);
  if (maxBlock > 0 && double(values) * 4.0 > double(maxBlock))
    return core::fail("tensor of " + std::to_string(n) + " values exceeds this GPU's storage-buffer limit of " +
                      std::to_string(maxBlock / 4) + " float32 values; use the CPU backend");
  return L;
}

Status RawFormatGpu::ensureProgram(const core::FormatDesc& d, bool quantize, std::string& name) {
  if (auto st = m_env.context->supports(GpuPath::Compute); !st) return st;
  name = std::string("raw_") + d.family + (quantize ? ".quantize." : ".dequantize.") + d.name;
  const std::string prelude = std::string(quantize ? "#define QUANTIZE 1\n" : "#define DEQUANTIZE 1\n") + "#define " +
                              formatDefine(d) + " 1\n" + d.gpuDefines;
  return m_env.shaders->ensure(ProgramDesc{name, {{ShaderStage::Compute, kernelFile(d)}}, prelude});
}

void RawFormatGpu::bindLog2Table(GLuint prog) {
  const GLint loc = glGetUniformLocation(prog, "u_log2Up");
  if (loc < 0) return;  // kernels without a log2
  const std::vector<std::uint32_t>& t = log2RoundUpTable();
  glUniform1uiv(loc, GLsizei(t.size()), t.data());
}

void RawFormatGpu::dispatchBlocks(GLuint prog, std::size_t blocks) {
  setUniform(prog, "u_blocks", GLuint(blocks));
  setUniform(prog, "u_tensorScale", m_tensorScale);
  bindLog2Table(prog);
  glDispatchCompute(groupCount(blocks, 64, m_env.limits.maxGroups), 1, 1);
  barrierAfterCompute();
}

Status RawFormatGpu::upload(const float* x, std::size_t n, const core::BlockwiseSettings& s) {
  m_uploaded = m_quantized = false;
  auto L = layoutFor(s, n);
  if (!L) return core::fail(L.error());
  if (auto st = core::checkFinite(x, n); !st) return st;
  const core::FormatDesc& d = core::formatDesc(s.format);
  m_tensorScale = 0.0f;
  if (L->headerBytes == 4) {
    if (!d.raw.tensorScale) return core::fail(std::string(d.name) + ": the codec's tensor scale is missing");
    float amax = s.tensorAmax;
    if (amax < 0.0f) {
      amax = 0.0f;
      for (std::size_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(x[i]));
    }
    m_tensorScale = d.raw.tensorScale(amax);
  }
  const std::size_t values = L->blocks * L->blockValues;
  reserveBuffer(m_x, m_xCap, std::max<std::size_t>(4, values * 4));
  if (L->padded) {
    // Rows padded with 0.0 to whole blocks (RowRule::PadRows).
    m_padded.assign(values, 0.0f);
    for (std::size_t row = 0; row < L->rows; ++row)
      std::copy(x + row * L->rowLength, x + (row + 1) * L->rowLength, m_padded.begin() + std::ptrdiff_t(row * L->blocksPerRow * L->blockValues));
    if (values) writeBuffer(m_x, m_padded.data(), values * 4);
  } else if (values) {
    writeBuffer(m_x, x, values * 4);
  }
  m_settings = s;
  m_layout = *L;
  m_uploaded = true;
  return {};
}

Status RawFormatGpu::runQuantize() {
  if (!m_uploaded) return core::fail("RawFormatGpu::runQuantize before upload");
  const core::FormatDesc& d = core::formatDesc(m_settings.format);
  std::string name;
  if (auto st = ensureProgram(d, true, name); !st) return st;
  const Layout& L = m_layout;
  const std::size_t bytes = L.headerBytes + L.blocks * L.blockBytes, words = (bytes + 3) / 4;
  reserveBuffer(m_blocks, m_blocksCap, std::max<std::size_t>(4, words * 4));
  // Zeroed first (the kernels OR bytes in), the header written from the CPU.
  std::vector<std::uint32_t> init(std::max<std::size_t>(1, words), 0u);
  if (L.headerBytes == 4) std::memcpy(init.data(), &m_tensorScale, 4);
  writeBuffer(m_blocks, init.data(), init.size() * 4);
  m_quantized = true;
  if (L.blocks == 0) return {};
  ProgramGuard guard;
  const GLuint prog = m_env.shaders->program(name);
  glUseProgram(prog);
  glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 0, m_x.id());
  glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 1, m_blocks.id());
  dispatchBlocks(prog, L.blocks);
  glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 0, 0);
  glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 1, 0);
  return m_env.context->checkErrors((std::string("raw quantizer ") + d.name).c_str());
}

Status RawFormatGpu::runDequantize() {
  if (!m_quantized) return core::fail("RawFormatGpu::runDequantize without blocks on the device");
  const core::FormatDesc& d = core::formatDesc(m_settings.format);
  std::string name;
  if (auto st = ensureProgram(d, false, name); !st) return st;
  const Layout& L = m_layout;
  reserveBuffer(m_y, m_yCap, std::max<std::size_t>(4, L.blocks * L.blockValues * 4));
  if (L.blocks == 0) return {};
  ProgramGuard guard;
  const GLuint prog = m_env.shaders->program(name);
  glUseProgram(prog);
  glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 0, m_blocks.id());
  glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 1, m_y.id());
  dispatchBlocks(prog, L.blocks);
  glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 0, 0);
  glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 1, 0);
  return m_env.context->checkErrors((std::string("raw dequantizer ") + d.name).c_str());
}

std::vector<std::uint8_t> RawFormatGpu::readBlocks() {
  const std::size_t bytes = m_layout.headerBytes + m_layout.blocks * m_layout.blockBytes;
  std::vector<std::uint8_t> out(bytes);
  if (bytes) readBuffer(m_blocks, out.data(), bytes);
  return out;
}

void RawFormatGpu::readValues(float* out) {
  const Layout& L = m_layout;
  if (L.blocks == 0) return;
  if (!L.padded) {
    readBuffer(m_y, out, L.n * 4);
    return;
  }
  std::vector<float> all(L.blocks * L.blockValues);
  readBuffer(m_y, all.data(), all.size() * 4);
  for (std::size_t row = 0; row < L.rows; ++row) {
    const float* src = all.data() + row * L.blocksPerRow * L.blockValues;
    std::copy(src, src + L.rowLength, out + row * L.rowLength);
  }
}

Result<std::vector<std::uint8_t>> RawFormatGpu::quantize(const float* x, std::size_t n, const core::BlockwiseSettings& s) {
  if (auto st = upload(x, n, s); !st) return core::fail(st.error());
  if (auto st = runQuantize(); !st) return core::fail(st.error());
  return readBlocks();
}

Status RawFormatGpu::dequantize(const std::uint8_t* blocks, std::size_t bytes, std::size_t n,
                                const core::BlockwiseSettings& s, float* out) {
  m_uploaded = m_quantized = false;
  auto L = layoutFor(s, n);
  if (!L) return core::fail(L.error());
  const core::FormatDesc& d = core::formatDesc(s.format);
  const std::size_t want = L->headerBytes + L->blocks * L->blockBytes;
  if (bytes != want)
    return core::fail(std::string(d.name) + ": " + std::to_string(bytes) + " bytes of blocks for " + std::to_string(n) +
                      " values; expected " + std::to_string(want));
  m_settings = s;
  m_layout = *L;
  m_tensorScale = 0.0f;
  if (L->headerBytes == 4) std::memcpy(&m_tensorScale, blocks, 4);
  const std::size_t words = (bytes + 3) / 4;
  reserveBuffer(m_blocks, m_blocksCap, std::max<std::size_t>(4, words * 4));
  if (bytes) {
    std::vector<std::uint32_t> padded(words, 0u);
    std::memcpy(padded.data(), blocks, bytes);
    writeBuffer(m_blocks, padded.data(), words * 4);
  }
  m_quantized = true;
  if (auto st = runDequantize(); !st) return st;
  readValues(out);
  return {};
}

}  // namespace qviz::gpu
