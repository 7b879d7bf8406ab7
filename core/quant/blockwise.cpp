// The block-wise quantizer over the format table (quant/format_table.hpp): validation, buffers,
// the generic block loop (statistics, constants, codes, nibble packing) and dequantization. The
// formats themselves are in quant/formats/ (contracts: docs/numeric-contracts.md).
#include "quant/blockwise.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "quant/formats/family.hpp"
#include "util/parallel.hpp"

namespace qviz::core {
namespace {

// Block b = x[b * bs, ...): statistics, constants, codes (the formats without their own loop).
Status quantizeByBlocks(const float* x, std::size_t n, const FormatDesc& d, std::size_t bs, QuantizedTensor& q) {
  if (const std::size_t i = formats::firstNonFinite(x, n); i < n) return formats::nonFiniteError(x, i);
  const std::size_t nb = q.absmax.size();
  std::vector<Status> status(nb);
  parallelFor(nb, std::max<std::size_t>(1, 65536 / bs), [&](std::size_t b0, std::size_t b1) {
    for (std::size_t b = b0; b < b1; ++b) {
      const std::size_t first = b * bs, count = std::min(bs, n - first);
      BlockConstants k;
      if (Status st = d.constants(blockStats(d.stat, x + first, count), b, k); !st) {
        status[b] = std::move(st);
        continue;
      }
      q.absmax[b] = k.stored;
      if (d.zeroPoint) q.zeroPoint[b] = k.zeroPoint;
      d.encodeBlock(x + first, count, k, q.codes.data() + first);
    }
  });
  for (const Status& st : status)
    if (!st) return st;
  if (!q.packed.empty()) {
    // Odd length: the padded value is 0.0, coded with the last block's constants.
    const std::uint8_t pad = d.padCode(d.decodeConstants(q.absmax.back(), d.zeroPoint ? q.zeroPoint.back() : 0.0f));
    for (std::size_t j = 0; j < q.packed.size(); ++j) {
      const std::uint8_t hi = q.codes[2 * j], lo = 2 * j + 1 < n ? q.codes[2 * j + 1] : pad;
      q.packed[j] = std::uint8_t(hi << 4 | lo);
    }
  }
  return {};
}

void dequantizeByBlocks(const QuantizedTensor& q, const FormatDesc& d, const float* scales, float* out) {
  const std::size_t n = q.n, bs = std::size_t(q.blocksize), nb = (n + bs - 1) / bs;
  const bool fromCodes = q.codes.size() == n;
  parallelFor(nb, std::max<std::size_t>(1, 65536 / bs), [&](std::size_t b0, std::size_t b1) {
    std::vector<std::uint8_t> unpacked(fromCodes ? 0 : bs);
    for (std::size_t b = b0; b < b1; ++b) {
      const std::size_t first = b * bs, count = std::min(bs, n - first);
      const BlockConstants k = d.decodeConstants(scales[b], q.zeroPoint.size() == nb ? q.zeroPoint[b] : 0.0f);
      const std::uint8_t* codes = q.codes.data() + (fromCodes ? first : 0);
      if (!fromCodes) {
        for (std::size_t i = 0; i < count; ++i) {
          const std::size_t j = first + i;
          unpacked[i] = std::uint8_t((j & 1) ? (q.packed[j / 2] & 15u) : (q.packed[j / 2] >> 4));
        }
        codes = unpacked.data();
      }
      d.decodeBlock(codes, count, k, out + first);
    }
  });
}

}  // namespace

const char* tensorFormatName(TensorFormat f) {
  const FormatDesc* d = findFormat(f);
  return d ? d->name : "?";
}

bool parseTensorFormat(const std::string& s, TensorFormat& out) {
  const FormatDesc* d = findFormat(s);
  if (d) out = d->format;
  return d != nullptr;
}

int formatCodeBits(TensorFormat f) {
  const FormatDesc* d = findFormat(f);
  return d ? d->codeBits : 8;
}

Status validateBlockwise(const BlockwiseSettings& s) {
  const FormatDesc* d = findFormat(s.format);
  if (!d) return fail("unknown tensor format");
  if (!d->fixedBlocksize) {
    const int bs = s.blocksize;
    if (bs < kMinBlocksize || bs > kMaxBlocksize || (bs & (bs - 1)) != 0)
      return fail("blocksize must be a power of two from " + std::to_string(kMinBlocksize) + " to " +
                  std::to_string(kMaxBlocksize) + ", got " + std::to_string(bs));
  }
  if (s.doubleQuant && !d->doubleQuant) {
    std::string allowed;
    for (const FormatDesc& f : tensorFormats())
      if (f.doubleQuant) allowed += (allowed.empty() ? "" : " and ") + std::string(f.name);
    return fail("double quantization applies to " + allowed + " only, not " + d->name);
  }
  return {};
}

std::size_t effectiveBlocksize(const BlockwiseSettings& s) { return std::size_t(formatDesc(s.format).blocksizeFor(s.blocksize)); }

std::size_t blockCount(const BlockwiseSettings& s, std::size_t n) {
  const std::size_t bs = effectiveBlocksize(s);
  return (n + bs - 1) / bs;
}

Status quantizeBlockwiseInto(const float* x, std::size_t n, const BlockwiseSettings& s, QuantizedTensor& q) {
  if (auto st = validateBlockwise(s); !st) return st;
  const FormatDesc& d = formatDesc(s.format);
  const std::size_t bs = effectiveBlocksize(s);
  const std::size_t nb = (n + bs - 1) / bs;
  q.format = s.format;
  q.blocksize = int(bs);
  q.doubleQuant = s.doubleQuant;
  q.n = n;
  q.codes.resize(n);
  q.packed.resize(d.codeBits == 4 ? (n + 1) / 2 : 0);
  q.absmax.resize(nb);
  q.zeroPoint.resize(d.zeroPoint ? nb : 0);
  q.offset = 0.0f;
  q.qabsmax.clear();
  q.absmax2.clear();
  q.absmaxDq.clear();
  return d.quantizeTensor ? d.quantizeTensor(x, n, d, bs, q) : quantizeByBlocks(x, n, d, bs, q);
}

Status quantizeBlockwiseRange(const float* x, std::size_t count, std::size_t first, const BlockwiseSettings& s,
                              QuantizedTensor& q) {
  BlockwiseSettings single = s;
  single.doubleQuant = false;
  if (auto st = quantizeBlockwiseInto(x, count, single, q); st || first == 0) return st;
  // The same refusal, named in the whole tensor: the first non-finite value, else the first block
  // whose constants fail (ggml: an fp16 scale that overflows), with its block number in the tensor.
  if (const std::size_t i = formats::firstNonFinite(x, count); i < count) return formats::nonFiniteError(x, i, first);
  const FormatDesc& d = formatDesc(s.format);
  const std::size_t bs = effectiveBlocksize(s);
  if (d.constants) {
    for (std::size_t b = 0; b * bs < count; ++b) {
      BlockConstants k;
      if (Status st = d.constants(blockStats(d.stat, x + b * bs, std::min(bs, count - b * bs)), first / bs + b, k); !st)
        return st;
    }
  }
  return quantizeBlockwiseInto(x, count, single, q);  // (not reached: the failure was one of those)
}

Result<QuantizedTensor> quantizeBlockwise(const float* x, std::size_t n, const BlockwiseSettings& s) {
  QuantizedTensor q;
  if (auto st = quantizeBlockwiseInto(x, n, s, q); !st) return fail(st.error());
  return q;
}

CodeUse codeUse(const QuantizedTensor& q) {
  CodeUse u;
  const int codeBits = formatCodeBits(q.format);
  u.counts.assign(std::size_t(1) << codeBits, 0);
  const std::size_t n = q.n;
  if (q.codes.size() == n) {
    for (std::uint8_t c : q.codes) ++u.counts[c & (u.counts.size() - 1)];
  } else if (codeBits == 4 && q.packed.size() >= (n + 1) / 2) {
    for (std::size_t i = 0; i < n; ++i) ++u.counts[std::size_t(i % 2 ? q.packed[i / 2] & 0xF : q.packed[i / 2] >> 4)];
  } else {
    return u;  // malformed: nothing counted
  }
  u.total = n;
  return u;
}

void dequantizeBlockwise(const QuantizedTensor& q, float* out) {
  const std::size_t n = q.n, bs = std::size_t(q.blocksize);
  if (n == 0 || bs == 0) return;
  const std::size_t nb = (n + bs - 1) / bs;
  const FormatDesc* d = findFormat(q.format);
  const bool fromCodes = q.codes.size() == n;
  // Without n codes only 4-bit packed bytes can be read; anything else is a malformed tensor:
  // zeros rather than reading past the buffers.
  const bool packedOk = d && d->codeBits == 4 && q.packed.size() >= (n + 1) / 2;
  const bool scalesOk = q.absmax.size() >= nb && (!q.doubleQuant || q.absmaxDq.size() >= nb || q.absmaxDq.empty());
  if (!d || (!fromCodes && !packedOk) || !scalesOk) {
    std::fill(out, out + n, 0.0f);
    return;
  }
  const bool dq = d->doubleQuant && q.doubleQuant && q.absmaxDq.size() == nb;
  const float* scales = dq ? q.absmaxDq.data() : q.absmax.data();
  if (d->dequantizeTensor) d->dequantizeTensor(q, *d, scales, out);
  else dequantizeByBlocks(q, *d, scales, out);
}

double bitsPerParam(const BlockwiseSettings& s, std::size_t n) {
  const FormatDesc& d = formatDesc(s.format);
  const double codeBits = d.codeBits;
  const double bs = double(effectiveBlocksize(s));
  const bool dq = s.doubleQuant && d.doubleQuant;
  const double perBlock = d.constantBitsPerBlock(dq);  // with dq: absmax2 per 256 blocks and the offset besides
  if (n == 0) return codeBits + perBlock / bs + (dq ? 32.0 / (bs * 256.0) : 0.0);  // large-n limit
  const double blocks = std::ceil(double(n) / bs);
  double bits = std::ceil(double(n) * codeBits / 8.0) * 8.0 + blocks * perBlock;
  if (dq) bits += std::ceil(blocks / 256.0) * 32.0 + 32.0;
  return bits / double(n);
}

FormatStats formatStats(const float* x, const float* dequant, std::size_t n, const BlockwiseSettings& s) {
  FormatStats st;
  st.bitsPerParam = bitsPerParam(s, n);
  if (n == 0) return st;
  double sumErr = 0.0, sumSig = 0.0, maxErr = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double e = double(dequant[i]) - double(x[i]);
    sumErr += e * e;
    sumSig += double(x[i]) * double(x[i]);
    maxErr = std::max(maxErr, std::fabs(e));
  }
  st.mse = sumErr / double(n);
  st.rmse = std::sqrt(st.mse);
  st.maxAbsError = maxErr;
  st.sqnrDb = sumErr == 0.0 ? std::numeric_limits<double>::infinity() : 10.0 * std::log10(sumSig / sumErr);
  return st;
}

}  // namespace qviz::core
