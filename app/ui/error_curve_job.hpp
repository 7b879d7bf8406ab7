// The Error-against-bits panel's background computation: core::fillErrorCurves on a worker thread
// for the current image (and its grayscale and seed settings), only while the panel is open.
// Restarted when the image changes, cancelled when the panel closes (resumed from the points
// already done when it opens again). The worker posts its points to a mailbox and wakes the window
// (at most every 100 ms, and when done); the main thread copies them in updateErrorCurve().
// No ImGui and no GL here.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "metrics/error_curve.hpp"
#include "ui/app_state.hpp"
#include "ui/worker.hpp"

namespace qviz::ui {

struct ErrorCurveJob {
  // What the curves are of: one image (path and load) and the settings every point shares.
  struct Key {
    std::string path;
    std::uint64_t imageRevision = 0;
    bool gray = false;
    std::uint32_t seed = 0;
    bool operator==(const Key&) const = default;
  };
  // Shared with the worker thread.
  struct Mailbox {
    std::mutex mutex;
    std::uint64_t jobId = 0;    // the job whose results are wanted; older jobs' posts are dropped
    std::uint64_t version = 0;  // +1 per post
    core::ErrorCurves curves;
    bool running = false;
    std::string error;
    double elapsedMs = 0;  // computing time of the current curves, summed over resumed runs
    std::function<void()> wake;
  };

  ErrorCurveJob();
  ~ErrorCurveJob();
  ErrorCurveJob(const ErrorCurveJob&) = delete;
  ErrorCurveJob& operator=(const ErrorCurveJob&) = delete;

  // Main-thread copies of the latest post, what the panel draws.
  std::optional<Key> key;
  core::ErrorCurves curves;
  bool running = false;
  std::string error;
  double elapsedMs = 0;
  int width = 0, height = 0, channels = 0;  // of the image measured

  std::shared_ptr<Mailbox> mailbox = std::make_shared<Mailbox>();
  std::shared_ptr<std::atomic<bool>> cancel;  // of the job in flight
  std::uint64_t takenVersion = 0;
  std::uint64_t nextJobId = 0;
  // Last: stops (and joins) before the rest goes away.
  std::unique_ptr<LatestJobWorker> worker = std::make_unique<LatestJobWorker>();
};

// Starts, resumes, cancels and collects the job (main thread, from updateDerived).
void updateErrorCurve(AppState& s);

// The window's wake (glfwPostEmptyEvent and a redraw flag); empty to stop waking (at shutdown).
void setErrorCurveWake(ErrorCurveJob& job, std::function<void()> wake);  // Derived::setWake calls it

}  // namespace qviz::ui
