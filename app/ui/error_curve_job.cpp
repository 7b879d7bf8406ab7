// The error-curve worker: one job at a time on its own thread, cancellable between points.
#include "ui/error_curve_job.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>

namespace qviz::ui {

ErrorCurveJob::ErrorCurveJob() = default;

ErrorCurveJob::~ErrorCurveJob() {
  // The job in flight stops at its next point; the worker (destroyed first) joins it.
  if (cancel) *cancel = true;
  std::lock_guard lock(mailbox->mutex);
  mailbox->wake = nullptr;
}

namespace {
using Clock = std::chrono::steady_clock;

void take(ErrorCurveJob& j) {
  ErrorCurveJob::Mailbox& m = *j.mailbox;
  std::lock_guard lock(m.mutex);
  if (m.version == j.takenVersion) return;
  j.takenVersion = m.version;
  j.curves = m.curves;
  j.running = m.running;
  j.error = m.error;
  j.elapsedMs = m.elapsedMs;
}

// A job that computes what `j.curves` is missing, for the current image and settings.
void submit(AppState& s, ErrorCurveJob& j) {
  if (j.cancel) *j.cancel = true;
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  j.cancel = cancel;
  const std::uint64_t id = ++j.nextJobId;
  const core::ErrorCurves start = j.curves;
  const double elapsedBefore = j.elapsedMs;
  {
    std::lock_guard lock(j.mailbox->mutex);
    j.mailbox->jobId = id;
    j.mailbox->curves = start;
    j.mailbox->running = true;
    j.mailbox->error.clear();
    j.mailbox->elapsedMs = elapsedBefore;
    j.takenVersion = ++j.mailbox->version;
  }
  j.running = true;
  j.error.clear();
  auto image = std::make_shared<const core::Image>(s.derived.image);
  const core::UniformSettings base = s.doc.quant;
  const std::size_t first = core::curveModeIndex(base).value_or(0);
  std::weak_ptr<ErrorCurveJob::Mailbox> weak = j.mailbox;
  j.worker->submit([=] {
    // Below the window and the metrics worker: a background curve never makes a slider stutter.
    // (Linux: per thread, and inherited by the threads parallelFor starts from this one.)
    (void)setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 10);
    const auto t0 = Clock::now();
    auto lastWake = t0;
    // Posts the curves so far; wakes the window at most every 100 ms, and at the end.
    auto post = [&](const core::ErrorCurves& c, bool final, const std::string& error) {
      auto box = weak.lock();
      if (!box) return;
      std::lock_guard lock(box->mutex);
      if (box->jobId != id) return;  // a newer job replaced this one
      box->curves = c;
      box->running = !final;
      box->error = error;
      const auto now = Clock::now();
      box->elapsedMs = elapsedBefore + std::chrono::duration<double, std::milli>(now - t0).count();
      ++box->version;
      // Under the lock: once setErrorCurveWake(job, {}) returns, no wake reaches a closing window.
      if ((final || now - lastWake >= std::chrono::milliseconds(100)) && box->wake) {
        lastWake = now;
        box->wake();
      }
    };
    core::ErrorCurves c = start;
    const core::Image reference = core::quantizerReference(*image, base);
    core::ErrorCurveOptions o;
    o.firstMode = first;
    o.cancelled = [&] { return cancel->load(); };
    o.progress = [&](const core::ErrorCurves& now) { post(now, false, {}); };
    const core::Status st = core::fillErrorCurves(reference, base, c, o);
    post(c, true, st ? std::string() : st.error());
  });
}
}  // namespace

void updateErrorCurve(AppState& s) {
  Derived& d = s.derived;
  if (!d.errorCurve) return;
  ErrorCurveJob& j = *d.errorCurve;
  take(j);
  // Closed panel (or nothing to measure): no work. A job in flight stops at its next point and
  // posts what it has; opening the panel again resumes from there.
  if (!s.ui.open.errorCurve || d.image.empty() || d.image.type == core::SampleType::F32) {
    if (j.running && j.cancel) *j.cancel = true;
    return;
  }
  const ErrorCurveJob::Key k{d.loadedPath, d.imageRevision, s.doc.quant.gray, s.doc.quant.seed};
  if (j.key != k) {
    const bool onlySeed = j.key && j.key->path == k.path && j.key->imageRevision == k.imageRevision &&
                          j.key->gray == k.gray && j.curves.maxBits == d.image.bitDepth();
    if (onlySeed) {
      // A new seed changes the stochastic curve only.
      for (std::size_t m = 0; m < core::errorCurveModes().size(); ++m)
        if (core::errorCurveModes()[m].rounding == core::Rounding::Stochastic)
          j.curves.points[m].assign(j.curves.points[m].size(), core::CurvePoint{});
    } else {
      j.curves = core::emptyErrorCurves(d.image.bitDepth());
      j.elapsedMs = 0;
    }
    j.key = k;
    j.width = d.image.width;
    j.height = d.image.height;
    j.channels = s.doc.quant.gray ? 1 : d.image.colorChannels();
    submit(s, j);
  } else if (!j.running && !j.curves.complete() && j.error.empty()) {
    submit(s, j);
  }
  if (s.synchronous) {
    j.worker->waitIdle();
    take(j);
  }
}

void setErrorCurveWake(ErrorCurveJob& job, std::function<void()> wake) {
  std::lock_guard lock(job.mailbox->mutex);
  job.mailbox->wake = std::move(wake);
}

}  // namespace qviz::ui
