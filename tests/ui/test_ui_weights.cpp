// The Weights panel's model with the format table's raw block formats: the grouped Format menu,
// the block inspector's data (core::inspectBlock's own), the whole tensor's histogram with the
// levels and the clipped count, the quantizer's message for a tensor a format cannot take, and the
// panel drawn offscreen with every format, in presenter mode too.
#include <catch2/catch.hpp>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <set>
#include <string>

#include "tensor/npy.hpp"
#include "ui/commands.hpp"
#include "ui/derived.hpp"
#include "ui/headless.hpp"
#include "ui/panels.hpp"
#include "ui/weights_model.hpp"

using namespace qviz;
using namespace qviz::ui;

TEST_CASE("weights: the Format menu lists every table entry exactly once, grouped by family", "[weights]") {
  const auto groups = formatMenuGroups();
  std::vector<std::string> headers;
  std::multiset<int> seen;
  for (const FormatGroup& g : groups) {
    headers.push_back(g.header);
    for (core::TensorFormat f : g.formats) {
      seen.insert(int(f));
      CHECK(core::formatDesc(f).family == g.family);
    }
  }
  CHECK(headers == std::vector<std::string>{"bitsandbytes", "integer", "FP8", "ggml legacy", "ggml k-quants", "ggml IQ4",
                                            "ggml FP4", "OCP MX", "NVIDIA NVFP4"});
  REQUIRE(seen.size() == core::tensorFormats().size());
  for (const core::FormatDesc& f : core::tensorFormats()) CHECK(seen.count(int(f.format)) == 1);
  // Every family of the table has its "About" text, and the items show their bits per weight.
  for (const FormatGroup& g : groups) CHECK(std::string(familyAbout(g.family)).size() > 40);
  CHECK(formatMenuLabel(core::formatDesc(core::TensorFormat::Q4_K), 64, false).find("4.500 bits/weight") != std::string::npos);
  CHECK(formatMenuLabel(core::formatDesc(core::TensorFormat::NF4), 64, true).find("4.127 bits/weight") != std::string::npos);
  CHECK(formatMenuLabel(core::formatDesc(core::TensorFormat::MXFP4), 64, false).find("4.250 bits/weight") != std::string::npos);
}

TEST_CASE("weights: the histogram counts every value once and the selected block's levels are the format's", "[weights]") {
  WeightsDoc doc;  // normal, 65536 values, NF4, blocksize 64
  doc.source = WeightSource::HeavyTailed;
  WeightsView v;
  updateWeightsView(doc, v);
  REQUIRE(v.error.empty());
  const WeightsHistogram& h = v.histogram;
  CHECK(std::accumulate(h.counts.begin(), h.counts.end(), 0.0) == 65536.0);
  CHECK(h.total == 65536);
  CHECK(h.levelSets == 1024);
  // 16 levels per block, every one counted in the density strip.
  CHECK(std::accumulate(h.levelDensity.begin(), h.levelDensity.end(), 0.0) == 1024.0 * 16);
  // NF4's end levels are +-absmax exactly: nothing lies beyond a block's outermost level.
  CHECK(h.clipped == 0);
  for (float x : v.values) {
    CHECK(x >= h.lo);
    CHECK(x <= h.hi);
  }
  const BlockInspect b = inspectWeightsBlock(v, 7);
  CHECK(b.span.first == 7 * 64);
  CHECK(b.span.count == 64);
  CHECK(b.allLevels == blockLevels(v.q, 7));
  CHECK(b.allLevels.size() == 16);
  CHECK(b.original == std::vector<float>(v.values.begin() + 448, v.values.begin() + 512));
  CHECK(b.dequant == std::vector<float>(v.dequant.begin() + 448, v.dequant.begin() + 512));
  CHECK(!b.view);  // nf4 stores no blocks of its own
  for (std::size_t i = 0; i < 64; ++i) CHECK(b.codes[i] == v.q.codes[448 + i]);
}

TEST_CASE("weights: the clipped count is the values beyond their block's outermost level", "[weights]") {
  WeightsDoc doc;
  doc.format = core::TensorFormat::Q4_0;  // d = max / -8 rounded to fp16: -8 d may fall short of max
  doc.source = WeightSource::HeavyTailed;
  WeightsView v;
  updateWeightsView(doc, v);
  REQUIRE(v.error.empty());
  std::uint64_t low = 0, high = 0;
  for (std::size_t b = 0; b < v.blockRmse.size(); ++b) {
    const auto l = blockLevels(v.q, b);
    for (std::size_t i = b * 32; i < b * 32 + 32; ++i) {
      low += v.values[i] < l.front();
      high += v.values[i] > l.back();
    }
  }
  CHECK(v.histogram.clippedLow == low);
  CHECK(v.histogram.clippedHigh == high);
  CHECK(v.histogram.clipped == low + high);
  CHECK(std::accumulate(v.histogram.counts.begin(), v.histogram.counts.end(), 0.0) == 65536.0);
}

TEST_CASE("weights: every block's levels in the strip are blockLevels' own (formats without stored blocks)", "[weights]") {
  for (auto f : {core::TensorFormat::Int8, core::TensorFormat::UInt4, core::TensorFormat::FP8E4M3, core::TensorFormat::NF4}) {
    WeightsDoc doc;
    doc.format = f;
    doc.blocksize = 32;
    doc.size = 8192;
    doc.doubleQuant = f == core::TensorFormat::NF4;
    doc.source = WeightSource::HeavyTailed;
    WeightsView v;
    updateWeightsView(doc, v);
    REQUIRE(v.error.empty());
    std::vector<double> density(v.histogram.levelDensity.size(), 0.0);
    std::uint64_t low = 0, high = 0;
    for (std::size_t b = 0; b < 256; ++b) {
      const auto l = blockLevels(v.q, b);
      for (float x : l) density[std::size_t(v.histogram.binOf(x))] += 1;
      for (std::size_t i = b * 32; i < b * 32 + 32; ++i) {
        low += v.values[i] < l.front();
        high += v.values[i] > l.back();
      }
    }
    CHECK(v.histogram.levelDensity == density);
    CHECK(v.histogram.clippedLow == low);
    CHECK(v.histogram.clippedHigh == high);
    CHECK(v.histogram.levelSets == 256);
  }
}

TEST_CASE("weights: a tensor a ggml format cannot take shows the quantizer's message", "[weights]") {
  const std::string path = (std::filesystem::temp_directory_path() / "qviz_test_weights_1000.npy").string();
  core::Tensor t;
  t.dtype = core::DType::F32;
  t.shape = {1000};
  t.bytes.resize(4000);
  for (std::size_t i = 0; i < 1000; ++i) {
    const float x = float(i) / 1000.0f - 0.5f;
    std::memcpy(t.bytes.data() + 4 * i, &x, 4);
  }
  REQUIRE(core::writeNpy(path, t));
  WeightsDoc doc;
  doc.source = WeightSource::File;
  doc.path = path;
  doc.format = core::TensorFormat::Q4_K;
  WeightsView v;
  updateWeightsView(doc, v);
  CHECK(v.error ==
        "q4_k quantizes the flattened tensor in blocks of 256, as ggml does, so the number of values must be a multiple of "
        "256; this tensor has 1000 (232 left over). ggml itself refuses such a tensor.");
  doc.format = core::TensorFormat::Q5_0;
  updateWeightsView(doc, v);
  CHECK(v.error.find("multiple of 32; this tensor has 1000 (8 left over)") != std::string::npos);
  doc.format = core::TensorFormat::NF4;  // any length
  updateWeightsView(doc, v);
  CHECK(v.error.empty());
  CHECK(v.histogram.total == 1000);
  std::filesystem::remove(path);
}

TEST_CASE("weights: the inspector shows a q4_k super-block as core::inspectBlock takes it apart", "[weights]") {
  WeightsDoc doc;
  doc.format = core::TensorFormat::Q4_K;
  WeightsView v;
  updateWeightsView(doc, v);
  REQUIRE(v.error.empty());
  REQUIRE(v.blockRmse.size() == 256);
  const BlockInspect b = inspectWeightsBlock(v, 5);
  const auto core = core::inspectBlock(v.q, 5);
  REQUIRE(core);
  REQUIRE(b.view);
  CHECK(b.view->structure == core->structure);
  REQUIRE(b.view->constants.size() == core->constants.size());
  for (std::size_t i = 0; i < core->constants.size(); ++i) {
    CHECK(b.view->constants[i].name == core->constants[i].name);
    CHECK(b.view->constants[i].raw == core->constants[i].raw);
    CHECK(b.view->constants[i].rawBits == core->constants[i].rawBits);
    CHECK(b.view->constants[i].value == core->constants[i].value);
  }
  CHECK(b.view->codes == core->codes);
  CHECK(b.view->values == core->values);
  CHECK(b.subBlocks == 8);
  CHECK(b.subLength == 32);
  CHECK(b.span.first == 5 * 256);
  CHECK(b.span.count == 256);
  // The values after are the block's decoded values; the codes are the block's own.
  CHECK(b.dequant == core->values);
  CHECK(b.codes == core->codes);
  // The levels per sub-block are the view's (ascending, distinct); the union is over the 8 of them.
  REQUIRE(b.levels.size() == 8);
  std::vector<float> all;
  for (std::size_t s = 0; s < 8; ++s) {
    auto l = core->levels[s];
    std::sort(l.begin(), l.end());
    l.erase(std::unique(l.begin(), l.end()), l.end());
    CHECK(b.levels[s] == l);
    all.insert(all.end(), l.begin(), l.end());
    // Every decoded value of a sub-block is one of its levels.
    for (std::size_t i = 32 * s; i < 32 * s + 32; ++i)
      CHECK(std::binary_search(b.levels[s].begin(), b.levels[s].end(), b.dequant[i]));
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  CHECK(b.allLevels == all);
  CHECK(v.histogram.levelSets == 256 * 8);
  CHECK(std::accumulate(v.histogram.counts.begin(), v.histogram.counts.end(), 0.0) == 65536.0);
}

namespace {
HeadlessUi& weightsUi() {
  static std::unique_ptr<HeadlessUi> ui = [] {
    auto r = HeadlessUi::create(1600, 1000);
    if (!r) FAIL("no headless GL context: " << r.error());
    return std::move(*r);
  }();
  return *ui;
}
}  // namespace

TEST_CASE("offscreen weights panel: every format of the table draws, in presenter mode too", "[weights]") {
  HeadlessUi& ui = weightsUi();
  for (bool presenter : {false, true}) {
    AppState s;
    s.synchronous = true;
    s.doc.imagePath = std::string(QVIZ_TEST_DATA) + "/chelsea.png";
    for (const PanelEntry& p : panelTable()) s.ui.open.*(p.open) = false;
    s.ui.open.weights = true;
    s.ui.presenter = presenter;
    s.ui.fontScale = presenter ? 2.0f : 1.0f;
    s.doc.weights.size = 4096;
    for (const core::FormatDesc& f : core::tensorFormats()) {
      INFO(f.name << (presenter ? " (presenter)" : ""));
      s.doc.weights.format = f.format;
      s.doc.weights.block = 3;
      Commands cmd;
      REQUIRE(ui.frames(s, cmd, 2));
      CHECK(s.derived.weights.inputs->format == f.format);
      if (s.derived.weights.error.empty()) CHECK(s.derived.weights.histogram.total == 4096);
    }
  }
}

TEST_CASE("weights: MX blocks run along a file's last axis, a short last block of each row padded; NVFP4 refuses such rows",
          "[weights]") {
  const std::string path = (std::filesystem::temp_directory_path() / "qviz_test_weights_10x40.npy").string();
  core::Tensor t;
  t.dtype = core::DType::F32;
  t.shape = {10, 40};
  t.bytes.resize(1600);
  for (std::size_t i = 0; i < 400; ++i) {
    const float x = std::sin(float(i) * 0.37f) * (i % 7 == 0 ? 3.0f : 1.0f);
    std::memcpy(t.bytes.data() + 4 * i, &x, 4);
  }
  REQUIRE(core::writeNpy(path, t));
  WeightsDoc doc;
  doc.source = WeightSource::File;
  doc.path = path;
  doc.format = core::TensorFormat::MXFP4;
  WeightsView v;
  updateWeightsView(doc, v);
  REQUIRE(v.error.empty());
  CHECK(v.rowLength == 40);
  CHECK(v.blockRmse.size() == 20);  // 10 rows of 2 blocks (32 + 8 values)
  const BlockInspect b = inspectWeightsBlock(v, 3);
  CHECK(b.span.first == 72);
  CHECK(b.span.count == 8);
  const auto core = core::inspectBlock(v.q, 3);
  REQUIRE(core);
  REQUIRE(b.view);
  CHECK(b.view->structure == core->structure);
  REQUIRE(b.view->constants.size() == 1);
  CHECK(b.view->constants[0].raw == core->constants[0].raw);
  CHECK(b.view->constants[0].value == core->constants[0].value);
  // The 8 values of the tensor and their codes; the padding is not shown.
  CHECK(b.dequant == std::vector<float>(core->values.begin(), core->values.begin() + 8));
  CHECK(b.codes == std::vector<std::uint8_t>(core->codes.begin(), core->codes.begin() + 8));
  CHECK(b.original == std::vector<float>(v.values.begin() + 72, v.values.begin() + 80));
  CHECK(std::accumulate(v.histogram.counts.begin(), v.histogram.counts.end(), 0.0) == 400.0);
  doc.format = core::TensorFormat::NVFP4;
  updateWeightsView(doc, v);
  CHECK(v.error == "nvfp4 makes blocks of 16 along the last axis, which must be a multiple of 16; it is 40");
  std::filesystem::remove(path);
}

TEST_CASE("weights: q8_0's inspector reads its ggml block (fp16 d and 32 int8 codes)", "[weights]") {
  WeightsDoc doc;
  doc.format = core::TensorFormat::Q8_0;
  WeightsView v;
  updateWeightsView(doc, v);
  REQUIRE(v.error.empty());
  const BlockInspect b = inspectWeightsBlock(v, 100);
  const auto core = core::inspectBlock(v.q, 100);
  REQUIRE(core);
  REQUIRE(b.view);
  CHECK(b.view->structure == core->structure);
  REQUIRE(!b.view->constants.empty());
  CHECK(b.view->constants[0].value == v.q.absmax[100]);  // the fp16 d, as the per-value path stores it
  CHECK(b.dequant == core->values);
  CHECK(b.span.first == 3200);
  CHECK(b.allLevels.size() <= 256);
  for (float x : b.dequant) CHECK(std::binary_search(b.allLevels.begin(), b.allLevels.end(), x));
}


// ---- The panel's worker (updateWeightsPanel through updateDerived) -----------------------------

namespace {
// Two views hold the same data (the timings and the worker aside).
void checkSameView(const WeightsView& a, const WeightsView& b) {
  CHECK(a.inputs == b.inputs);
  CHECK(a.error == b.error);
  CHECK(a.description == b.description);
  CHECK(a.rowLength == b.rowLength);
  CHECK(a.values == b.values);
  CHECK(a.dequant == b.dequant);
  CHECK(a.q.format == b.q.format);
  CHECK(a.q.blocksize == b.q.blocksize);
  CHECK(a.q.codes == b.q.codes);
  CHECK(a.q.packed == b.q.packed);
  CHECK(a.q.absmax == b.q.absmax);
  CHECK(a.q.blocks == b.q.blocks);
  CHECK(a.stats.bitsPerParam == b.stats.bitsPerParam);
  CHECK(a.stats.rmse == b.stats.rmse);
  CHECK(a.stats.maxAbsError == b.stats.maxAbsError);
  CHECK(a.blockRmse == b.blockRmse);
  CHECK(a.codeUse.counts == b.codeUse.counts);
  CHECK(a.histogram.lo == b.histogram.lo);
  CHECK(a.histogram.hi == b.histogram.hi);
  CHECK(a.histogram.counts == b.histogram.counts);
  CHECK(a.histogram.levelDensity == b.histogram.levelDensity);
  CHECK(a.histogram.levelSets == b.histogram.levelSets);
  CHECK(a.histogram.clippedLow == b.histogram.clippedLow);
  CHECK(a.histogram.clippedHigh == b.histogram.clippedHigh);
  CHECK(a.tableInputs == b.tableInputs);
  REQUIRE(a.table.size() == b.table.size());
  for (std::size_t i = 0; i < a.table.size(); ++i) {
    INFO(tensorFormatName(a.table[i].format));
    CHECK(a.table[i].format == b.table[i].format);
    CHECK(a.table[i].stats.bitsPerParam == b.table[i].stats.bitsPerParam);
    CHECK(a.table[i].stats.mse == b.table[i].stats.mse);
    CHECK(a.table[i].stats.rmse == b.table[i].stats.rmse);
    CHECK(a.table[i].stats.maxAbsError == b.table[i].stats.maxAbsError);
    CHECK(a.table[i].stats.sqnrDb == b.table[i].stats.sqnrDb);
  }
}

void openWeightsOnly(AppState& s) {
  for (const PanelEntry& p : panelTable()) s.ui.open.*(p.open) = false;
  s.ui.open.weights = true;
}
}  // namespace

TEST_CASE("weights panel: without synchronous, a change returns with the view pending; the worker's view is "
          "updateWeightsView's", "[weights]") {
  AppState s;
  openWeightsOnly(s);
  s.doc.weights.source = WeightSource::HeavyTailed;
  WeightsView& v = s.derived.weights;
  WeightsView ref;  // the same documents, built at once

  updateDerived(s);
  CHECK(v.viewPending);
  CHECK(!v.inputs);  // nothing to show yet
  waitWeightsJob(v);
  CHECK(!v.viewPending);
  CHECK(!v.tablePending);
  updateWeightsView(s.doc.weights, ref);
  checkSameView(v, ref);
  CHECK(v.table.size() == core::tensorFormats().size());

  // A format change: the last view stays shown, the new one is on its way; the table stays.
  s.doc.weights.format = core::TensorFormat::Q4_K;
  updateDerived(s);
  CHECK(v.viewPending);
  REQUIRE(v.inputs);
  CHECK(v.inputs->format == core::TensorFormat::NF4);
  CHECK(v.q.format == core::TensorFormat::NF4);
  CHECK(weightsTableCurrent(v, s.doc.weights));  // the table does not depend on the chosen format
  waitWeightsJob(v);
  updateWeightsView(s.doc.weights, ref);
  checkSameView(v, ref);

  // A blocksize change: the view and then the table of every format are recomputed; meanwhile the
  // shown table is the one of blocksize 64.
  s.doc.weights.format = core::TensorFormat::Int4;
  s.doc.weights.blocksize = 128;
  updateDerived(s);
  CHECK(v.viewPending);
  REQUIRE(v.tableInputs);
  CHECK(v.tableInputs->blocksize == 64);
  CHECK(!weightsTableCurrent(v, s.doc.weights));  // drawn greyed out
  const auto table64 = v.table;
  CHECK(table64.size() == ref.table.size());
  waitWeightsJob(v);
  CHECK(!v.viewPending);
  CHECK(!v.tablePending);
  CHECK(weightsTableCurrent(v, s.doc.weights));
  REQUIRE(v.tableInputs);
  CHECK(v.tableInputs->blocksize == 128);
  updateWeightsView(s.doc.weights, ref);
  checkSameView(v, ref);
  CHECK(v.table[0].stats.rmse != table64[0].stats.rmse);  // nf4 at 128 is another table row than at 64
  // A further update with nothing new starts nothing.
  updateDerived(s);
  CHECK(!v.viewPending);
  CHECK(!v.tablePending);
}

TEST_CASE("weights panel: a newer change replaces the job in flight; going back drops it", "[weights]") {
  AppState s;
  openWeightsOnly(s);
  s.doc.weights.size = 1 << 18;
  WeightsView& v = s.derived.weights;
  s.synchronous = true;
  updateDerived(s);
  REQUIRE(!v.viewPending);
  REQUIRE(v.error.empty());
  s.synchronous = false;
  const std::vector<float> dequant64 = v.dequant;

  // Back to the view shown before the job is taken: the job is dropped, the view is as it was.
  s.doc.weights.blocksize = 256;
  updateDerived(s);
  CHECK(v.viewPending);
  s.doc.weights.blocksize = 64;
  updateDerived(s);
  // (Unless the worker was quicker than this thread: then the blocksize-256 view came in, and a
  // job for 64 is on its way.)
  if (v.inputs->blocksize == 64) {
    CHECK(!v.viewPending);
    CHECK(!v.tablePending);
  }
  waitWeightsJob(v);
  updateDerived(s);
  CHECK(v.inputs->blocksize == 64);
  CHECK(v.tableInputs->blocksize == 64);
  CHECK(v.dequant == dequant64);

  // Several changes in a row: the last one is what arrives.
  for (int bs : {32, 128, 256}) {
    s.doc.weights.blocksize = bs;
    s.doc.weights.format = bs == 256 ? core::TensorFormat::Q8_0 : core::TensorFormat::FP4;
    updateDerived(s);
    CHECK(v.viewPending);
  }
  waitWeightsJob(v);
  updateDerived(s);
  CHECK(!v.viewPending);
  CHECK(!v.tablePending);
  WeightsView ref;
  updateWeightsView(s.doc.weights, ref);
  checkSameView(v, ref);

  // A new tensor (another seed) while a table is on its way: the view and table of the new one.
  s.doc.weights.seed = 5;
  updateDerived(s);
  waitWeightsJob(v);
  updateWeightsView(s.doc.weights, ref);
  checkSameView(v, ref);
  CHECK(v.description == "normal, 262144 values, seed 5");
}

TEST_CASE("weights panel: a waiting result wakes the window, no wake after setWake({}), and a job in flight "
          "does not hold up closing", "[weights]") {
  std::atomic<int> wakes{0};
  {
    AppState s;
    openWeightsOnly(s);
    s.derived.setWake([&wakes] { ++wakes; });
    updateDerived(s);
    waitWeightsJob(s.derived.weights);
    CHECK(wakes.load() >= 1);  // the view, then the table
    CHECK(!s.derived.weights.table.empty());
    s.derived.setWake({});
    const int before = wakes.load();
    s.doc.weights.blocksize = 32;
    updateDerived(s);
    CHECK(s.derived.weights.viewPending);
    waitWeightsJob(s.derived.weights);
    CHECK(!s.derived.weights.viewPending);
    CHECK(wakes.load() == before);
  }
  {
    // 4M values: the view and the table take seconds; the state goes away at once, the job stopped
    // before its next format and joined.
    AppState s;
    openWeightsOnly(s);
    s.doc.weights.size = 1 << 22;
    updateDerived(s);
    CHECK(s.derived.weights.viewPending);
  }
}

TEST_CASE("offscreen weights panel: the pending view and table draw, then the finished ones", "[weights]") {
  HeadlessUi& ui = weightsUi();
  AppState s;
  s.synchronous = true;
  s.doc.imagePath = std::string(QVIZ_TEST_DATA) + "/chelsea.png";
  openWeightsOnly(s);
  s.doc.weights.size = 1 << 16;
  Commands cmd;
  REQUIRE(ui.frames(s, cmd, 1));
  s.synchronous = false;
  s.doc.weights.format = core::TensorFormat::Q6_K;
  s.doc.weights.blocksize = 32;
  REQUIRE(ui.frames(s, cmd, 1));  // "updating", the blocksize-64 table greyed out
  CHECK(s.derived.weights.viewPending);
  waitWeightsJob(s.derived.weights);
  REQUIRE(ui.frames(s, cmd, 2));
  CHECK(!s.derived.weights.viewPending);
  CHECK(s.derived.weights.inputs->format == core::TensorFormat::Q6_K);
}

TEST_CASE("weights panel: closing it drops the jobs in flight; opening it again finishes the view", "[weights]") {
  AppState s;
  openWeightsOnly(s);
  s.doc.weights.size = 1 << 18;
  WeightsView& v = s.derived.weights;
  updateDerived(s);
  REQUIRE(v.viewPending);
  s.ui.open.weights = false;
  updateDerived(s);
  CHECK(!v.viewPending);
  CHECK(!v.tablePending);
  waitWeightsJob(v);
  updateDerived(s);
  CHECK(!v.viewPending);
  CHECK(!v.tablePending);
  s.ui.open.weights = true;
  s.doc.weights.format = core::TensorFormat::Q5_K;
  updateDerived(s);
  CHECK(v.viewPending);
  waitWeightsJob(v);
  WeightsView ref;
  updateWeightsView(s.doc.weights, ref);
  checkSameView(v, ref);
}
