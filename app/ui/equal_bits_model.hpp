// The Equal-bits panel's data: core::sweepFormats (every format of the table, each block size where
// a format has a choice, with and without double quantization) on the Weights panel's current
// tensor, on a worker thread, only while the panel is open; and the pure computations the panel
// draws from (the budget's winner, the Pareto front as a step line, the table's sort order, where
// point labels go without overlapping). No ImGui and no GL here.
//
// The job restarts when the tensor changes (its source, size, seed, file or tensor name), is
// cancelled when the panel closes or the tensor changes again, and wakes the window when it is done
// and every 250 ms while it runs (the panel shows the time so far).
#pragma once
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "quant/format_sweep.hpp"
#include "ui/weights_model.hpp"
#include "ui/worker.hpp"

namespace qviz::ui {

struct AppState;

struct EqualBitsJob {
  // What the sweep is of: the Weights panel's tensor (not its format, which the sweep varies).
  struct Key {
    WeightSource source = WeightSource::Normal;
    int size = 0;
    std::uint32_t seed = 0;
    std::string path, tensorName;
    std::size_t n = 0;  // values in the tensor
    std::size_t rowLength = 0;  // the last axis MX/NVFP4 cut along (0: one row)
    bool operator==(const Key&) const = default;
  };
  // Shared with the worker thread.
  struct Mailbox {
    std::mutex mutex;
    std::uint64_t jobId = 0;    // the job whose results are wanted; older jobs' posts are dropped
    std::uint64_t version = 0;  // +1 per post
    std::vector<core::SweepRow> rows;
    bool running = false;
    double elapsedMs = 0;
    std::function<void()> wake;
  };

  EqualBitsJob();
  ~EqualBitsJob();
  EqualBitsJob(const EqualBitsJob&) = delete;
  EqualBitsJob& operator=(const EqualBitsJob&) = delete;

  // Main-thread copies of the latest post, what the panel draws.
  std::optional<Key> key;
  std::string description;  // the tensor, as the Weights panel describes it
  std::vector<core::SweepRow> rows;
  bool running = false;
  double elapsedMs = 0;  // of the finished sweep
  std::chrono::steady_clock::time_point started;  // of the job in flight (progress while running)

  std::shared_ptr<Mailbox> mailbox = std::make_shared<Mailbox>();
  std::shared_ptr<std::atomic<bool>> cancel;  // of the job in flight
  std::uint64_t takenVersion = 0;
  std::uint64_t nextJobId = 0;
  // Last: stops (and joins) before the rest goes away.
  std::unique_ptr<LatestJobWorker> worker = std::make_unique<LatestJobWorker>();
};

// The options the panel sweeps with: SweepOptions' defaults (block sizes 32-256, with and without
// double quantization) and the tensor's row length.
// The sweep's options for a tensor with rows of rowLength (the Weights view's: a file's last axis).
core::SweepOptions equalBitsOptions(std::size_t rowLength = 0);

// Starts, cancels and collects the job (main thread, from updateDerived). Needs the Weights view
// (s.derived.weights) updated first.
void updateEqualBits(AppState& s);
// The window's wake; empty to stop waking (at shutdown). Derived::setWake calls it.
void setEqualBitsWake(EqualBitsJob& job, std::function<void()> wake);

// ---- Pure computations on the rows ----

// A row is inside the budget when it applies to the tensor and lo <= bits per weight <= hi.
bool inBudget(const core::SweepRow& r, double lo, double hi);
// The row that wins the budget: the highest SQNR among the rows inside it (ties: fewer bits, then
// the first in table order); none when no row is inside.
std::optional<std::size_t> budgetWinner(const std::vector<core::SweepRow>& rows, double lo, double hi);
// "within 4.25-4.5 bits, q4_k wins: SQNR 20.31 dB (4.5 bits/weight)", or why there is no winner.
std::string budgetSentence(const std::vector<core::SweepRow>& rows, double lo, double hi);

// The Pareto rows (SweepRow::pareto) in order of bits per weight (ties: higher SQNR first).
std::vector<std::size_t> paretoOrder(const std::vector<core::SweepRow>& rows);
// The step line through them: from each point level to the next one's bits, then to its value.
// `value` picks what is on the y axis (SQNR or RMSE). Returns x and y of every vertex.
struct StepLine {
  std::vector<double> x, y;
};
StepLine paretoSteps(const std::vector<core::SweepRow>& rows, double (*value)(const core::SweepRow&));
double sqnrOf(const core::SweepRow& r);
double rmseOf(const core::SweepRow& r);

// The rows that do not apply, one line per reason: "not for this tensor: q2_k, q3_k (each quantizes
// ...)". The core's errors start with the format's name; without it, equal reasons group.
std::vector<std::string> notApplicableLines(const std::vector<core::SweepRow>& rows);

// The table's columns and their sort.
enum class EqualBitsColumn : int { Format, Blocksize, DoubleQuant, Bits, Sqnr, Rmse, MaxError, Pareto, Count };
// Indices of the rows that apply to the tensor, sorted by the column (stable: table order on ties).
std::vector<std::size_t> sortedRows(const std::vector<core::SweepRow>& rows, EqualBitsColumn column, bool ascending);

// The colour family a row belongs to (FormatDesc::family: "bnb4", "intn", "ggml_kquants", ...) and
// how the legend names it ("bitsandbytes 4-bit", "ggml k-quants", ...).
const char* familyOf(const core::SweepRow& r);
const char* familyTitle(const char* family);
// The families of the format table in table order, each once.
const std::vector<const char*>& families();

// Labels next to points that never overlap each other or another point: label i (width w[i],
// height h) for the point at (px[i], py[i]) goes to the first of right, left, above, below of its
// point (`gap` outside its radius r[i]) that stays inside the box and clear of every label placed
// before it and of every point (the square of radius r[k] around it); `order` says who gets room first. Unplaced labels: none (the panel
// shows them on hover). Positions are the labels' top-left corners.
struct LabelBox {
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  bool overlaps(const LabelBox& o) const { return x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1; }
};
std::vector<std::optional<LabelBox>> placeLabels(const std::vector<float>& px, const std::vector<float>& py,
                                                 const std::vector<float>& w, float h, const std::vector<float>& r, float gap,
                                                 const std::vector<std::size_t>& order, LabelBox bounds);

}  // namespace qviz::ui
