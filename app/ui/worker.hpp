// LatestJobWorker: one background thread that runs the most recently submitted job; a job
// submitted while another waits replaces it (a slider dragged through ten values computes the
// last one, not all ten). Results go back through the job's own mailbox; `wake` is called after
// each job so the main loop redraws (glfwPostEmptyEvent).
#pragma once
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace qviz::ui {

class LatestJobWorker {
public:
  explicit LatestJobWorker(std::function<void()> wake = {});
  ~LatestJobWorker();
  LatestJobWorker(const LatestJobWorker&) = delete;
  LatestJobWorker& operator=(const LatestJobWorker&) = delete;

  void submit(std::function<void()> job);
  // Blocks until no job is pending or running (scripted runs and tests).
  void waitIdle();
  void setWake(std::function<void()> wake);

private:
  void loop();
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::function<void()> m_pending;
  std::function<void()> m_wake;
  bool m_running = false;
  bool m_stop = false;
  std::thread m_thread;
};

}  // namespace qviz::ui
