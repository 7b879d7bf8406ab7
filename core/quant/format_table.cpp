// The format table: the families' entries in TensorFormat order, with the GLSL defines every
// format shares (CODE_BITS, the block statistic) put in front of the family's own.
#include "quant/format_table.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>

#include "quant/formats/family.hpp"

namespace qviz::core {

BlockStats blockStats(BlockStat kind, const float* x, std::size_t count) {
  BlockStats st;
  switch (kind) {
    case BlockStat::Absmax:
      for (std::size_t i = 0; i < count; ++i) st.s0 = std::max(st.s0, std::fabs(x[i]));
      break;
    case BlockStat::MinMax:
      for (std::size_t i = 0; i < count; ++i) {
        st.s0 = std::min(st.s0, x[i]);
        st.s1 = std::max(st.s1, x[i]);
      }
      break;
    case BlockStat::FirstAbsmax:
      for (std::size_t i = 0; i < count; ++i)
        if (st.s0 < std::fabs(x[i])) {
          st.s0 = std::fabs(x[i]);
          st.s1 = x[i];
        }
      break;
  }
  return st;
}

Codebook makeCodebook(const std::vector<float>& table) {
  Codebook cb;
  cb.values = table;
  std::vector<std::uint8_t> order(table.size());
  std::iota(order.begin(), order.end(), std::uint8_t(0));
  // Stable: FP4's +0 (code 0) sorts before -0 (code 8), as in the reference.
  std::stable_sort(order.begin(), order.end(), [&](std::uint8_t a, std::uint8_t b) { return table[a] < table[b]; });
  cb.sortedToCode = order;
  for (std::uint8_t c : order) cb.sorted.push_back(table[c]);
  for (std::size_t i = 0; i + 1 < order.size(); ++i)
    cb.mids.push_back(float((double(table[order[i]]) + double(table[order[i + 1]])) * 0.5));
  if (table.size() == 16)
    for (std::uint32_t i = 0; i < 8; ++i) {
      cb.mapLo |= std::uint32_t(order[i]) << (4 * i);
      cb.mapHi |= std::uint32_t(order[i + 8]) << (4 * i);
    }
  cb.zeroCode = cb.codeOf(0.0f);
  return cb;
}

namespace {

const char* statDefine(BlockStat s) {
  switch (s) {
    case BlockStat::Absmax: return "STAT_ABSMAX";
    case BlockStat::MinMax: return "STAT_MINMAX";
    case BlockStat::FirstAbsmax: return "STAT_FIRST_ABSMAX";
  }
  return "STAT_ABSMAX";
}

std::vector<FormatDesc> buildTable() {
  std::vector<FormatDesc> all;
  for (auto family : kFormatFamilies)
    for (FormatDesc& d : family()) all.push_back(std::move(d));
  std::vector<FormatDesc> table(all.size());
  std::vector<bool> seen(all.size(), false);
  for (FormatDesc& d : all) {
    const std::size_t i = std::size_t(d.format);
    // Each TensorFormat exactly once, numbered from 0 without gaps: a broken table is a build
    // mistake, caught by the first run of any test.
    if (i >= table.size() || seen[i]) {
      std::fprintf(stderr, "qviz: format table: %s is listed twice or its TensorFormat is out of range\n", d.name);
      std::abort();
    }
    // A raw format needs its block geometry (its functions are checked by test_format_table.cpp).
    if (d.isRaw() && (d.raw.blockValues <= 0 || d.raw.blockBytes <= 0 || d.fixedBlocksize != d.raw.blockValues)) {
      std::fprintf(stderr, "qviz: format table: %s is raw but lacks its block geometry\n", d.name);
      std::abort();
    }
    // The generic block loop needs every per-block function the family did not replace.
    const bool blockLoop = !d.quantizeTensor, blockDecode = !d.dequantizeTensor;
    if (!d.isRaw() && (!d.decodeConstants || (blockLoop && !d.encodeBlock) || (blockDecode && !d.decodeBlock) ||
                       (blockLoop && d.codeBits == 4 && !d.padCode))) {
      std::fprintf(stderr, "qviz: format table: %s lacks a function of its FormatDesc\n", d.name);
      std::abort();
    }
    seen[i] = true;
    d.gpuDefines = formats::define("CODE_BITS", d.codeBits) + formats::define(statDefine(d.stat), 1) + d.gpuDefines;
    table[i] = std::move(d);
  }
  return table;
}

}  // namespace

const std::vector<FormatDesc>& tensorFormats() {
  static const std::vector<FormatDesc> table = buildTable();
  return table;
}

const FormatDesc* findFormat(TensorFormat f) {
  const auto& t = tensorFormats();
  return std::size_t(f) < t.size() ? &t[std::size_t(f)] : nullptr;
}

const FormatDesc& formatDesc(TensorFormat f) {
  const FormatDesc* d = findFormat(f);
  return d ? *d : tensorFormats().front();
}

const FormatDesc* findFormat(std::string_view name) {
  for (const FormatDesc& d : tensorFormats())
    if (name == d.name) return &d;
  return nullptr;
}

std::string formatNames(const char* separator) {
  std::string s;
  for (const FormatDesc& d : tensorFormats()) s += (s.empty() ? "" : separator) + std::string(d.name);
  return s;
}

}  // namespace qviz::core
