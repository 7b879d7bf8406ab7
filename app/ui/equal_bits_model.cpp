// The Equal-bits panel's worker and the computations it draws from.
#include "ui/equal_bits_model.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <thread>

#include "ui/app_state.hpp"

namespace qviz::ui {
using Clock = std::chrono::steady_clock;

EqualBitsJob::EqualBitsJob() = default;

EqualBitsJob::~EqualBitsJob() {
  // The sweep in flight stops at its next row; the worker (destroyed first) joins it.
  if (cancel) *cancel = true;
  std::lock_guard lock(mailbox->mutex);
  mailbox->wake = nullptr;
}

core::SweepOptions equalBitsOptions(std::size_t rowLength) {
  core::SweepOptions o;
  o.rowLength = rowLength;  // MX and NVFP4 cut a loaded 2-D tensor along its last axis, as the Weights panel
  return o;
}

namespace {
void take(EqualBitsJob& j) {
  EqualBitsJob::Mailbox& m = *j.mailbox;
  std::lock_guard lock(m.mutex);
  if (m.version == j.takenVersion) return;
  j.takenVersion = m.version;
  j.rows = m.rows;
  j.running = m.running;
  j.elapsedMs = m.elapsedMs;
}

void submit(const std::vector<float>& values, std::size_t rowLength, EqualBitsJob& j) {
  if (j.cancel) *j.cancel = true;
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  j.cancel = cancel;
  const std::uint64_t id = ++j.nextJobId;
  {
    std::lock_guard lock(j.mailbox->mutex);
    j.mailbox->jobId = id;
    j.mailbox->rows.clear();
    j.mailbox->running = true;
    j.mailbox->elapsedMs = 0;
    j.takenVersion = ++j.mailbox->version;
  }
  j.rows.clear();
  j.running = true;
  j.elapsedMs = 0;
  j.started = Clock::now();
  auto x = std::make_shared<const std::vector<float>>(values);
  std::weak_ptr<EqualBitsJob::Mailbox> weak = j.mailbox;
  j.worker->submit([x, rowLength, cancel, id, weak] {
    // Below the window: a background sweep never makes a slider stutter (Linux: per thread).
    (void)setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 10);
    const auto t0 = Clock::now();
    // sweepFormats reports nothing until it is done: a ticker wakes the window every 250 ms so the
    // panel's time so far moves.
    std::mutex tickMutex;
    std::condition_variable tickCv;
    bool done = false;
    std::thread ticker([&] {
      std::unique_lock lock(tickMutex);
      while (!tickCv.wait_for(lock, std::chrono::milliseconds(250), [&] { return done; })) {
        auto box = weak.lock();
        if (!box) return;
        std::lock_guard boxLock(box->mutex);
        if (box->jobId != id) return;
        if (box->wake) box->wake();
      }
    });
    std::vector<core::SweepRow> rows = core::sweepFormats(x->data(), x->size(), equalBitsOptions(rowLength), cancel.get());
    {
      std::lock_guard lock(tickMutex);
      done = true;
    }
    tickCv.notify_all();
    ticker.join();
    auto box = weak.lock();
    if (!box) return;
    std::lock_guard lock(box->mutex);
    if (box->jobId != id) return;  // a newer job replaced this one (or it was cancelled)
    box->rows = std::move(rows);
    box->running = false;
    box->elapsedMs = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    ++box->version;
    // Under the lock: once setEqualBitsWake(job, {}) returns, no wake reaches a closing window.
    if (box->wake) box->wake();
  });
}
}  // namespace

void updateEqualBits(AppState& s) {
  Derived& d = s.derived;
  if (!d.equalBits) return;
  EqualBitsJob& j = *d.equalBits;
  take(j);
  const WeightsView& w = d.weights;
  // Closed panel or no tensor: no work; a job in flight stops at its next row.
  if (!s.ui.open.equalBits || !w.inputs || w.values.empty()) {
    if (j.running && j.cancel) {
      *j.cancel = true;
      std::lock_guard lock(j.mailbox->mutex);
      j.mailbox->jobId = ++j.nextJobId;  // its rows are not wanted
      j.mailbox->running = false;
      j.running = false;
      j.key.reset();  // opening again starts over
    }
    return;
  }
  const WeightsDoc& in = *w.inputs;
  const EqualBitsJob::Key k{in.source, in.size, in.seed, in.path, in.tensorName, w.values.size(), w.rowLength};
  if (j.key != k) {
    j.key = k;
    j.description = w.description;
    submit(w.values, w.rowLength, j);
  }
  if (s.synchronous) {
    j.worker->waitIdle();
    take(j);
  }
}

void setEqualBitsWake(EqualBitsJob& job, std::function<void()> wake) {
  std::lock_guard lock(job.mailbox->mutex);
  job.mailbox->wake = std::move(wake);
}

// ---- Pure computations ----

bool inBudget(const core::SweepRow& r, double lo, double hi) {
  return r.ok && r.bitsPerWeight >= lo && r.bitsPerWeight <= hi;
}

std::optional<std::size_t> budgetWinner(const std::vector<core::SweepRow>& rows, double lo, double hi) {
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!inBudget(rows[i], lo, hi)) continue;
    if (!best || rows[i].sqnrDb > rows[*best].sqnrDb ||
        (rows[i].sqnrDb == rows[*best].sqnrDb && rows[i].bitsPerWeight < rows[*best].bitsPerWeight))
      best = i;
  }
  return best;
}

std::string budgetSentence(const std::vector<core::SweepRow>& rows, double lo, double hi) {
  char buf[256];
  const auto win = budgetWinner(rows, lo, hi);
  if (!win) {
    std::snprintf(buf, sizeof buf, "no format stores %.4g-%.4g bits per weight on this tensor", lo, hi);
    return buf;
  }
  const core::SweepRow& r = rows[*win];
  std::size_t inside = 0;
  for (const auto& row : rows) inside += inBudget(row, lo, hi);
  std::snprintf(buf, sizeof buf, "within %.4g-%.4g bits, %s wins: SQNR %.2f dB at %.4g bits/weight (%zu format%s inside)", lo,
                hi, r.label.c_str(), r.sqnrDb, r.bitsPerWeight, inside, inside == 1 ? "" : "s");
  return buf;
}

std::vector<std::size_t> paretoOrder(const std::vector<core::SweepRow>& rows) {
  std::vector<std::size_t> idx;
  for (std::size_t i = 0; i < rows.size(); ++i)
    if (rows[i].ok && rows[i].pareto) idx.push_back(i);
  std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
    if (rows[a].bitsPerWeight != rows[b].bitsPerWeight) return rows[a].bitsPerWeight < rows[b].bitsPerWeight;
    return rows[a].sqnrDb > rows[b].sqnrDb;
  });
  return idx;
}

double sqnrOf(const core::SweepRow& r) { return r.sqnrDb; }
double rmseOf(const core::SweepRow& r) { return r.rmse; }

StepLine paretoSteps(const std::vector<core::SweepRow>& rows, double (*value)(const core::SweepRow&)) {
  StepLine s;
  const std::vector<std::size_t> front = paretoOrder(rows);
  for (std::size_t k = 0; k < front.size(); ++k) {
    const core::SweepRow& r = rows[front[k]];
    if (k > 0) {  // level at the previous value up to this point's bits, then up (or down) to it
      s.x.push_back(r.bitsPerWeight);
      s.y.push_back(s.y.back());
    }
    s.x.push_back(r.bitsPerWeight);
    s.y.push_back(value(r));
  }
  return s;
}

std::vector<std::size_t> sortedRows(const std::vector<core::SweepRow>& rows, EqualBitsColumn column, bool ascending) {
  std::vector<std::size_t> idx;
  for (std::size_t i = 0; i < rows.size(); ++i)
    if (rows[i].ok) idx.push_back(i);
  auto key = [&](const core::SweepRow& r) -> double {
    switch (column) {
      case EqualBitsColumn::Blocksize: return r.settings.blocksize;
      case EqualBitsColumn::DoubleQuant: return r.settings.doubleQuant ? 1 : 0;
      case EqualBitsColumn::Bits: return r.bitsPerWeight;
      case EqualBitsColumn::Sqnr: return r.sqnrDb;
      case EqualBitsColumn::Rmse: return r.rmse;
      case EqualBitsColumn::MaxError: return r.maxAbsError;
      case EqualBitsColumn::Pareto: return r.pareto ? 1 : 0;
      case EqualBitsColumn::Format:
      case EqualBitsColumn::Count: break;
    }
    return 0;
  };
  std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
    if (column == EqualBitsColumn::Format) {
      const int c = std::strcmp(core::formatDesc(rows[a].settings.format).name, core::formatDesc(rows[b].settings.format).name);
      return ascending ? c < 0 : c > 0;
    }
    const double ka = key(rows[a]), kb = key(rows[b]);
    return ascending ? ka < kb : ka > kb;
  });
  return idx;
}

// The formats that do not apply, one line per reason: "not for this tensor: a, b, c (REASON)". The
// core's errors name the format first ("q4_1 quantizes the flattened tensor in blocks of 32, ...",
// "q4_1: the block codec is missing"); without the name, equal reasons group ("each quantizes ...").
std::vector<std::string> notApplicableLines(const std::vector<core::SweepRow>& rows) {
  std::vector<std::pair<std::string, std::string>> groups;  // reason, labels
  for (const core::SweepRow& r : rows) {
    if (r.ok) continue;
    std::string reason = r.error;
    for (const std::string& name : {r.label, std::string(core::formatDesc(r.settings.format).name)}) {
      if (reason.rfind(name + ": ", 0) == 0) {
        reason.erase(0, name.size() + 2);
        break;
      }
      if (reason.rfind(name + " ", 0) == 0) {
        reason = "each " + reason.substr(name.size() + 1);
        break;
      }
    }
    auto g = std::find_if(groups.begin(), groups.end(), [&](const auto& p) { return p.first == reason; });
    if (g == groups.end()) groups.push_back({reason, r.label});
    else g->second += ", " + r.label;
  }
  std::vector<std::string> lines;
  for (const auto& [reason, labels] : groups) lines.push_back("not for this tensor: " + labels + " (" + reason + ")");
  return lines;
}

const char* familyOf(const core::SweepRow& r) { return core::formatDesc(r.settings.format).family; }

const char* familyTitle(const char* family) {
  struct Name {
    const char *family, *title;
  };
  static const Name names[] = {
      {"bnb4", "bitsandbytes 4-bit"}, {"intn", "integer absmax / min-max"}, {"fp8", "FP8"},
      {"ggml_legacy", "ggml legacy"},  {"ggml_kquants", "ggml k-quants"},   {"ggml_iq4", "ggml IQ4"},
      {"ggml_fp4", "ggml FP4"},        {"mx", "OCP MX"},                     {"nvfp4", "NVIDIA NVFP4"},
  };
  for (const Name& n : names)
    if (std::strcmp(n.family, family) == 0) return n.title;
  return family;
}

const std::vector<const char*>& families() {
  static const std::vector<const char*> list = [] {
    std::vector<const char*> out;
    for (const core::FormatDesc& d : core::tensorFormats())
      if (std::none_of(out.begin(), out.end(), [&](const char* f) { return std::strcmp(f, d.family) == 0; }))
        out.push_back(d.family);
    return out;
  }();
  return list;
}

std::vector<std::optional<LabelBox>> placeLabels(const std::vector<float>& px, const std::vector<float>& py,
                                                 const std::vector<float>& w, float h, const std::vector<float>& r, float gap,
                                                 const std::vector<std::size_t>& order, LabelBox bounds) {
  const std::size_t n = px.size();
  std::vector<std::optional<LabelBox>> out(n);
  std::vector<LabelBox> taken;
  taken.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) taken.push_back({px[i] - r[i], py[i] - r[i], px[i] + r[i], py[i] + r[i]});
  for (std::size_t i : order) {
    if (i >= n) continue;
    const float d = r[i] + gap;
    const LabelBox candidates[] = {
        {px[i] + d, py[i] - h * 0.5f, px[i] + d + w[i], py[i] + h * 0.5f},         // right
        {px[i] - d - w[i], py[i] - h * 0.5f, px[i] - d, py[i] + h * 0.5f},         // left
        {px[i] - w[i] * 0.5f, py[i] - d - h, px[i] + w[i] * 0.5f, py[i] - d},      // above
        {px[i] - w[i] * 0.5f, py[i] + d, px[i] + w[i] * 0.5f, py[i] + d + h},      // below
    };
    for (const LabelBox& c : candidates) {
      if (c.x0 < bounds.x0 || c.y0 < bounds.y0 || c.x1 > bounds.x1 || c.y1 > bounds.y1) continue;
      if (std::any_of(taken.begin(), taken.end(), [&](const LabelBox& t) { return t.overlaps(c); })) continue;
      out[i] = c;
      taken.push_back(c);
      break;
    }
  }
  return out;
}

}  // namespace qviz::ui
