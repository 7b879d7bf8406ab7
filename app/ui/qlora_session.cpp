// QLoRA panel machinery: problem building, the training thread and snapshot hand-off.
#include "ui/qlora_session.hpp"

#include <filesystem>

#include "image/image_io.hpp"
#include "ui/explorer.hpp"

namespace qviz::ui {
using namespace qviz::core;
using clock_type = std::chrono::steady_clock;

QloraSession::QloraSession() : m_thread([this] { trainLoop(); }) {}

QloraSession::~QloraSession() {
  {
    std::lock_guard lock(m_mutex);
    m_stop = true;
    if (m_trainer) m_trainer->requestCancel();
  }
  m_cv.notify_all();
  if (m_builder.joinable()) m_builder.join();
  m_thread.join();
}

void QloraSession::setWake(std::function<void()> wake) {
  std::lock_guard lock(m_mutex);
  m_wake = std::move(wake);
}

void QloraSession::configure(const LoraDoc& doc, const std::string& defaultBase, const std::string& defaultTarget) {
  std::unique_lock lock(m_mutex);
  if (m_doc == doc) return;
  const std::string basePath = doc.basePath.empty() ? defaultBase : doc.basePath;
  const std::string targetPath = doc.targetPath.empty() ? defaultTarget : doc.targetPath;
  const bool rebuild = !m_doc || basePath != m_basePath || targetPath != m_targetPath ||
                       m_doc->blocksize != doc.blocksize || m_doc->doubleQuant != doc.doubleQuant;
  m_doc = doc;
  m_running = false;
  if (m_trainer) m_trainer->requestCancel();
  LoraSettings ls;
  ls.rank = doc.rank;
  ls.alpha = doc.alpha;
  ls.rsLora = doc.rsLora;
  ls.optimizer = doc.sgd ? LoraOptimizer::Sgd : LoraOptimizer::Adam;
  ls.lr = doc.lr;
  ls.seed = doc.seed;
  auto makeTrainer = [this, ls](std::shared_ptr<const LoraProblem> problem, bool fixed) {
    // Called with m_mutex held.
    if (auto st = validateLoraSettings(ls, problem->rows(), problem->cols()); !st) {
      m_error = st.error();
      m_trainer.reset();
      return;
    }
    auto t = LoraTrainer::create(problem, ls);
    if (!t) {
      m_error = t.error();
      m_trainer.reset();
      return;
    }
    m_trainer = std::shared_ptr<LoraTrainer>(std::move(*t));
    m_error.clear();
    m_snapshotHasFixed = m_snapshotHasFixed && !fixed;
    m_stepRequests = 0;
  };
  if (!rebuild) {
    // Same problem, new adapter settings: wait for the training thread to leave step(), then swap.
    m_cv.wait(lock, [this] { return !m_trainer || m_trainer.use_count() == 1; });
    if (m_problem) makeTrainer(m_problem, false);
    lock.unlock();
    postSnapshot(true);  // the SVD optimum depends on the rank
    return;
  }
  m_basePath = basePath;
  m_targetPath = targetPath;
  m_trainer.reset();
  const std::uint64_t generation = ++m_buildGeneration;
  const BlockwiseSettings quant{TensorFormat::NF4, doc.blocksize, doc.doubleQuant};
  m_building = true;
  lock.unlock();
  if (m_builder.joinable()) m_builder.join();
  m_builder = std::thread([this, basePath, targetPath, quant, generation, makeTrainer] {
    std::string error;
    std::shared_ptr<const LoraProblem> problem;
    auto base = loadImage(basePath);
    auto target = base ? loadImage(targetPath) : Result<Image>(fail(""));
    if (!base) error = base.error();
    else if (!target) error = target.error();
    else if (base->width > 1024 || base->height > 1024) {
      // Keep the panel interactive: train on a copy at most 1024 pixels a side.
      const double k = 1024.0 / double(std::max(base->width, base->height));
      *base = resizeBilinear(*base, int(base->width * k), int(base->height * k));
    }
    if (error.empty()) {
      auto p = LoraProblem::fromImages(*base, *target, quant);
      if (p) problem = std::move(*p);
      else error = p.error();
    }
    {
      std::lock_guard guard(m_mutex);
      if (generation != m_buildGeneration) return;
      m_problem = problem;
      m_error = error;
      if (problem) makeTrainer(problem, true);
      m_snapshotHasFixed = false;
    }
    m_building = false;
    postSnapshot(true);
  });
}

void QloraSession::postSnapshot(bool fixedTiles) {
  std::shared_ptr<LoraTrainer> trainer;
  std::function<void()> wake;
  {
    std::lock_guard lock(m_mutex);
    trainer = m_trainer;
    wake = m_wake;
  }
  if (trainer) {
    auto snap = std::make_unique<LoraSnapshot>(trainer->snapshot(fixedTiles));
    std::lock_guard lock(m_mutex);
    if (trainer == m_trainer) {
      // Keep fixed tiles that a newer partial snapshot would otherwise drop.
      const bool keepFixed = m_snapshot && m_snapshotHasFixed && !fixedTiles;
      if (keepFixed) {
        snap->base.planes = std::move(m_snapshot->base.planes);
        snap->frozenBase.planes = std::move(m_snapshot->frozenBase.planes);
        snap->quantError.planes = std::move(m_snapshot->quantError.planes);
        snap->target.planes = std::move(m_snapshot->target.planes);
        snap->svdOptimum.planes = std::move(m_snapshot->svdOptimum.planes);
      }
      m_snapshotHasFixed = fixedTiles || keepFixed;
      m_snapshot = std::move(snap);
    }
  }
  // reset() and configure() wait for every other holder of the trainer to let go: say so.
  trainer.reset();
  m_cv.notify_all();
  if (wake) wake();
}

void QloraSession::trainLoop() {
  auto lastSnapshot = clock_type::now();
  std::unique_lock lock(m_mutex);
  for (;;) {
    m_cv.wait(lock, [this] { return m_stop || (m_trainer && (m_running || m_stepRequests > 0)); });
    if (m_stop) return;
    std::shared_ptr<LoraTrainer> trainer = m_trainer;
    const bool single = !m_running && m_stepRequests > 0;
    if (single) --m_stepRequests;
    lock.unlock();
    trainer->clearCancel();
    const auto t0 = clock_type::now();
    const int done = trainer->step(single ? 1 : 5);
    const double secs = std::chrono::duration<double>(clock_type::now() - t0).count();
    if (done > 0 && secs > 0) m_stepsPerSecond = double(done) / secs;
    if (trainer->diverged()) {
      m_running = false;
      std::lock_guard guard(m_mutex);
      m_error = "training diverged (the loss is no longer finite): lower the learning rate and reset";
    }
    const auto now = clock_type::now();
    if (single || !m_running || now - lastSnapshot > std::chrono::milliseconds(150)) {
      lastSnapshot = now;
      postSnapshot(false);
    }
    trainer.reset();
    lock.lock();
    m_cv.notify_all();  // configure() may wait for the trainer to be released
  }
}

void QloraSession::start() {
  {
    std::lock_guard lock(m_mutex);
    if (!m_trainer) return;
    m_running = true;
  }
  m_cv.notify_all();
}

void QloraSession::pause() {
  m_running = false;
  std::lock_guard lock(m_mutex);
  if (m_trainer) m_trainer->requestCancel();
}

void QloraSession::stepOnce() {
  {
    std::lock_guard lock(m_mutex);
    if (!m_trainer || m_running) return;
    ++m_stepRequests;
  }
  m_cv.notify_all();
}

void QloraSession::reset() {
  pause();
  std::unique_lock lock(m_mutex);
  m_cv.wait(lock, [this] { return !m_trainer || m_trainer.use_count() == 1; });
  if (m_trainer) m_trainer->reset();
  m_stepRequests = 0;
  lock.unlock();
  postSnapshot(false);
}

bool QloraSession::ready() const {
  std::lock_guard lock(m_mutex);
  return m_trainer != nullptr;
}

std::string QloraSession::error() const {
  std::lock_guard lock(m_mutex);
  return m_error;
}

void QloraSession::waitReady() {
  if (m_builder.joinable()) m_builder.join();
}

void QloraSession::runSteps(int n) {
  waitReady();
  std::shared_ptr<LoraTrainer> trainer;
  {
    std::lock_guard lock(m_mutex);
    if (m_running) return;
    trainer = m_trainer;
  }
  if (!trainer) return;
  trainer->clearCancel();
  trainer->step(n);
  trainer.reset();
  postSnapshot(false);
  m_cv.notify_all();
}

namespace {
void uploadPlanes(DisplayTexture& tex, const LoraPlanes& p, bool isSigned, float range) {
  if (p.rows <= 0) return;
  tex.upload(isSigned ? signedPlanesToImage(p, range) : planesToImage(p));
}
}  // namespace

bool QloraSession::poll(QloraTiles& tiles) {
  std::unique_ptr<LoraSnapshot> snap;
  {
    std::lock_guard lock(m_mutex);
    snap = std::move(m_snapshot);
    if (snap) m_snapshotHasFixed = false;
  }
  if (!snap) return false;
  const float qRange = snap->quantError.planes.rows > 0 ? std::max(1e-6f, maxAbs(snap->quantError.planes)) : 0.0f;
  uploadPlanes(tiles.base, snap->base.planes, false, 0);
  uploadPlanes(tiles.frozen, snap->frozenBase.planes, false, 0);
  uploadPlanes(tiles.quantError, snap->quantError.planes, true, qRange);
  uploadPlanes(tiles.target, snap->target.planes, false, 0);
  uploadPlanes(tiles.svd, snap->svdOptimum.planes, false, 0);
  uploadPlanes(tiles.delta, snap->delta.planes, true, std::max(1e-6f, snap->deltaRange));
  uploadPlanes(tiles.adapted, snap->adapted.planes, false, 0);
  uploadPlanes(tiles.merged, snap->mergedRequantized.planes, false, 0);
  tiles.baseLoss = snap->base.loss;
  tiles.frozenLoss = snap->frozenBase.loss;
  tiles.quantMse = snap->quantError.loss;
  tiles.adaptedLoss = snap->adapted.loss;
  tiles.svdLoss = snap->svdOptimum.loss;
  tiles.mergedLoss = snap->mergedRequantized.loss;
  tiles.merged16Loss = snap->merged16Bit.loss;
  tiles.deltaRange = snap->deltaRange;
  if (snap->quantError.planes.rows > 0) tiles.quantErrorRange = qRange;
  tiles.mergeError = snap->mergeError;
  return true;
}

int QloraSession::steps() const {
  std::lock_guard lock(m_mutex);
  return m_trainer ? m_trainer->stepsDone() : 0;
}
double QloraSession::loss() const {
  std::lock_guard lock(m_mutex);
  return m_trainer ? m_trainer->loss() : 0;
}
double QloraSession::floor() const {
  std::lock_guard lock(m_mutex);
  return m_trainer ? m_trainer->svdFloor() : 0;
}
std::vector<double> QloraSession::lossHistory() const {
  std::lock_guard lock(m_mutex);
  return m_trainer ? m_trainer->lossHistory() : std::vector<double>{};
}
std::array<std::vector<double>, 3> QloraSession::spectrum() const {
  std::lock_guard lock(m_mutex);
  std::array<std::vector<double>, 3> s;
  if (m_problem)
    for (int c = 0; c < 3; ++c) s[std::size_t(c)] = m_problem->singularValues(c);
  return s;
}
int QloraSession::rank() const {
  std::lock_guard lock(m_mutex);
  return m_trainer ? m_trainer->settings().rank : 0;
}
int QloraSession::rows() const {
  std::lock_guard lock(m_mutex);
  return m_problem ? m_problem->rows() : 0;
}
int QloraSession::cols() const {
  std::lock_guard lock(m_mutex);
  return m_problem ? m_problem->cols() : 0;
}
core::LoraCounts QloraSession::counts() const {
  std::lock_guard lock(m_mutex);
  return m_trainer ? m_trainer->counts() : core::LoraCounts{};
}

// While the QLoRA panel is open: makes the session, configures it from the document and takes
// the tiles it finished.
void updateQloraView(AppState& s) {
  Derived& d = s.derived;
  if (!d.qlora) {
    d.qlora = std::make_unique<QloraSession>();
    d.qlora->setWake(d.wake);
  }
  const std::string dir = std::filesystem::path(defaultImagePath()).parent_path().string();
  d.qlora->configure(s.doc.lora, dir + "/rocket.jpg", dir + "/astronaut.png");
  if (s.synchronous) d.qlora->waitReady();
  d.qlora->poll(d.qloraTiles);
}

}  // namespace qviz::ui
