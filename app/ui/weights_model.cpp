// Weights panel model: tensors in, quantized tensors and statistics out.
#include "ui/weights_model.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <random>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tensor/npy.hpp"
#include "tensor/safetensors.hpp"
#include "ui/worker.hpp"

namespace qviz::ui {
using namespace qviz::core;

std::vector<float> syntheticWeights(WeightSource source, std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  auto uniform01 = [&] { return (double(rng() >> 8) + 0.5) / 16777216.0; };  // (0, 1), 24 bits
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    switch (source) {
      case WeightSource::Uniform: v[i] = float(uniform01() * 2.0 - 1.0); break;
      case WeightSource::Normal:
      case WeightSource::HeavyTailed:
      case WeightSource::File: {
        const double r = std::sqrt(-2.0 * std::log(uniform01())), t = 2.0 * M_PI * uniform01();
        v[i] = float(r * std::cos(t));
        break;
      }
    }
  }
  if (source == WeightSource::HeavyTailed)
    for (std::size_t i = 0; i < n; ++i)
      if (rng() % 1000 == 0) v[i] = (rng() & 1 ? 20.0f : -20.0f) * float(0.75 + 0.5 * uniform01());
  return v;
}

namespace {
Result<std::vector<float>> loadTensorFile(const WeightsDoc& doc, std::string& description, std::size_t& rowLength) {
  const std::string ext = std::filesystem::path(doc.path).extension().string();
  Result<Tensor> t = fail("unsupported tensor file (use .npy or .safetensors): " + doc.path);
  std::string name;
  if (ext == ".npy") {
    t = readNpy(doc.path);
  } else if (ext == ".safetensors") {
    auto index = listSafetensors(doc.path);
    if (!index) return fail(index.error());
    if (index->tensors.empty()) return fail(doc.path + " holds no tensors");
    name = doc.tensorName.empty() ? index->tensors.front().name : doc.tensorName;
    t = loadSafetensor(doc.path, name);
  }
  if (!t) return fail(t.error());
  if (t->dtype != DType::F32 && t->dtype != DType::F16 && t->dtype != DType::BF16)
    return fail(doc.path + ": the weights panel needs a float tensor, not " + dtypeName(t->dtype));
  std::vector<float> values = toFloat32(*t);
  if (auto st = checkFinite(values.data(), values.size()); !st) return fail(doc.path + ": " + st.error());
  description = std::filesystem::path(doc.path).filename().string() + (name.empty() ? "" : ": " + name) + " " +
                shapeString(t->shape) + " " + dtypeName(t->dtype);
  // MX and NVFP4 make their blocks along the last axis (ggml cuts the flattened tensor).
  rowLength = t->shape.size() >= 2 ? std::size_t(t->shape.back()) : 0;
  return values;
}
}  // namespace

std::vector<float> blockLevels(const QuantizedTensor& q, std::size_t block) {
  const std::size_t bs = std::size_t(q.blocksize);
  const std::size_t codes = std::size_t(1) << formatCodeBits(q.format);
  if (bs == 0 || block * bs >= std::max<std::size_t>(q.n, 1)) return {};
  QuantizedTensor one;
  one.format = q.format;
  one.blocksize = q.blocksize;
  one.doubleQuant = q.doubleQuant;
  one.n = bs;
  one.absmax = {q.absmax[block]};
  if (!q.zeroPoint.empty()) one.zeroPoint = {q.zeroPoint[block]};
  if (q.doubleQuant && !q.absmaxDq.empty()) one.absmaxDq = {q.absmaxDq[block]};
  std::vector<float> levels, out(bs);
  for (std::size_t first = 0; first < codes; first += bs) {
    one.codes.assign(bs, 0);
    for (std::size_t i = 0; i < bs; ++i) one.codes[i] = std::uint8_t(std::min(codes - 1, first + i));
    dequantizeBlockwise(one, out.data());
    for (float l : out)
      if (std::isfinite(l)) levels.push_back(l);  // FP8's NaN and Inf patterns are no level
  }
  std::sort(levels.begin(), levels.end());
  levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
  return levels;
}

std::size_t blockTotal(const WeightsView& v) {
  const FormatDesc& d = formatDesc(v.q.format);
  const std::size_t n = v.q.n;
  if (d.isRaw()) {
    const std::size_t bv = std::size_t(d.raw.blockValues);
    const std::size_t row = d.raw.rows == RowRule::Flat || v.q.rowLength == 0 ? n : v.q.rowLength;
    return row ? (n / row) * ((row + bv - 1) / bv) : 0;
  }
  const std::size_t bs = std::size_t(std::max(1, v.q.blocksize));
  return (n + bs - 1) / bs;
}

BlockSpan blockSpan(const WeightsView& v, std::size_t block) {
  const FormatDesc& d = formatDesc(v.q.format);
  const std::size_t n = v.q.n;
  BlockSpan sp;
  if (block >= blockTotal(v)) return sp;
  if (d.isRaw()) {
    const std::size_t bv = std::size_t(d.raw.blockValues);
    const std::size_t row = d.raw.rows == RowRule::Flat || v.q.rowLength == 0 ? n : v.q.rowLength;
    const std::size_t perRow = (row + bv - 1) / bv, inRow = (block % perRow) * bv;
    sp.first = (block / perRow) * row + inRow;
    sp.count = std::min(bv, row - inRow);
    return sp;
  }
  const std::size_t bs = std::size_t(std::max(1, v.q.blocksize));
  sp.first = block * bs;
  sp.count = std::min(bs, n - sp.first);
  return sp;
}

namespace {
// Each value's code: `codes` where it holds n of them, else the 4-bit packed bytes (high nibble first).
std::uint8_t codeAt(const QuantizedTensor& q, std::size_t i) {
  if (q.codes.size() == q.n) return q.codes[i];
  if (q.packed.size() * 2 >= q.n) return std::uint8_t((i & 1) ? (q.packed[i / 2] & 15u) : (q.packed[i / 2] >> 4));
  return 0;
}

std::vector<float> unionOf(const std::vector<std::vector<float>>& sets) {
  std::vector<float> all;
  for (const auto& l : sets) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return all;
}

// The levels of block b of v as sets per sub-block, with the sub-block length.
void levelSets(const WeightsView& v, std::size_t block, std::optional<BlockView>* view, std::string* error,
               std::vector<std::vector<float>>& sets, int& subBlocks, std::size_t& subLength) {
  const FormatDesc& d = formatDesc(v.q.format);
  sets.clear();
  subBlocks = 1;
  subLength = std::size_t(std::max(1, v.q.blocksize));
  if (d.hasRawBlocks()) {
    auto bv = inspectBlock(v.q, block);
    if (bv) {
      subBlocks = std::max(1, bv->subBlocks);
      subLength = std::max<std::size_t>(1, std::size_t(d.raw.blockValues) / std::size_t(subBlocks));
      for (auto l : bv->levels) {
        std::sort(l.begin(), l.end());
        l.erase(std::unique(l.begin(), l.end()), l.end());
        sets.push_back(std::move(l));
      }
      if (view) *view = std::move(*bv);
      return;
    }
    if (error) *error = bv.error();
    if (d.isRaw()) return;
  } else if (error) {
    *error = std::string(d.name) + " stores no blocks of its own: its block is its codes and " + d.scaleName;
  }
  sets.push_back(blockLevels(v.q, block));
}

constexpr int kHistogramBins = 160;

// blockLevels of every block of a format without stored blocks, dequantized together: per block, as
// many pseudo-blocks with its constants as its codes need, in chunks of blocks (one call each).
std::vector<std::vector<float>> allBlockLevels(const QuantizedTensor& q, std::size_t nb) {
  std::vector<std::vector<float>> out(nb);
  const std::size_t bs = std::size_t(std::max(1, q.blocksize));
  const std::size_t codes = std::size_t(1) << formatCodeBits(q.format);
  const std::size_t per = (codes + bs - 1) / bs;  // pseudo-blocks per block
  const bool dq = q.doubleQuant && q.absmaxDq.size() >= nb;
  if (q.absmax.size() < nb || (!q.zeroPoint.empty() && q.zeroPoint.size() < nb)) return out;
  const std::size_t chunk = std::max<std::size_t>(1, (std::size_t(1) << 20) / (per * bs));
  QuantizedTensor one;
  one.format = q.format;
  one.blocksize = q.blocksize;
  one.doubleQuant = dq;
  std::vector<float> values;
  for (std::size_t b0 = 0; b0 < nb; b0 += chunk) {
    const std::size_t m = std::min(chunk, nb - b0), pseudo = m * per;
    one.n = pseudo * bs;
    one.codes.resize(one.n);
    one.absmax.resize(pseudo);
    one.zeroPoint.resize(q.zeroPoint.empty() ? 0 : pseudo);
    one.absmaxDq.resize(dq ? pseudo : 0);
    for (std::size_t k = 0; k < m; ++k)
      for (std::size_t j = 0; j < per; ++j) {
        const std::size_t p = k * per + j;
        one.absmax[p] = q.absmax[b0 + k];
        if (!q.zeroPoint.empty()) one.zeroPoint[p] = q.zeroPoint[b0 + k];
        if (dq) one.absmaxDq[p] = q.absmaxDq[b0 + k];
        for (std::size_t i = 0; i < bs; ++i) one.codes[p * bs + i] = std::uint8_t(std::min(codes - 1, j * bs + i));
      }
    values.resize(one.n);
    dequantizeBlockwise(one, values.data());
    for (std::size_t k = 0; k < m; ++k) {
      std::vector<float>& l = out[b0 + k];
      for (std::size_t i = k * per * bs; i < (k + 1) * per * bs; ++i)
        if (std::isfinite(values[i])) l.push_back(values[i]);
      std::sort(l.begin(), l.end());
      l.erase(std::unique(l.begin(), l.end()), l.end());
    }
  }
  return out;
}
}  // namespace

int WeightsHistogram::binOf(double x) const {
  const int bins = int(counts.size());
  if (bins == 0 || !(hi > lo)) return 0;
  return std::clamp(int((x - lo) / (hi - lo) * double(bins)), 0, bins - 1);
}

BlockInspect inspectWeightsBlock(const WeightsView& v, std::size_t block) {
  BlockInspect b;
  b.block = block;
  b.span = blockSpan(v, block);
  if (b.span.count == 0 || v.values.size() < b.span.first + b.span.count || v.dequant.size() < v.values.size()) return b;
  const auto from = std::ptrdiff_t(b.span.first), to = std::ptrdiff_t(b.span.first + b.span.count);
  b.original.assign(v.values.begin() + from, v.values.begin() + to);
  b.dequant.assign(v.dequant.begin() + from, v.dequant.begin() + to);
  for (std::size_t i = b.span.first; i < b.span.first + b.span.count; ++i) b.codes.push_back(codeAt(v.q, i));
  levelSets(v, block, &b.view, &b.viewError, b.levels, b.subBlocks, b.subLength);
  b.allLevels = unionOf(b.levels);
  return b;
}

namespace {
void buildHistogram(WeightsView& v) {
  WeightsHistogram& h = v.histogram;
  h = WeightsHistogram{};
  const std::size_t nb = blockTotal(v);
  // Every block's level sets, once (they also set the range: a level may lie beyond the values).
  std::vector<std::vector<std::vector<float>>> sets(nb);
  std::vector<std::size_t> subLen(nb, 1);
  float lo = 0.0f, hi = 0.0f;
  for (float x : v.values) {
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  const bool stored = formatDesc(v.q.format).hasRawBlocks();
  std::vector<std::vector<float>> flat;
  if (!stored) flat = allBlockLevels(v.q, nb);
  for (std::size_t b = 0; b < nb; ++b) {
    int sub = 1;
    if (stored) levelSets(v, b, nullptr, nullptr, sets[b], sub, subLen[b]);
    else {
      sets[b] = {std::move(flat[b])};
      subLen[b] = std::size_t(std::max(1, v.q.blocksize));
    }
    for (const auto& l : sets[b])
      if (!l.empty()) {
        lo = std::min(lo, l.front());
        hi = std::max(hi, l.back());
      }
  }
  const double span = std::max(1e-30, double(hi) - double(lo));
  h.lo = double(lo) - span * 0.01;
  h.hi = double(hi) + span * 0.01;
  h.counts.assign(kHistogramBins, 0.0);
  h.levelDensity.assign(kHistogramBins, 0.0);
  for (float x : v.values) h.counts[std::size_t(h.binOf(x))] += 1;
  h.total = v.values.size();
  for (std::size_t b = 0; b < nb; ++b) {
    for (const auto& l : sets[b]) {
      if (l.empty()) continue;
      ++h.levelSets;
      for (float x : l) h.levelDensity[std::size_t(h.binOf(x))] += 1;
    }
    // A value beyond its own (sub-)block's outermost level was clipped (saturated) to it.
    const BlockSpan sp = blockSpan(v, b);
    for (std::size_t i = 0; i < sp.count; ++i) {
      const std::size_t s = std::min(sets[b].size() - (sets[b].empty() ? 0 : 1), i / std::max<std::size_t>(1, subLen[b]));
      if (s >= sets[b].size() || sets[b][s].empty()) continue;
      const float x = v.values[sp.first + i];
      if (x < sets[b][s].front()) ++h.clippedLow;
      if (x > sets[b][s].back()) ++h.clippedHigh;
    }
  }
  h.clipped = h.clippedLow + h.clippedHigh;
}
}  // namespace

namespace {
using Clock = std::chrono::steady_clock;
double msSince(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// What the table depends on: the tensor, the blocksize and double quantization.
WeightsDoc tableKey(WeightsDoc d) {
  d.format = WeightsDoc{}.format;
  d.block = 0;
  return d;
}

// Every format of the table side by side at this blocksize (formats with a fixed blocksize use
// theirs); formats that cannot take the tensor are left out. Stops early (and returns nullopt)
// once `cancelled` says so, checked between formats.
std::optional<std::vector<FormatRow>> computeTable(const std::vector<float>& values, std::size_t rowLength, int blocksize,
                                                   bool doubleQuant, const std::function<bool()>& cancelled) {
  std::vector<FormatRow> table;
  std::vector<float> dq(values.size());
  for (const FormatDesc& f : tensorFormats()) {
    if (cancelled && cancelled()) return std::nullopt;
    BlockwiseSettings fs{f.format, blocksize, doubleQuant && f.doubleQuant};
    fs.rowLength = rowLength;
    auto qf = quantizeBlockwise(values.data(), values.size(), fs);
    if (!qf) continue;
    dequantizeBlockwise(*qf, dq.data());
    table.push_back({f.format, formatStats(values.data(), dq.data(), dq.size(), fs)});
  }
  return table;
}

// Rebuilds everything of `view` but the table when the inputs changed (`reloaded`: the values were
// made or read again). Returns true when the view is then good and wants a table of other inputs
// than view.tableInputs. A worker's `cancelled` is asked between the steps (the view is then
// half made, and dropped).
bool updateChosen(const WeightsDoc& doc, WeightsView& view, bool& reloaded, const std::function<bool()>& cancelled = {}) {
  auto stop = [&] { return cancelled && cancelled(); };
  reloaded = false;
  WeightsDoc key = doc;
  key.block = 0;
  if (view.inputs == key) return false;
  const bool sameTensor = view.inputs && view.error.empty() && view.inputs->source == key.source &&
                          view.inputs->size == key.size && view.inputs->seed == key.seed && view.inputs->path == key.path &&
                          view.inputs->tensorName == key.tensorName && !view.values.empty();
  view.inputs = key;
  const auto t0 = Clock::now();
  if (!sameTensor) {
    reloaded = true;
    view.tableInputs.reset();  // new values (a file may have changed): the table is of the old ones
    view.error.clear();
    view.rowLength = 0;
    if (doc.source == WeightSource::File) {
      auto loaded = loadTensorFile(doc, view.description, view.rowLength);
      if (!loaded) {
        view.error = loaded.error();
        view.values.clear();
        return false;
      }
      view.values = std::move(*loaded);
    } else {
      const char* names[] = {"normal", "heavy-tailed (0.1% outliers)", "uniform"};
      view.values = syntheticWeights(doc.source, std::size_t(std::clamp(doc.size, 64, 1 << 24)), doc.seed);
      view.description = std::string(names[int(doc.source)]) + ", " + std::to_string(view.values.size()) + " values, seed " +
                         std::to_string(doc.seed);
    }
  }
  if (view.values.empty()) {
    view.error = "the tensor is empty";
    return false;
  }
  if (stop()) return false;
  // Double quantization stays set when a format without it is chosen; it applies where the format has it.
  BlockwiseSettings s{doc.format, doc.blocksize, doc.doubleQuant && formatDesc(doc.format).doubleQuant};
  s.rowLength = view.rowLength;
  auto q = quantizeBlockwise(view.values.data(), view.values.size(), s);
  if (!q) {
    view.error = q.error();
    return false;
  }
  view.error.clear();
  view.q = std::move(*q);
  view.dequant.resize(view.values.size());
  dequantizeBlockwise(view.q, view.dequant.data());
  view.stats = formatStats(view.values.data(), view.dequant.data(), view.values.size(), s);
  view.codeUse = codeUse(view.q);
  if (stop()) return false;
  const std::size_t nb = blockTotal(view);
  view.blockRmse.assign(nb, 0.0);
  for (std::size_t b = 0; b < nb; ++b) {
    const BlockSpan sp = blockSpan(view, b);
    double sum = 0;
    for (std::size_t i = sp.first; i < sp.first + sp.count; ++i) {
      const double e = double(view.dequant[i]) - double(view.values[i]);
      sum += e * e;
    }
    view.blockRmse[b] = sp.count ? std::sqrt(sum / double(sp.count)) : 0.0;
  }
  if (stop()) return false;
  buildHistogram(view);
  view.elapsedMs = msSince(t0);
  return view.tableInputs != tableKey(doc);
}
}  // namespace

// The panel's two workers and their mailbox (shared with the worker threads): one makes the view
// (the tensor, the chosen format, the histogram), the other the table of every format, so choosing
// formats one after another never restarts a table on its way.
struct WeightsJob {
  struct Mailbox {
    std::mutex mutex;
    std::uint64_t viewJob = 0, tableJob = 0;  // the jobs whose results are wanted; older jobs' posts are dropped
    bool viewReady = false;   // `view` is viewJob's, not taken yet
    WeightsView view;         // everything but the table
    std::shared_ptr<const std::vector<float>> tensor;  // view.values, shared with the table jobs
    bool tableReady = false;  // `table` is tableJob's, not taken yet
    std::vector<FormatRow> table;
    double tableMs = 0;
    std::function<void()> wake;
  };
  WeightsJob() = default;
  ~WeightsJob() {
    // The jobs in flight stop at their next step; the workers (destroyed first) join them.
    if (viewCancel) *viewCancel = true;
    if (tableCancel) *tableCancel = true;
    std::lock_guard lock(mailbox->mutex);
    mailbox->wake = nullptr;
  }
  WeightsJob(const WeightsJob&) = delete;
  WeightsJob& operator=(const WeightsJob&) = delete;

  // Main thread. What the jobs in flight compute: the view's inputs; the table's, and of which values.
  std::optional<WeightsDoc> pendingInputs, pendingTable;
  std::shared_ptr<const std::vector<float>> pendingTableTensor;
  // The shown view's values as shared with the table jobs (never written), and those the shown
  // table was computed from.
  std::shared_ptr<const std::vector<float>> tensor, tableTensor;
  std::shared_ptr<Mailbox> mailbox = std::make_shared<Mailbox>();
  std::shared_ptr<std::atomic<bool>> viewCancel, tableCancel;  // of the jobs in flight
  std::uint64_t nextJobId = 0;
  // Last: they stop (and join) before the rest goes away.
  std::unique_ptr<LatestJobWorker> viewWorker = std::make_unique<LatestJobWorker>();
  std::unique_ptr<LatestJobWorker> tableWorker = std::make_unique<LatestJobWorker>();
};

namespace {
WeightsJob& jobOf(WeightsView& view) {
  if (!view.job) view.job = std::make_shared<WeightsJob>();
  return *view.job;
}

// The view holds a good tensor the inputs `key` share (no need to make or read it again).
bool holdsTensorOf(const WeightsView& view, const WeightsDoc& key) {
  return view.inputs && view.error.empty() && view.inputs->source == key.source && view.inputs->size == key.size &&
         view.inputs->seed == key.seed && view.inputs->path == key.path && view.inputs->tensorName == key.tensorName &&
         !view.values.empty();
}

// Below the window and the metrics worker, as the error curve: background work never makes a slider
// stutter. (Linux: per thread, and inherited by the threads parallelFor starts from this one.)
void lowerPriority() { (void)setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 10); }

// Posts under the mailbox's lock if the job is still the one wanted, and wakes the window (once
// setWeightsWake(view, {}) returns, no wake reaches a closing window).
template <class Fill>
void post(const std::weak_ptr<WeightsJob::Mailbox>& weak, std::uint64_t WeightsJob::Mailbox::*slot, std::uint64_t id, Fill&& fill) {
  auto box = weak.lock();
  if (!box) return;
  std::lock_guard lock(box->mutex);
  if ((*box).*slot != id) return;  // a newer job replaced this one
  fill(*box);
  if (box->wake) box->wake();
}

// Takes what the jobs wanted have posted (main thread).
void take(WeightsView& view) {
  if (!view.job || (!view.viewPending && !view.tablePending)) return;
  WeightsJob& j = *view.job;
  WeightsJob::Mailbox& m = *j.mailbox;
  std::lock_guard lock(m.mutex);
  if (m.viewReady) {
    m.viewReady = false;
    WeightsView v = std::move(m.view);
    m.view = WeightsView{};
    // The table stays the view's own until its successor arrives.
    v.table = std::move(view.table);
    v.tableInputs = view.tableInputs;
    v.tableMs = view.tableMs;
    v.tablePending = view.tablePending;
    v.job = std::move(view.job);
    view = std::move(v);
    j.tensor = std::move(m.tensor);
    j.pendingInputs.reset();
  }
  if (m.tableReady) {
    m.tableReady = false;
    view.table = std::move(m.table);
    m.table = {};
    view.tableMs = m.tableMs;
    view.tableInputs = j.pendingTable;
    view.tablePending = false;
    j.tableTensor = std::move(j.pendingTableTensor);
    j.pendingTable.reset();
  }
}

// A new job id in `slot`: whatever the job in flight posts later is dropped; it stops at its next step.
std::uint64_t newJob(WeightsJob& j, std::shared_ptr<std::atomic<bool>>& cancel, std::uint64_t WeightsJob::Mailbox::*slot) {
  if (cancel) *cancel = true;
  cancel = std::make_shared<std::atomic<bool>>(false);
  const std::uint64_t id = ++j.nextJobId;
  std::lock_guard lock(j.mailbox->mutex);
  (*j.mailbox).*slot = id;
  if (slot == &WeightsJob::Mailbox::viewJob) {
    j.mailbox->viewReady = false;
    j.mailbox->view = WeightsView{};
  } else {
    j.mailbox->tableReady = false;
    j.mailbox->table = {};
  }
  return id;
}

void cancelView(WeightsView& view) {
  (void)newJob(*view.job, view.job->viewCancel, &WeightsJob::Mailbox::viewJob);
  view.job->pendingInputs.reset();
  view.viewPending = false;
}

void cancelTable(WeightsView& view) {
  (void)newJob(*view.job, view.job->tableCancel, &WeightsJob::Mailbox::tableJob);
  view.job->pendingTable.reset();
  view.job->pendingTableTensor.reset();
  view.tablePending = false;
}

// The view for `key` on the view worker, from the shown view's values where it holds the tensor.
void submitView(WeightsView& view, const WeightsDoc& key) {
  WeightsJob& j = jobOf(view);
  const std::uint64_t id = newJob(j, j.viewCancel, &WeightsJob::Mailbox::viewJob);
  const std::shared_ptr<std::atomic<bool>> cancel = j.viewCancel;
  j.pendingInputs = key;
  view.viewPending = true;
  // The worker's own copy of the tensor (the main thread goes on drawing and replacing the view's),
  // made on the worker from the shared one.
  auto start = std::make_shared<WeightsView>();
  std::shared_ptr<const std::vector<float>> tensor;
  if (holdsTensorOf(view, key)) {
    start->inputs = view.inputs;
    start->description = view.description;
    start->rowLength = view.rowLength;
    if (j.tensor && j.tensor->size() == view.values.size()) tensor = j.tensor;
    else start->values = view.values;  // a view made by updateWeightsView: copied here
  }
  std::weak_ptr<WeightsJob::Mailbox> weak = j.mailbox;
  j.viewWorker->submit([=] {
    lowerPriority();
    WeightsView& w = *start;
    if (tensor) w.values = *tensor;
    bool reloaded = false;
    (void)updateChosen(key, w, reloaded, [&] { return cancel->load(); });
    if (cancel->load()) return;
    auto values = tensor && !reloaded ? tensor : std::make_shared<const std::vector<float>>(w.values);
    post(weak, &WeightsJob::Mailbox::viewJob, id, [&](WeightsJob::Mailbox& b) {
      b.view = std::move(w);
      b.tensor = std::move(values);
      b.viewReady = true;
    });
  });
}

// The table for the shown view, where the one shown (or on its way) is of other inputs or values.
void ensureTable(WeightsView& view) {
  if (view.viewPending || !view.inputs || !view.error.empty() || view.values.empty()) return;
  WeightsJob& j = jobOf(view);
  if (!j.tensor || j.tensor->size() != view.values.size())  // a view made by updateWeightsView
    j.tensor = std::make_shared<const std::vector<float>>(view.values);
  const WeightsDoc want = tableKey(*view.inputs);
  if (view.tableInputs == want && (j.tableTensor == j.tensor || !j.tableTensor)) {
    if (!j.tableTensor) j.tableTensor = j.tensor;  // the table updateWeightsView made, of these values
    if (view.tablePending) cancelTable(view);
    return;
  }
  if (view.tablePending && j.pendingTable == want && j.pendingTableTensor == j.tensor) return;  // on its way
  const std::uint64_t id = newJob(j, j.tableCancel, &WeightsJob::Mailbox::tableJob);
  const std::shared_ptr<std::atomic<bool>> cancel = j.tableCancel;
  j.pendingTable = want;
  j.pendingTableTensor = j.tensor;
  view.tablePending = true;
  const std::shared_ptr<const std::vector<float>> values = j.tensor;
  const std::size_t rowLength = view.rowLength;
  std::weak_ptr<WeightsJob::Mailbox> weak = j.mailbox;
  j.tableWorker->submit([=] {
    lowerPriority();
    const auto t0 = Clock::now();
    auto table = computeTable(*values, rowLength, want.blocksize, want.doubleQuant, [&] { return cancel->load(); });
    if (!table) return;
    post(weak, &WeightsJob::Mailbox::tableJob, id, [&](WeightsJob::Mailbox& b) {
      b.table = std::move(*table);
      b.tableMs = msSince(t0);
      b.tableReady = true;
    });
  });
}
}  // namespace

void updateWeightsView(const WeightsDoc& doc, WeightsView& view) {
  bool reloaded = false;
  if (!updateChosen(doc, view, reloaded)) return;
  const auto t0 = Clock::now();
  view.table = *computeTable(view.values, view.rowLength, doc.blocksize, doc.doubleQuant, {});
  view.tableMs = msSince(t0);
  view.tableInputs = tableKey(doc);
  if (view.job) {  // the panel's shared copies are of values before: made again from these when needed
    view.job->tensor.reset();
    view.job->tableTensor.reset();
  }
}

void updateWeightsPanel(const WeightsDoc& doc, WeightsView& view, bool synchronous, bool withTable) {
  take(view);
  WeightsDoc key = doc;
  key.block = 0;
  if (view.inputs != key) {
    if (!view.viewPending || view.job->pendingInputs != key) submitView(view, key);
  } else if (view.viewPending) {
    cancelView(view);  // back to the view shown
  }
  if (withTable) ensureTable(view);
  else if (view.tablePending) cancelTable(view);
  if (synchronous) waitWeightsJob(view, withTable);
}

void pauseWeightsPanel(WeightsView& view) {
  if (!view.job) return;
  take(view);  // what is done already is kept
  if (view.viewPending) cancelView(view);
  if (view.tablePending) cancelTable(view);
}

bool weightsTableCurrent(const WeightsView& view, const WeightsDoc& doc) {
  return !view.tablePending && view.tableInputs == tableKey(doc);
}

void waitWeightsJob(WeightsView& view, bool withTable) {
  if (!view.job) return;
  if (view.viewPending) {
    view.job->viewWorker->waitIdle();
    take(view);
    if (withTable) ensureTable(view);
  }
  if (view.tablePending) {
    view.job->tableWorker->waitIdle();
    take(view);
  }
}

void setWeightsWake(WeightsView& view, std::function<void()> wake) {
  if (!view.job && !wake) return;
  WeightsJob& j = jobOf(view);
  std::lock_guard lock(j.mailbox->mutex);
  j.mailbox->wake = std::move(wake);
}

// ---- The Format menu and the "About this format" texts ---------------------------------------

std::string familyHeader(const std::string& family) {
  static const std::pair<const char*, const char*> kHeaders[] = {
      {"bnb4", "bitsandbytes"},       {"intn", "integer"},      {"fp8", "FP8"},
      {"ggml_legacy", "ggml legacy"}, {"ggml_kquants", "ggml k-quants"}, {"ggml_iq4", "ggml IQ4"},
      {"ggml_fp4", "ggml FP4"},       {"mx", "OCP MX"},         {"nvfp4", "NVIDIA NVFP4"}};
  for (const auto& [f, h] : kHeaders)
    if (family == f) return h;
  return family;
}

std::vector<FormatGroup> formatMenuGroups() {
  std::vector<FormatGroup> groups;
  for (const FormatDesc& f : tensorFormats()) {
    auto it = std::find_if(groups.begin(), groups.end(), [&](const FormatGroup& g) { return g.family == f.family; });
    if (it == groups.end()) {
      groups.push_back({f.family, familyHeader(f.family), {}});
      it = groups.end() - 1;
    }
    it->formats.push_back(f.format);
  }
  return groups;
}

std::string formatMenuLabel(const FormatDesc& f, int blocksize, bool doubleQuant) {
  BlockwiseSettings s{f.format, blocksize, doubleQuant && f.doubleQuant};
  char b[96];
  std::snprintf(b, sizeof b, "%-13s %6.3f bits/weight", f.name, bitsPerParam(s, 0));
  return b;
}

const char* familyAbout(const std::string& family) {
  // Each statement is backed by docs/numeric-contracts.md (the numeric contract) or the formats' own documents.
  if (family == "bnb4")
    return "bitsandbytes' 4-bit formats (QLoRA): 16 fixed levels (NF4: quantiles of a normal; FP4) scaled by each "
           "block's absmax, stored as float32; double quantization stores the absmax as 8-bit codes with one "
           "float32 per 256 blocks.";
  if (family == "intn")
    return "Plain integer grids: symmetric (scale = absmax / (2^(N-1) - 1)) or asymmetric min-max with a zero "
           "point, one float32 scale per block.";
  if (family == "fp8")
    return "OCP FP8 (E4M3: max 448; E5M2: max 57344), rounded to nearest even and saturating, with a float32 "
           "scale per block.";
  if (family == "ggml_legacy")
    return "ggml's first formats (GGUF files, llama.cpp): blocks of 32 with an fp16 scale d (Q4_0, Q5_0, Q8_0: "
           "symmetric, Q4_0/Q5_0 from the signed value of largest magnitude) or d and a minimum m (Q4_1, Q5_1: "
           "value = code * d + m).";
  if (family == "ggml_kquants")
    return "k-quants (GGUF files, llama.cpp): a super-block of 256 values in 16 sub-blocks of 16 (Q2_K, Q3_K, "
           "Q6_K) or 8 of 32 (Q4_K, Q5_K). Each sub-block is fitted on its own; its scale (and min) is then "
           "itself quantized, to 4 bits (Q2_K), 6 bits (Q3_K, Q4_K, Q5_K) or 8 bits (Q6_K), against one fp16 "
           "super-block scale d (and dmin), and every value is coded again with the stored scales. So the "
           "levels differ from sub-block to sub-block inside one block.";
  if (family == "ggml_iq4")
    return "IQ4 (GGUF files, llama.cpp): 4-bit indices into one fixed non-uniform table of 16 values (-127 .. 113), "
           "times an fp16 d per 32 (IQ4_NL) or per super-block of 256 with eight 6-bit sub-block scales (IQ4_XS). "
           "iq4_nl is the reference routine (ntry = -1); iq4_nl-ntry7 is what llama-quantize writes.";
  if (family == "ggml_fp4")
    return "ggml's own FP4 formats share names with, but not bytes of, the standards. ggml MXFP4: the OCP scale "
           "rule (E8M0, floor(log2 amax) - 2) and E2M1 grid, but ties go to the lower code (toward zero) where "
           "microxcaling rounds half away from zero, tiny blocks wrap below 2^-125, and a byte pairs value j with "
           "j+16 (our MX layout: 2j with 2j+1). ggml NVFP4: 64-value blocks of four UE4M3 scales (one per 16), "
           "no tensor scale, its own scale rounding (half up; 256..448 -> 448; subnormals kept) and ties toward "
           "zero, where NVIDIA's NVFP4 has one E4M3 per 16 (RNE) and an fp32 tensor scale.";
  if (family == "mx")
    return "OCP Microscaling (MX v1.0): 32 values share one E8M0 scale, 2^se, a pure power of two, so applying it "
           "is a shift of the exponent with no multiplier in hardware; se = floor(log2 amax) - emax of the "
           "element (2 for E2M1). Elements FP4 E2M1, FP6 E3M2/E2M3, FP8 E4M3/E5M2 or INT8, rounded half away "
           "from zero (microxcaling) and saturating. MXFP4 is the format gpt-oss ships its MoE weights in "
           "(4.25 bits per weight).";
  if (family == "nvfp4")
    return "NVIDIA NVFP4 (Blackwell's 4-bit format; here as torchao computes it): E2M1 values in blocks of 16, "
           "each with an FP8 E4M3 scale, and an fp32 scale per tensor (amax / 2688, 2688 = 448 x 6). E4M3 block "
           "scales span only about 2^-9 .. 448 (torchao clamps them to 2^-6 .. 448), so the tensor scale maps the "
           "tensor's range into that span; nvfp4-1level leaves it out (block scales must then hold the values "
           "themselves).";
  return "";
}

}  // namespace qviz::ui
