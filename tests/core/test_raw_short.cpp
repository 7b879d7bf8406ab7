// A raw tensor shorter than one block (one padded block, no whole ones: an MX row of 5 values, a
// q8_0 tensor of 5) is quantized as its zero-padded block: the bytes of the same values followed
// by zeros up to the block. (quantizeRawSpan's single-run path once skipped such a block and left
// it all zero.) Formats whose codec is not in the table are skipped with a WARN.
#include <catch2/catch.hpp>
#include <vector>

#include "quant/blockwise.hpp"
#include "quant/format_table.hpp"

using namespace qviz::core;

TEST_CASE("raw formats: a tensor shorter than one block is its zero-padded block", "[formats][raw]") {
  const std::vector<float> five = {0.75f, -1.5f, 3.0f, 0.125f, -0.0625f};
  for (const FormatDesc& d : tensorFormats()) {
    // The formats that pad: MX rows (RowRule::PadRows) and q8_0/q4_0, whose blocks pad a partial last block.
    const bool pads = d.raw.rows == RowRule::PadRows || (d.hasRawBlocks() && !d.isRaw());
    if (!pads) continue;
    if (!d.raw.quantize) {
      WARN(d.name << ": no CPU codec in the table yet; skipped");
      continue;
    }
    INFO(d.name);
    BlockwiseSettings s;
    s.format = d.format;
    std::vector<float> padded(std::size_t(d.raw.blockValues), 0.0f);
    std::copy(five.begin(), five.end(), padded.begin());
    std::vector<std::uint8_t> shortBlocks, paddedBlocks;
    REQUIRE(quantizeRawBlocks(five.data(), five.size(), s, shortBlocks).ok());
    REQUIRE(quantizeRawBlocks(padded.data(), padded.size(), s, paddedBlocks).ok());
    CHECK(shortBlocks == paddedBlocks);
    CHECK(shortBlocks != std::vector<std::uint8_t>(shortBlocks.size(), 0));
  }
}
