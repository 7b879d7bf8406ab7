// Background worker with a single "latest job" slot.
#include "ui/worker.hpp"

namespace qviz::ui {

LatestJobWorker::LatestJobWorker(std::function<void()> wake) : m_wake(std::move(wake)), m_thread([this] { loop(); }) {}

LatestJobWorker::~LatestJobWorker() {
  {
    std::lock_guard lock(m_mutex);
    m_stop = true;
    m_pending = nullptr;
  }
  m_cv.notify_all();
  m_thread.join();
}

void LatestJobWorker::setWake(std::function<void()> wake) {
  std::lock_guard lock(m_mutex);
  m_wake = std::move(wake);
}

void LatestJobWorker::submit(std::function<void()> job) {
  {
    std::lock_guard lock(m_mutex);
    m_pending = std::move(job);
  }
  m_cv.notify_all();
}

void LatestJobWorker::waitIdle() {
  std::unique_lock lock(m_mutex);
  m_cv.wait(lock, [this] { return !m_pending && !m_running; });
}

void LatestJobWorker::loop() {
  std::unique_lock lock(m_mutex);
  for (;;) {
    m_cv.wait(lock, [this] { return m_stop || m_pending; });
    if (m_stop) return;
    std::function<void()> job = std::move(m_pending);
    m_pending = nullptr;
    m_running = true;
    lock.unlock();
    job();
    lock.lock();
    m_running = false;
    if (m_wake) m_wake();
    m_cv.notify_all();
  }
}

}  // namespace qviz::ui
