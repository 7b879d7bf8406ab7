// Every format of the table on one tensor (quant/format_sweep.hpp): each row quantized and
// dequantized on the CPU with the same functions the rest of the core uses, measured with
// formatStats, and the Pareto front of bits per weight against SQNR marked.
#include "quant/format_sweep.hpp"

#include <string>

namespace qviz::core {
namespace {

std::string rowLabel(const FormatDesc& d, const BlockwiseSettings& s) {
  std::string label = d.name;
  if (!d.fixedBlocksize) label += " bs" + std::to_string(s.blocksize);
  if (s.doubleQuant) label += " dq";
  return label;
}

// The settings of every row, in table order: format, then blocksize, then double quantization.
std::vector<BlockwiseSettings> sweepSettings(const SweepOptions& o) {
  std::vector<BlockwiseSettings> out;
  for (const FormatDesc& d : tensorFormats()) {
    std::vector<int> sizes;
    if (d.fixedBlocksize) sizes.push_back(d.fixedBlocksize);
    else sizes = o.blocksizes;
    for (int bs : sizes)
      for (int dq = 0; dq < (o.doubleQuant && d.doubleQuant ? 2 : 1); ++dq) {
        BlockwiseSettings s;
        s.format = d.format;
        s.blocksize = bs;
        s.doubleQuant = dq == 1;
        s.rowLength = o.rowLength;
        out.push_back(s);
      }
  }
  return out;
}

}  // namespace

std::vector<SweepRow> sweepFormats(const float* x, std::size_t n, const SweepOptions& options,
                                   const std::atomic<bool>* cancel) {
  std::vector<SweepRow> rows;
  QuantizedTensor q;
  std::vector<std::uint8_t> blocks;
  std::vector<float> dequant(n);
  for (const BlockwiseSettings& s : sweepSettings(options)) {
    if (cancel && cancel->load(std::memory_order_relaxed)) break;
    const FormatDesc& d = formatDesc(s.format);
    SweepRow row;
    row.settings = s;
    row.label = rowLabel(d, s);
    row.bitsPerWeight = bitsPerParam(s, n);
    // Raw formats straight through their blocks (no per-value codes needed); the others through
    // the per-value codes and constants.
    Status st = validateBlockwiseShape(s, n);
    if (st && d.isRaw()) {
      st = quantizeRawBlocks(x, n, s, blocks);
      if (st) st = dequantizeRawBlocks(blocks.data(), blocks.size(), n, s, dequant.data());
    } else if (st) {
      st = quantizeBlockwiseInto(x, n, s, q);
      if (st) dequantizeBlockwise(q, dequant.data());
    }
    if (!st) {
      row.error = st.error();
    } else {
      const FormatStats fs = formatStats(x, dequant.data(), n, s);
      row.ok = true;
      row.bitsPerWeight = fs.bitsPerParam;
      row.rmse = fs.rmse;
      row.sqnrDb = fs.sqnrDb;
      row.maxAbsError = fs.maxAbsError;
    }
    rows.push_back(std::move(row));
  }
  markPareto(rows);
  return rows;
}

void markPareto(std::vector<SweepRow>& rows) {
  for (SweepRow& r : rows) {
    r.pareto = false;
    if (!r.ok) continue;
    bool dominated = false;
    for (const SweepRow& o : rows) {
      if (&o == &r || !o.ok) continue;
      // o is at least as good in both and better in one (equal rows do not dominate each other).
      if (o.bitsPerWeight <= r.bitsPerWeight && o.sqnrDb >= r.sqnrDb &&
          (o.bitsPerWeight < r.bitsPerWeight || o.sqnrDb > r.sqnrDb)) {
        dominated = true;
        break;
      }
    }
    r.pareto = !dominated;
  }
}

}  // namespace qviz::core
