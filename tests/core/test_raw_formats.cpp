// The raw block formats (ggml legacy and k-quants, IQ4, ggml MXFP4/NVFP4, OCP MX, NVFP4) against
// the outputs of the formats' own reference code (tests/data/vectors/formats, copied from the
// project's shared reference: ggml's C, microxcaling, a line-by-line port of torchao): every byte
// of blocks.bin and every bit of dequant.npy, for a normal and a heavy-tailed input. Each format
// is found through the table; a format without vectors fails here.
#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "quant/blockwise.hpp"
#include "quant/format_table.hpp"
#include "tensor/npy.hpp"
#include "../data_names.hpp"
#include "test_support.hpp"

using namespace qviz::core;
using qviz::test::vectorNames;

namespace {

using qviz::test::loadF32;
using qviz::test::readFile;


// Blocks of 32 IQ4_NL values whose codes the reference leaves unspecified (all-zero blocks of
// quantize_row_iq4_nl_ref keep the previous block's codes): none in these inputs is all zero.
void checkAgainstVectors(const FormatDesc& d, const std::string& input) {
  const std::string dir = "vectors/formats/" + input + "." + vectorNames().at(d.name) + "/";
  INFO(d.name << " on " << input);
  const auto x = loadF32("vectors/formats/inputs/" + input + ".npy");
  const auto blocks = readFile(qviz::test::data(dir + "blocks.bin"));
  const auto deq = loadF32(dir + "dequant.npy");
  REQUIRE(!blocks.empty());
  BlockwiseSettings s;
  s.format = d.format;
  std::vector<std::uint8_t> ours;
  auto st = quantizeRawBlocks(x.data(), x.size(), s, ours);
  INFO(st.error());
  REQUIRE(st.ok());
  REQUIRE(ours.size() == blocks.size());
  std::size_t firstDiff = ours.size();
  for (std::size_t i = 0; i < ours.size() && firstDiff == ours.size(); ++i)
    if (ours[i] != blocks[i]) firstDiff = i;
  INFO("first differing byte " << firstDiff << " (block " << (firstDiff - std::size_t(d.raw.headerBytes)) / std::size_t(d.raw.blockBytes) << ")");
  CHECK(firstDiff == ours.size());
  // Dequantizing the reference's own blocks gives its values, bit for bit (MXINT8: +0 == -0).
  std::vector<float> out(x.size());
  REQUIRE(dequantizeRawBlocks(blocks.data(), blocks.size(), x.size(), s, out.data()).ok());
  const bool signedZeroFree = std::string(d.name) == "mxint8";
  std::size_t bad = 0, firstBad = out.size();
  for (std::size_t i = 0; i < out.size(); ++i) {
    const bool same = signedZeroFree ? out[i] == deq[i] : std::memcmp(&out[i], &deq[i], 4) == 0;
    if (!same && bad++ == 0) firstBad = i;
  }
  INFO("first differing value " << firstBad);
  CHECK(bad == 0);
}

}  // namespace

TEST_CASE("raw formats: every format with a block layout has vectors", "[formats][vectors]") {
  std::size_t withBlocks = 0;
  for (const FormatDesc& d : tensorFormats())
    if (d.hasRawBlocks()) {
      INFO(d.name);
      CHECK(vectorNames().count(d.name) == 1);
      ++withBlocks;
    }
  CHECK(withBlocks == vectorNames().size());
}

// One run per format and input (a failing format does not hide the others): run one with
// test_core "[vectors]" -c "q4_k" ... or see every result with -s.
TEST_CASE("raw formats: blocks.bin and dequant.npy equal the reference vectors", "[formats][vectors]") {
  std::vector<std::string> names;
  for (const auto& [name, dir] : vectorNames()) names.push_back(name);
  const std::string name = GENERATE_COPY(from_range(names));
  const std::string input = GENERATE(as<std::string>{}, "normal_8192", "heavy_8192");
  const FormatDesc* d = findFormat(std::string_view(name));
  REQUIRE(d);
  checkAgainstVectors(*d, input);
}
