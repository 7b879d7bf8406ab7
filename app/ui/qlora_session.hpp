// QloraSession: the QLoRA panel's background machinery. Builds the problem (NF4 base, target,
// SVD spectrum) on a worker, trains on its own thread (start, pause, single step, reset), and
// hands snapshots of every tile to the main thread through a mailbox. Only the main thread
// touches GL: it turns snapshots into textures.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "lora/lora_trainer.hpp"
#include "ui/app_state.hpp"

namespace qviz::ui {

class QloraSession {
public:
  QloraSession();
  ~QloraSession();

  // Called every frame with the document's settings: rebuilds the problem when the images or the
  // quantization change, and the trainer when the adapter settings change.
  void configure(const LoraDoc& doc, const std::string& defaultBase, const std::string& defaultTarget);
  void start();
  void pause();
  void stepOnce();
  void reset();
  void setWake(std::function<void()> wake);

  bool running() const { return m_running.load(); }
  bool ready() const;                  // a trainer exists
  bool busy() const { return m_building.load(); }
  std::string error() const;
  // Main thread: uploads the latest snapshot into `tiles` if there is a new one. Returns true then.
  bool poll(QloraTiles& tiles);
  // Waits until the problem is built and the latest snapshot is posted (scripted runs, tests).
  void waitReady();
  // Runs n steps on the calling thread (scripted runs and tests; not while running).
  void runSteps(int n);

  // Read by the panel (thread-safe copies).
  int steps() const;
  double loss() const;
  double floor() const;
  double stepsPerSecond() const { return m_stepsPerSecond.load(); }
  std::vector<double> lossHistory() const;
  std::array<std::vector<double>, 3> spectrum() const;
  int rank() const;
  int rows() const;
  int cols() const;
  core::LoraCounts counts() const;

private:
  void trainLoop();
  void postSnapshot(bool fixedTiles);

  mutable std::mutex m_mutex;  // guards the members below (not the trainer's own state)
  std::condition_variable m_cv;
  std::optional<LoraDoc> m_doc;
  std::string m_basePath, m_targetPath;
  std::shared_ptr<const core::LoraProblem> m_problem;
  std::shared_ptr<core::LoraTrainer> m_trainer;
  std::string m_error;
  std::unique_ptr<core::LoraSnapshot> m_snapshot;  // mailbox
  bool m_snapshotHasFixed = false;
  int m_stepRequests = 0;
  bool m_stop = false;
  std::uint64_t m_buildGeneration = 0;
  std::function<void()> m_wake;
  std::atomic<bool> m_running{false}, m_building{false};
  std::atomic<double> m_stepsPerSecond{0};
  std::thread m_builder;
  std::thread m_thread;
};

// While the QLoRA panel is open (called by updateDerived): makes the session, configures it from
// the document and takes the tiles it finished into Derived::qloraTiles.
void updateQloraView(AppState& s);

}  // namespace qviz::ui
