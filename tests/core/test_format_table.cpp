// The format table (quant/format_table.hpp), entry by entry: every format it lists is checked here
// without being named, so a new format is covered as soon as it is in the table.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "quant/blockwise.hpp"
#include "quant/format_table.hpp"

using namespace qviz::core;

namespace {
// Deterministic values in [-2, 2] with a few exact zeros.
std::vector<float> sample(std::size_t n, std::uint32_t seed) {
  std::vector<float> x(n);
  std::uint32_t s = seed;
  for (std::size_t i = 0; i < n; ++i) {
    s = s * 1664525u + 1013904223u;
    x[i] = i % 13 == 4 ? 0.0f : (float(s >> 8) / 16777216.0f - 0.5f) * 4.0f;
  }
  return x;
}

// Every value block b can take: each code decoded with the block's constants (those dequantizing
// uses, or with `encoding` those the codes were chosen with: with double quantization the codes
// come from the absmax, the values from absmax_dq).
std::vector<float> levelsOf(const QuantizedTensor& q, std::size_t b, bool encoding = false) {
  const std::size_t codes = std::size_t(1) << formatCodeBits(q.format);
  QuantizedTensor one;
  one.format = q.format;
  one.blocksize = int(codes);
  one.n = codes;
  one.absmax = {q.doubleQuant && !encoding ? q.absmaxDq[b] : q.absmax[b]};
  if (!q.zeroPoint.empty()) one.zeroPoint = {q.zeroPoint[b]};
  for (std::size_t c = 0; c < codes; ++c) one.codes.push_back(std::uint8_t(c));
  std::vector<float> out(codes);
  dequantizeBlockwise(one, out.data());
  return out;
}

std::vector<BlockwiseSettings> settingsOf(const FormatDesc& d) {
  std::vector<BlockwiseSettings> all;
  for (int bs : {32, 64})
    for (bool dq : {false, true})
      if (!dq || d.doubleQuant) all.push_back({d.format, bs, dq});
  return all;
}
}  // namespace

TEST_CASE("format table: one entry per TensorFormat, in order, names round-trip", "[blockwise][formats]") {
  const auto& table = tensorFormats();
  REQUIRE(!table.empty());
  std::set<std::string> names;
  for (std::size_t i = 0; i < table.size(); ++i) {
    const FormatDesc& d = table[i];
    INFO(d.name);
    if (d.isRaw()) {  // raw block formats: tests/core/test_raw_formats.cpp
      CHECK(std::size_t(d.format) == i);
      CHECK(findFormat(std::string_view(d.name)) == &d);
      CHECK(names.insert(d.name).second);
      continue;
    }
    CHECK(std::size_t(d.format) == i);
    CHECK(&formatDesc(d.format) == &d);
    CHECK(names.insert(d.name).second);
    CHECK(std::string(tensorFormatName(d.format)) == d.name);
    TensorFormat f{};
    REQUIRE(parseTensorFormat(d.name, f));
    CHECK(f == d.format);
    CHECK(findFormat(std::string_view(d.name)) == &d);
    CHECK(formatCodeBits(d.format) == d.codeBits);
    CHECK((d.codeBits == 2 || d.codeBits == 4 || d.codeBits == 8));
    CHECK(std::string(d.family).size() > 0);
    CHECK(std::string(d.description).size() > 0);
    // The GPU kernels get the code width, one block statistic and (block-statistics kernels) one encoder and one decoder.
    CHECK(d.gpuDefines.find("#define CODE_BITS " + std::to_string(d.codeBits) + "\n") == 0);
    CHECK(d.gpuDefines.find("#define STAT_") != std::string::npos);
    if (d.gpuKernel == GpuKernel::BlockStats) {
      auto count = [&](const std::string& what) {
        std::size_t k = 0;
        for (std::size_t p = d.gpuDefines.find(what); p != std::string::npos; p = d.gpuDefines.find(what, p + 1)) ++k;
        return k;
      };
      CHECK(count("#define ENCODE_") == 1);
      CHECK(count("#define DECODE_") == 1);
      if (d.gpuDefines.find("DECODE_TABLE") != std::string::npos) {
        REQUIRE(d.values != nullptr);
        CHECK(d.values->size() == (std::size_t(1) << d.codeBits));
      }
    } else {
      REQUIRE(d.codebook != nullptr);  // the codebook kernels upload its midpoints and code map
      REQUIRE(d.values != nullptr);
      CHECK(d.codebook->values == *d.values);
      CHECK(d.codebook->mids.size() + 1 == d.values->size());
    }
  }
  CHECK(names.size() == table.size());
  CHECK(findFormat(TensorFormat(std::uint8_t(table.size()))) == nullptr);
  CHECK(findFormat(std::string_view("nf5")) == nullptr);
  CHECK(std::string(tensorFormatName(TensorFormat(std::uint8_t(table.size())))) == "?");
  std::string joined;
  for (const FormatDesc& d : table) joined += (joined.empty() ? "" : ", ") + std::string(d.name);
  CHECK(formatNames(", ") == joined);
}

TEST_CASE("format table: bits per weight equal what the quantizer's outputs occupy", "[blockwise][formats]") {
  for (const FormatDesc& d : tensorFormats())
    if (!d.isRaw())  // raw block formats: tests/core/test_raw_formats.cpp
    for (const BlockwiseSettings& s : settingsOf(d))
      for (std::size_t n : {std::size_t(1), std::size_t(65), std::size_t(64 * 300 + 3)}) {
        INFO(d.name << " bs " << s.blocksize << (s.doubleQuant ? " dq" : "") << " n " << n);
        const auto x = sample(n, 7u + std::uint32_t(n));
        auto q = quantizeBlockwise(x.data(), n, s);
        REQUIRE(q.ok());
        CHECK(q->blocksize == d.blocksizeFor(s.blocksize));
        CHECK(q->absmax.size() == blockCount(s, n));
        // Codes: ceil(n * bits / 8) bytes (4-bit formats: exactly the packed nibbles).
        double bits = std::ceil(double(n) * d.codeBits / 8.0) * 8.0;
        if (d.codeBits == 4) CHECK(double(q->packed.size()) * 8.0 == bits);
        else CHECK(q->packed.empty());
        for (std::uint8_t c : q->codes) REQUIRE(c < (1u << d.codeBits));
        if (s.doubleQuant) {
          bits += double(q->qabsmax.size()) * 8.0 + double(q->absmax2.size()) * 32.0 + 32.0;  // + the offset
          CHECK(q->qabsmax.size() == q->absmax.size());
        } else {
          bits += double(q->absmax.size()) * (d.scaleStorage == ScaleStorage::Float16 ? 16.0 : 32.0);
          CHECK(q->qabsmax.empty());
        }
        if (d.scaleStorage == ScaleStorage::Float16)
          for (float a : q->absmax) REQUIRE(roundToHalf(a) == a);  // the scale fits its 16 bits
        CHECK(q->zeroPoint.size() == (d.zeroPoint ? q->absmax.size() : 0));
        bits += double(q->zeroPoint.size()) * 32.0;
        CHECK(bitsPerParam(s, n) * double(n) == Approx(bits).epsilon(1e-12));
        CHECK(formatStats(x.data(), x.data(), n, s).bitsPerParam == bitsPerParam(s, n));
      }
}

TEST_CASE("format table: every format round-trips a small tensor to its nearest levels", "[blockwise][formats]") {
  for (const FormatDesc& d : tensorFormats())
    if (!d.isRaw())  // raw block formats: tests/core/test_raw_formats.cpp
    for (const BlockwiseSettings& s : settingsOf(d))
      for (std::size_t n : {std::size_t(1), std::size_t(33), std::size_t(201)}) {
        INFO(d.name << " bs " << s.blocksize << (s.doubleQuant ? " dq" : "") << " n " << n);
        const auto x = sample(n, 99u);
        auto q = quantizeBlockwise(x.data(), n, s);
        REQUIRE(q.ok());
        std::vector<float> out(n);
        dequantizeBlockwise(*q, out.data());
        const std::size_t bs = std::size_t(q->blocksize);
        for (std::size_t b = 0; b * bs < n; ++b) {
          const auto levels = levelsOf(*q, b), chosen = levelsOf(*q, b, true);
          float range = 0.0f;
          for (float l : chosen)
            if (std::isfinite(l)) range = std::max(range, std::fabs(l));
          for (std::size_t i = b * bs; i < std::min(n, (b + 1) * bs); ++i) {
            INFO("value " << i << " = " << x[i] << ", code " << int(q->codes[i]) << " -> " << out[i]);
            // Decoding: the value of the code under the block's constants.
            REQUIRE(out[i] == levels[q->codes[i]]);
            // Encoding: the nearest level (up to the rounding of x * (1 / scale)).
            float nearest = INFINITY;
            for (float l : chosen)
              if (std::isfinite(l)) nearest = std::min(nearest, std::fabs(l - x[i]));
            REQUIRE(std::fabs(chosen[q->codes[i]] - x[i]) <= nearest + 1e-6f * range);
          }
        }
        // The packed nibbles alone decode to the same values; the pad nibble is the code of 0.0.
        if (d.codeBits == 4) {
          QuantizedTensor packedOnly = *q;
          packedOnly.codes.clear();
          std::vector<float> out2(n);
          dequantizeBlockwise(packedOnly, out2.data());
          CHECK(out2 == out);
          if (n % 2) {
            const auto levels = levelsOf(*q, q->absmax.size() - 1);
            CHECK(levels[q->packed.back() & 15u] == 0.0f);
          }
        }
      }
}

TEST_CASE("format table: validation follows each entry's blocksize and double-quantization rules", "[blockwise][formats]") {
  for (const FormatDesc& d : tensorFormats()) {
    INFO(d.name);
    if (d.isRaw()) continue;  // tests/core/test_raw_formats.cpp
    CHECK(validateBlockwise({d.format, 64, false}).ok());
    CHECK(validateBlockwise({d.format, 64, true}).ok() == d.doubleQuant);
    CHECK(validateBlockwise({d.format, 48, false}).ok() == (d.fixedBlocksize != 0));
    CHECK(validateBlockwise({d.format, kMaxBlocksize * 2, false}).ok() == (d.fixedBlocksize != 0));
    CHECK(bitsPerParam({d.format, 64, false}, 0) ==
          d.codeBits + d.constantBitsPerBlock(false) / double(d.blocksizeFor(64)));
  }
  CHECK_FALSE(validateBlockwise({TensorFormat(std::uint8_t(tensorFormats().size())), 64, false}).ok());
}
