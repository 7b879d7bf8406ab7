// The block-wise quantizer over the format table (quant/format_table.hpp): validation, buffers,
// the generic block loop (statistics, constants, codes, nibble packing) and dequantization. The
// formats themselves are in quant/formats/ (contracts: docs/numeric-contracts.md).
#include "quant/blockwise.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
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

// ---- Raw block formats ---------------------------------------------------------------------

namespace {

struct RowGeometry {
  std::size_t rowLength = 0, rows = 0, blocksPerRow = 0;
};

RowGeometry geometry(const RawCodec& r, const BlockwiseSettings& s, std::size_t n) {
  RowGeometry g;
  const std::size_t bv = std::size_t(r.blockValues);
  g.rowLength = r.rows == RowRule::Flat || s.rowLength == 0 ? n : s.rowLength;
  g.rows = g.rowLength ? n / g.rowLength : 0;
  g.blocksPerRow = (g.rowLength + bv - 1) / bv;
  return g;
}

float rawTensorScaleOf(const RawCodec& r, const float* x, std::size_t n, float given) {
  if (!r.tensorScale) return 0.0f;
  float amax = given;
  if (amax < 0.0f) {
    amax = 0.0f;
    for (std::size_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(x[i]));
  }
  return r.tensorScale(amax);
}

void writeHeader(const RawCodec& r, float tensorScale, std::uint8_t* out) {
  if (r.headerBytes == 4) std::memcpy(out, &tensorScale, 4);  // little-endian hosts only (x86-64, aarch64)
}
float readHeader(const RawCodec& r, const std::uint8_t* in) {
  float ts = 0.0f;
  if (r.headerBytes == 4) std::memcpy(&ts, in, 4);
  return ts;
}

// Quantizes the values [first, first + count) of a tensor of rows of g.rowLength into consecutive
// blocks at `out` (no header). `first` is a block boundary inside its row.
Status quantizeRawSpan(const RawCodec& r, const RowGeometry& g, const float* x, std::size_t count, std::size_t first,
                       float ts, std::uint8_t* out) {
  const std::size_t bv = std::size_t(r.blockValues), bb = std::size_t(r.blockBytes);
  if (g.rowLength == 0 || (first % g.rowLength) % bv != 0) return fail("raw range does not start at a block boundary");
  // Whole blocks in runs (a row's full blocks, or the whole flat tensor), partial ones padded.
  struct Run {
    std::size_t src, dst, blocks;  // value offset in x, byte offset in out, whole blocks
    std::size_t partial;           // values of a padded block after the run (0: none)
  };
  std::vector<Run> runs;
  std::size_t i = 0, o = 0;
  while (i < count) {
    const std::size_t inRow = (first + i) % g.rowLength, rowLeft = g.rowLength - inRow;
    const std::size_t take = std::min(rowLeft, count - i);
    const std::size_t whole = take / bv, rest = take % bv;
    if (rest && take != rowLeft) return fail("raw range does not end at a block boundary");
    runs.push_back({i, o, whole, rest});
    i += take;
    o += (whole + (rest ? 1 : 0)) * bb;
  }
  // One run: its blocks split across the threads (at least one item, for a run that is only a
  // padded block: fewer values than one block).
  const std::size_t items = runs.size() == 1 ? std::max<std::size_t>(runs[0].blocks, 1) : runs.size();
  parallelFor(items, 1, [&](std::size_t a, std::size_t b) {
    if (runs.size() == 1) {
      const Run& run = runs[0];
      if (a < run.blocks) r.quantize(x + run.src + a * bv, std::min(b, run.blocks) - a, ts, out + run.dst + a * bb);
      if (b == items && run.partial) {
        std::vector<float> pad(bv, 0.0f);
        std::copy(x + run.src + run.blocks * bv, x + run.src + run.blocks * bv + run.partial, pad.begin());
        r.quantize(pad.data(), 1, ts, out + run.dst + run.blocks * bb);
      }
      return;
    }
    std::vector<float> pad(bv);
    for (std::size_t k = a; k < b; ++k) {
      const Run& run = runs[k];
      if (run.blocks) r.quantize(x + run.src, run.blocks, ts, out + run.dst);
      if (run.partial) {
        std::fill(pad.begin(), pad.end(), 0.0f);
        std::copy(x + run.src + run.blocks * bv, x + run.src + run.blocks * bv + run.partial, pad.begin());
        r.quantize(pad.data(), 1, ts, out + run.dst + run.blocks * bb);
      }
    }
  });
  return {};
}

Status checkFinite(const float* x, std::size_t n, std::size_t offset) {
  if (const std::size_t i = formats::firstNonFinite(x, n); i < n) return formats::nonFiniteError(x, i, offset);
  return {};
}

}  // namespace

Status validateBlockwiseShape(const BlockwiseSettings& s, std::size_t n) {
  if (auto st = validateBlockwise(s); !st) return st;
  const FormatDesc& d = formatDesc(s.format);
  if (!d.isRaw()) return {};
  const RawCodec& r = d.raw;
  const std::size_t bv = std::size_t(r.blockValues);
  switch (r.rows) {
    case RowRule::Flat:
      if (n % bv != 0)
        return fail(std::string(d.name) + " quantizes the flattened tensor in blocks of " + std::to_string(bv) +
                    ", as ggml does, so the number of values must be a multiple of " + std::to_string(bv) + "; this tensor has " +
                    std::to_string(n) + " (" + std::to_string(n % bv) + " left over). ggml itself refuses such a tensor.");
      break;
    case RowRule::WholeRows: {
      const std::size_t row = s.rowLength ? s.rowLength : n;
      if (row % bv != 0)
        return fail(std::string(d.name) + " makes blocks of " + std::to_string(bv) +
                    " along the last axis, which must be a multiple of " + std::to_string(bv) + "; it is " + std::to_string(row));
      break;
    }
    case RowRule::PadRows: break;
  }
  if (s.rowLength && n % s.rowLength != 0)
    return fail("the row length " + std::to_string(s.rowLength) + " does not divide the " + std::to_string(n) + " values");
  return {};
}

std::size_t rawBlocksBytes(const BlockwiseSettings& s, std::size_t n) {
  const FormatDesc& d = formatDesc(s.format);
  if (!d.hasRawBlocks()) return 0;
  const RowGeometry g = geometry(d.raw, s, n);
  return std::size_t(d.raw.headerBytes) + g.rows * g.blocksPerRow * std::size_t(d.raw.blockBytes);
}

Status quantizeRawBlocks(const float* x, std::size_t n, const BlockwiseSettings& s, std::vector<std::uint8_t>& out) {
  if (auto st = validateBlockwiseShape(s, n); !st) return st;
  const FormatDesc& d = formatDesc(s.format);
  if (!d.hasRawBlocks() || !d.raw.quantize) return fail(std::string(d.name) + " has no raw block layout");
  if (auto st = checkFinite(x, n, 0); !st) return st;
  const RawCodec& r = d.raw;
  out.assign(rawBlocksBytes(s, n), 0);
  const float ts = rawTensorScaleOf(r, x, n, s.tensorAmax);
  writeHeader(r, ts, out.data());
  if (n == 0) return {};
  return quantizeRawSpan(r, geometry(r, s, n), x, n, 0, ts, out.data() + r.headerBytes);
}

Status dequantizeRawBlocks(const std::uint8_t* blocks, std::size_t bytes, std::size_t n, const BlockwiseSettings& s,
                           float* out) {
  const FormatDesc& d = formatDesc(s.format);
  if (!d.hasRawBlocks() || !d.raw.dequantize) return fail(std::string(d.name) + " has no raw block layout");
  if (bytes != rawBlocksBytes(s, n))
    return fail(std::string(d.name) + ": " + std::to_string(bytes) + " bytes of blocks for " + std::to_string(n) +
                " values; expected " + std::to_string(rawBlocksBytes(s, n)));
  const RawCodec& r = d.raw;
  const RowGeometry g = geometry(r, s, n);
  const float ts = readHeader(r, blocks);
  const std::size_t bv = std::size_t(r.blockValues), bb = std::size_t(r.blockBytes);
  const std::uint8_t* in = blocks + r.headerBytes;
  if (g.rowLength % bv == 0) {
    const std::size_t nb = n / bv;
    parallelFor(nb, std::max<std::size_t>(1, 16384 / bv),
                [&](std::size_t a, std::size_t b) { r.dequantize(in + a * bb, b - a, ts, out + a * bv); });
    return {};
  }
  parallelFor(g.rows, 1, [&](std::size_t a, std::size_t b) {
    std::vector<float> tmp(bv);
    for (std::size_t row = a; row < b; ++row) {
      const std::uint8_t* rb = in + row * g.blocksPerRow * bb;
      float* ro = out + row * g.rowLength;
      const std::size_t whole = g.rowLength / bv;
      if (whole) r.dequantize(rb, whole, ts, ro);
      r.dequantize(rb + whole * bb, 1, ts, tmp.data());
      std::copy(tmp.begin(), tmp.begin() + std::ptrdiff_t(g.rowLength - whole * bv), ro + whole * bv);
    }
  });
  return {};
}

Result<BlockView> inspectBlock(const QuantizedTensor& q, std::size_t block) {
  const FormatDesc* d = findFormat(q.format);
  if (!d || !d->hasRawBlocks() || !d->raw.inspect) return fail("this format has no block layout to inspect");
  const RawCodec& r = d->raw;
  const std::size_t bb = std::size_t(r.blockBytes);
  if (q.blocks.size() < std::size_t(r.headerBytes) || (q.blocks.size() - std::size_t(r.headerBytes)) / bb <= block)
    return fail("block " + std::to_string(block) + " is beyond the tensor's blocks");
  BlockView v;
  r.inspect(q.blocks.data() + r.headerBytes + block * bb, readHeader(r, q.blocks.data()), v);
  return v;
}

namespace {

Status quantizeRawInto(const float* x, std::size_t n, std::size_t first, const BlockwiseSettings& s,
                       const FormatDesc& d, QuantizedTensor& q) {
  const RawCodec& r = d.raw;
  if (!r.quantize || !r.codes) return fail(std::string(d.name) + ": the block codec is missing");
  if (auto st = checkFinite(x, n, first); !st) return st;
  const RowGeometry g = geometry(r, s, first + n);
  // The range's own blocks: the rows it covers (for a range, the row structure of the whole tensor).
  const std::size_t bv = std::size_t(r.blockValues), bb = std::size_t(r.blockBytes);
  std::size_t blocks = 0;
  for (std::size_t i = 0; i < n;) {
    const std::size_t inRow = (first + i) % g.rowLength, take = std::min(g.rowLength - inRow, n - i);
    blocks += (take + bv - 1) / bv;
    i += take;
  }
  const float ts = rawTensorScaleOf(r, x, n, s.tensorAmax);
  q.blocks.assign(std::size_t(r.headerBytes) + blocks * bb, 0);
  writeHeader(r, ts, q.blocks.data());
  if (auto st = quantizeRawSpan(r, g, x, n, first, ts, q.blocks.data() + r.headerBytes); !st) return st;
  q.rowLength = s.rowLength;
  if (d.isRaw()) {
    // Each value's code, block after block (a partial block's padding dropped).
    q.codes.resize(n);
    std::vector<std::uint8_t> one(bv);
    std::size_t b = 0;
    for (std::size_t i = 0; i < n; ++b) {
      const std::size_t inRow = (first + i) % g.rowLength, m = std::min({bv, g.rowLength - inRow, n - i});
      r.codes(q.blocks.data() + r.headerBytes + b * bb, one.data());
      std::copy(one.begin(), one.begin() + std::ptrdiff_t(m), q.codes.begin() + std::ptrdiff_t(i));
      i += m;
    }
  }
  return {};
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
  if (auto st = validateBlockwiseShape(s, n); !st) return st;
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
  q.blocks.clear();
  q.rowLength = s.rowLength;
  if (d.isRaw()) {
    q.packed.clear();
    q.absmax.clear();
    return quantizeRawInto(x, n, 0, s, d, q);
  }
  if (Status st = d.quantizeTensor ? d.quantizeTensor(x, n, d, bs, q) : quantizeByBlocks(x, n, d, bs, q); !st) return st;
  // q8_0 and q4_0 also get their ggml blocks (blocks.bin).
  return d.hasRawBlocks() ? quantizeRawInto(x, n, 0, s, d, q) : Status{};
}

Status quantizeBlockwiseRange(const float* x, std::size_t count, std::size_t first, const BlockwiseSettings& s,
                              QuantizedTensor& q) {
  BlockwiseSettings single = s;
  single.doubleQuant = false;
  if (const FormatDesc& d = formatDesc(s.format); d.isRaw()) {
    if (auto st = validateBlockwise(s); !st) return st;
    q.format = s.format;
    q.blocksize = d.raw.blockValues;
    q.doubleQuant = false;
    q.n = count;
    q.packed.clear();
    q.absmax.clear();
    q.zeroPoint.clear();
    return quantizeRawInto(x, count, first, s, d, q);
  }
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
  if (d && d->isRaw()) {
    BlockwiseSettings s;
    s.format = q.format;
    s.rowLength = q.rowLength;
    // A malformed tensor (blocks of the wrong size) gives zeros.
    if (!dequantizeRawBlocks(q.blocks.data(), q.blocks.size(), n, s, out)) std::fill(out, out + n, 0.0f);
    return;
  }
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
  if (d.isRaw()) {
    // Every stored byte: blocks (padding of MX rows included) and the header.
    const RawCodec& r = d.raw;
    if (n == 0) return double(r.blockBytes) * 8.0 / double(r.blockValues);  // large-n limit
    return double(rawBlocksBytes(s, n)) * 8.0 / double(n);
  }
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
