// core::sweepFormats (quant/format_sweep.hpp): one row per format, blocksize and double
// quantization, measured exactly as formatStats measures, with the Pareto front of bits per weight
// against SQNR.
#include <catch2/catch.hpp>
#include <atomic>
#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "quant/blockwise.hpp"
#include "quant/format_sweep.hpp"
#include "tensor/npy.hpp"
#include "test_support.hpp"

using namespace qviz::core;

namespace {
std::vector<float> normal8192() {
  auto t = readNpy(qviz::test::data("vectors/formats/inputs/normal_8192.npy"));
  REQUIRE(t.ok());
  return toFloat32(*t);
}

bool dominates(const SweepRow& o, const SweepRow& r) {
  return o.bitsPerWeight <= r.bitsPerWeight && o.sqnrDb >= r.sqnrDb &&
         (o.bitsPerWeight < r.bitsPerWeight || o.sqnrDb > r.sqnrDb);
}

SweepRow row(double bits, double sqnr, bool ok = true) {
  SweepRow r;
  r.ok = ok;
  r.bitsPerWeight = bits;
  r.sqnrDb = sqnr;
  return r;
}
}  // namespace

TEST_CASE("format sweep: one row per format, blocksize and double quantization, in table order", "[sweep]") {
  const auto x = normal8192();
  REQUIRE(x.size() == 8192);
  // 9 formats with a choice of blocksize (nf4 fp4 int8 int4 int2 uint8 uint4 fp8-e4m3 fp8-e5m2) at
  // 4 blocksizes, nf4 and fp4 also with double quantization (8 more), and 23 fixed-block formats.
  const auto rows = sweepFormats(x.data(), x.size(), {});
  CHECK(rows.size() == 67);
  REQUIRE(rows.size() >= 9);
  CHECK(rows[0].label == "nf4 bs32");
  CHECK(rows[1].label == "nf4 bs32 dq");
  CHECK(rows[7].label == "nf4 bs256 dq");
  CHECK(rows[8].label == "fp4 bs32");
  std::set<std::string> labels;
  for (const SweepRow& r : rows) labels.insert(r.label);
  CHECK(labels.size() == rows.size());
  CHECK(labels.count("q8_0") == 1);
  CHECK(labels.count("q4_k") == 1);
  CHECK(labels.count("mxfp4") == 1);
  CHECK(labels.count("nvfp4-1level") == 1);
  CHECK(labels.count("int8 bs4096") == 0);

  SweepOptions noDq;
  noDq.doubleQuant = false;
  CHECK(sweepFormats(x.data(), x.size(), noDq).size() == 59);
  SweepOptions one;
  one.blocksizes = {64};
  const auto small = sweepFormats(x.data(), x.size(), one);
  CHECK(small.size() == 34);
  REQUIRE(small.size() >= 3);
  CHECK(small[0].label == "nf4 bs64");
  CHECK(small[1].label == "nf4 bs64 dq");
  CHECK(small[2].label == "fp4 bs64");
}

TEST_CASE("format sweep: every row measured exactly as formatStats measures it", "[sweep]") {
  const auto x = normal8192();
  SweepOptions o;
  o.rowLength = 512;  // MX and NVFP4 rows: 16 rows of 512
  const auto rows = sweepFormats(x.data(), x.size(), o);
  std::size_t ok = 0;
  for (const SweepRow& r : rows) {
    INFO(r.label << ": " << r.error);
    CHECK(r.settings.rowLength == 512);
    CHECK(r.bitsPerWeight == bitsPerParam(r.settings, x.size()));
    const FormatDesc& d = formatDesc(r.settings.format);
    // The formats with per-value constants always apply to these 8192 finite values.
    if (!d.isRaw()) CHECK(r.ok);
    if (!r.ok) continue;
    ++ok;
    auto q = quantizeBlockwise(x.data(), x.size(), r.settings);
    REQUIRE(q.ok());
    std::vector<float> deq(x.size());
    dequantizeBlockwise(*q, deq.data());
    const FormatStats st = formatStats(x.data(), deq.data(), x.size(), r.settings);
    CHECK(r.rmse == st.rmse);
    CHECK(r.sqnrDb == st.sqnrDb);
    CHECK(r.maxAbsError == st.maxAbsError);
    CHECK(r.bitsPerWeight == st.bitsPerParam);
    CHECK(r.error.empty());
  }
  CHECK(ok >= 46);  // 44 rows with a choice of blocksize, q8_0 and q4_0
  // Two figures checked by hand: nf4 bs64 stores 4 + 32/64 bits, q8_0 8 + 16/32.
  for (const SweepRow& r : rows) {
    if (r.label == "nf4 bs64") CHECK(r.bitsPerWeight == 4.5);
    if (r.label == "q8_0") CHECK(r.bitsPerWeight == 8.5);
    if (r.label == "mxfp4") CHECK(r.bitsPerWeight == 4.25);
    if (r.label == "nvfp4") CHECK(r.bitsPerWeight == 4.50390625);
  }
}

TEST_CASE("format sweep: a format that does not apply gets ok = false and says why", "[sweep]") {
  // 320 values: a multiple of 32 but not of 256.
  const auto all = normal8192();
  const std::vector<float> x(all.begin(), all.begin() + 320);
  const auto rows = sweepFormats(x.data(), x.size(), {});
  REQUIRE(rows.size() == 67);
  bool sawQ4k = false, sawQ8 = false;
  for (const SweepRow& r : rows) {
    if (r.label == "q4_k") {
      sawQ4k = true;
      CHECK_FALSE(r.ok);
      CHECK_FALSE(r.pareto);
      CHECK(r.error ==
            "q4_k quantizes the flattened tensor in blocks of 256, as ggml does, so the number of values must be a "
            "multiple of 256; this tensor has 320 (64 left over). ggml itself refuses such a tensor.");
      CHECK(r.rmse == 0.0);
      CHECK(r.sqnrDb == 0.0);
    }
    if (r.label == "q8_0") {
      sawQ8 = true;
      CHECK(r.ok);
      CHECK(r.error.empty());
    }
  }
  CHECK(sawQ4k);
  CHECK(sawQ8);
  // Every super-block format is refused with the same rule.
  for (const SweepRow& r : rows)
    if (formatDesc(r.settings.format).isRaw() && r.settings.blocksize == 256) {
      INFO(r.label);
      CHECK_FALSE(r.ok);
      CHECK(r.error.find("must be a multiple of 256; this tensor has 320 (64 left over)") != std::string::npos);
    }
}

TEST_CASE("format sweep: the Pareto rows are exactly the non-dominated ones", "[sweep]") {
  const auto x = normal8192();
  const auto rows = sweepFormats(x.data(), x.size(), {});
  std::size_t front = 0;
  for (const SweepRow& r : rows) {
    INFO(r.label);
    if (!r.ok) {
      CHECK_FALSE(r.pareto);
      continue;
    }
    bool dominated = false;
    for (const SweepRow& o : rows)
      if (&o != &r && o.ok && dominates(o, r)) dominated = true;
    CHECK(r.pareto == !dominated);
    front += r.pareto ? 1 : 0;
  }
  CHECK(front >= 2);
  // The front's two ends: the row with the fewest bits (the best of them) and the one with the
  // highest SQNR (the cheapest of them).
  const SweepRow* fewest = nullptr;
  const SweepRow* best = nullptr;
  for (const SweepRow& r : rows) {
    if (!r.ok) continue;
    if (!fewest || r.bitsPerWeight < fewest->bitsPerWeight ||
        (r.bitsPerWeight == fewest->bitsPerWeight && r.sqnrDb > fewest->sqnrDb))
      fewest = &r;
    if (!best || r.sqnrDb > best->sqnrDb || (r.sqnrDb == best->sqnrDb && r.bitsPerWeight < best->bitsPerWeight))
      best = &r;
  }
  REQUIRE(fewest);
  REQUIRE(best);
  CHECK(fewest->pareto);
  CHECK(best->pareto);
}

TEST_CASE("format sweep: markPareto on rows given by hand", "[sweep]") {
  std::vector<SweepRow> rows = {
      row(4.5, 20.0),                                    // 0: dominated by 1 (fewer bits, higher SQNR)
      row(4.25, 21.0),                                   // 1: front
      row(8.5, 40.0),                                    // 2: front
      row(8.5, 40.0),                                    // 3: equal to 2: neither dominates the other
      row(9.0, 40.0),                                    // 4: dominated by 2 (more bits, same SQNR)
      row(2.0, 100.0, false),                            // 5: not ok: never on the front, dominates nothing
      row(3.0, 5.0),                                     // 6: front (fewest bits that are ok)
      row(16.0, std::numeric_limits<double>::infinity()),  // 7: front (exact)
      row(4.25, 19.0),                                   // 8: dominated by 1 (same bits, lower SQNR)
  };
  markPareto(rows);
  const std::vector<bool> expected = {false, true, true, true, false, false, true, true, false};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    INFO(i);
    CHECK(rows[i].pareto == expected[i]);
  }
}

TEST_CASE("format sweep: a cancelled sweep returns the rows done so far", "[sweep]") {
  const auto x = normal8192();
  std::atomic<bool> cancel{true};
  CHECK(sweepFormats(x.data(), x.size(), {}, &cancel).empty());
  std::atomic<bool> go{false};
  CHECK(sweepFormats(x.data(), 256, {}, &go).size() == 67);
}
