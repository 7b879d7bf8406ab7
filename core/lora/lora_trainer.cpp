// The trainer's step: one parallel pass over fixed (channel, row block) tasks computes the
// residual block, its loss and both gradients while the block is in cache; then a fixed-order
// reduction and the optimizer update. The residual is never kept between steps.
#include "lora/lora_trainer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "util/parallel.hpp"

namespace qviz::core {
namespace {
constexpr int kC = LoraPlanes::kChannels;

Status checkPositive(float v, const char* what) {
  if (!std::isfinite(v) || !(v > 0)) return fail(std::string(what) + " must be a positive number");
  return {};
}
}  // namespace

const char* loraOptimizerName(LoraOptimizer o) { return o == LoraOptimizer::Adam ? "adam" : "sgd"; }

bool parseLoraOptimizer(const std::string& s, LoraOptimizer& out) {
  if (s == "adam") out = LoraOptimizer::Adam;
  else if (s == "sgd") out = LoraOptimizer::Sgd;
  else return false;
  return true;
}

float loraScaling(const LoraSettings& s) {
  const double r = double(std::max(s.rank, 1));
  return float(double(s.alpha) / (s.rsLora ? std::sqrt(r) : r));
}

Status validateLoraSettings(const LoraSettings& s, int rows, int cols) {
  const int maxRank = std::min(rows, cols);
  if (s.rank < 1 || s.rank > maxRank)
    return fail("rank must be between 1 and min(height, width) = " + std::to_string(maxRank) + ", got " +
                std::to_string(s.rank));
  if (auto st = checkPositive(s.alpha, "alpha"); !st) return st;
  if (auto st = checkPositive(s.lr, "the learning rate"); !st) return st;
  if (s.optimizer == LoraOptimizer::Adam) {
    if (auto st = checkPositive(s.eps, "eps"); !st) return st;
    if (!(s.beta1 >= 0 && s.beta1 < 1) || !(s.beta2 >= 0 && s.beta2 < 1)) return fail("the Adam betas must be in [0, 1)");
  }
  return {};
}

LoraCounts loraCounts(const LoraProblem& problem, const LoraSettings& s) {
  LoraCounts c;
  const std::int64_t m = problem.rows(), n = problem.cols();
  c.trainablePerChannel = std::int64_t(s.rank) * (m + n);
  c.frozenPerChannel = m * n;
  c.trainable = kC * c.trainablePerChannel;
  c.frozen = kC * c.frozenPerChannel;
  c.baseFp32Bytes = 4.0 * double(c.frozen);
  c.baseQuantizedBytes = problem.frozenBytes();
  c.adapterBytes = 4.0 * double(c.trainable);
  c.gradientBytes = c.adapterBytes;
  c.optimizerBytes = s.optimizer == LoraOptimizer::Adam ? 2.0 * c.adapterBytes : 0.0;
  c.merged16BitBytes = 2.0 * double(c.frozen);
  return c;
}

double loraGapPercent(double loss, double floor) {
  if (floor > 0) return 100.0 * (loss - floor) / floor;
  return loss == 0 ? 0.0 : std::numeric_limits<double>::infinity();
}

Result<std::unique_ptr<LoraTrainer>> LoraTrainer::create(std::shared_ptr<const LoraProblem> problem,
                                                         const LoraSettings& settings) {
  if (!problem) return fail("no LoRA problem");
  if (auto st = validateLoraSettings(settings, problem->rows(), problem->cols()); !st) return fail(st.error());
  std::unique_ptr<LoraTrainer> t(new LoraTrainer(std::move(problem), settings));
  t->initialise();
  return t;
}

LoraTrainer::LoraTrainer(std::shared_ptr<const LoraProblem> problem, const LoraSettings& settings)
    : m_problem(std::move(problem)), m_settings(settings), m_scale(loraScaling(settings)) {
  m_floor = m_problem->svdFloor(settings.rank);
  for (int c = 0; c < kC; ++c)
    for (int y0 = 0; y0 < m_problem->rows(); y0 += kLoraRowBlock)
      m_tasks.push_back({c, y0, std::min(m_problem->rows(), y0 + kLoraRowBlock)});
  m_residual.assign(m_problem->residual().size(), 0.0f);
  m_partialA.assign(m_tasks.size(), LoraMatrix());
  m_partialLoss.assign(m_tasks.size(), 0.0);
}

void LoraTrainer::initialise() {
  std::lock_guard lock(m_mutex);
  const int m = m_problem->rows(), n = m_problem->cols(), r = m_settings.rank;
  // Kaiming-uniform with bound 1/sqrt(fan_in), from raw mt19937 bits (the standard library's
  // distributions differ between implementations; this mapping does not).
  std::mt19937 rng(m_settings.seed);
  const float bound = float(1.0 / std::sqrt(double(n)));
  for (int c = 0; c < kC; ++c) {
    LoraMatrix& a = m_a[std::size_t(c)];
    a.resize(r, n);
    for (Eigen::Index i = 0; i < a.size(); ++i) {
      const float u = float(rng() >> 8) * 0x1p-24f;
      a.data()[i] = bound * (2.0f * u - 1.0f);
    }
    m_b[std::size_t(c)] = LoraMatrix::Zero(m, r);
    m_gradA[std::size_t(c)] = LoraMatrix::Zero(r, n);
    m_gradB[std::size_t(c)] = LoraMatrix::Zero(m, r);
    m_adamMA[std::size_t(c)] = LoraMatrix::Zero(r, n);
    m_adamVA[std::size_t(c)] = LoraMatrix::Zero(r, n);
    m_adamMB[std::size_t(c)] = LoraMatrix::Zero(m, r);
    m_adamVB[std::size_t(c)] = LoraMatrix::Zero(m, r);
  }
  m_adamT = 0;
  m_history.clear();
  evaluate();
  m_history.push_back(m_loss.load());
  m_stepsDone.store(0);
  m_diverged.store(!std::isfinite(m_loss.load()));
}

void LoraTrainer::reset() { initialise(); }

void LoraTrainer::evaluate() {
  const int m = m_problem->rows(), n = m_problem->cols();
  const float s = m_scale;
  // dL/dR = 2 R / (3 m n); the chain rule through s B A adds the factor s.
  const float g = float(2.0 * double(s) / double(m_residual.size()));
  const LoraPlanes& d = m_problem->residual();
  parallelFor(m_tasks.size(), 1, [&](std::size_t t0, std::size_t t1) {
    for (std::size_t t = t0; t < t1; ++t) {
      const Task& task = m_tasks[t];
      const std::size_t c = std::size_t(task.channel);
      const Eigen::Index rows = task.y1 - task.y0;
      const std::size_t offset = (c * std::size_t(m) + std::size_t(task.y0)) * std::size_t(n);
      Eigen::Map<LoraMatrix> res(m_residual.data() + offset, rows, n);
      const Eigen::Map<const LoraMatrix> dBlock(d.data.data() + offset, rows, n);
      const auto bBlock = m_b[c].middleRows(task.y0, rows);
      res = -dBlock;
      res.noalias() += (s * bBlock) * m_a[c];
      m_partialLoss[t] = sumSquares(res.data(), std::size_t(res.size()));
      m_gradB[c].middleRows(task.y0, rows).noalias() = (g * res) * m_a[c].transpose();
      m_partialA[t].noalias() = (g * bBlock.transpose()) * res;
    }
  });
  double sum = 0;
  for (std::size_t t = 0; t < m_tasks.size(); ++t) {
    sum += m_partialLoss[t];
    const std::size_t c = std::size_t(m_tasks[t].channel);
    if (m_tasks[t].y0 == 0) m_gradA[c] = m_partialA[t];
    else m_gradA[c] += m_partialA[t];
  }
  m_loss.store(sum / double(m_residual.size()));
}

void LoraTrainer::adamUpdate(LoraMatrix& p, LoraMatrix& mom, LoraMatrix& var, const LoraMatrix& grad, float stepSize,
                             float sqrtBias2, float eps) const {
  const float b1 = m_settings.beta1, b2 = m_settings.beta2;
  auto ma = mom.array();
  auto va = var.array();
  const auto ga = grad.array();
  ma = b1 * ma + (1.0f - b1) * ga;
  va = b2 * va + (1.0f - b2) * ga.square();
  // PyTorch's form: p -= (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps).
  p.array() -= stepSize * ma / (va.sqrt() / sqrtBias2 + eps);
}

void LoraTrainer::update() {
  if (m_settings.optimizer == LoraOptimizer::Sgd) {
    for (int c = 0; c < kC; ++c) {
      m_a[std::size_t(c)].noalias() -= m_settings.lr * m_gradA[std::size_t(c)];
      m_b[std::size_t(c)].noalias() -= m_settings.lr * m_gradB[std::size_t(c)];
    }
    return;
  }
  ++m_adamT;
  const double bc1 = 1.0 - std::pow(double(m_settings.beta1), m_adamT);
  const double bc2 = 1.0 - std::pow(double(m_settings.beta2), m_adamT);
  const float stepSize = float(double(m_settings.lr) / bc1), sqrtBias2 = float(std::sqrt(bc2));
  for (std::size_t c = 0; c < std::size_t(kC); ++c) {
    adamUpdate(m_a[c], m_adamMA[c], m_adamVA[c], m_gradA[c], stepSize, sqrtBias2, m_settings.eps);
    adamUpdate(m_b[c], m_adamMB[c], m_adamVB[c], m_gradB[c], stepSize, sqrtBias2, m_settings.eps);
  }
}

int LoraTrainer::step(int n, const LoraProgress& progress) {
  int done = 0;
  for (; done < n; ++done) {
    if (m_cancel.load() || m_diverged.load()) break;
    int stepIndex = 0;
    double loss = 0;
    {
      std::lock_guard lock(m_mutex);
      update();
      evaluate();
      loss = m_loss.load();
      m_history.push_back(loss);
      stepIndex = m_stepsDone.load() + 1;
      m_stepsDone.store(stepIndex);
      if (!std::isfinite(loss)) m_diverged.store(true);
    }
    if (progress) progress(stepIndex, loss);
  }
  return done;
}

std::vector<double> LoraTrainer::lossHistory() const {
  std::lock_guard lock(m_mutex);
  return m_history;
}

LoraMatrix LoraTrainer::loraA(int c) const {
  std::lock_guard lock(m_mutex);
  return m_a[std::size_t(c)];
}
LoraMatrix LoraTrainer::loraB(int c) const {
  std::lock_guard lock(m_mutex);
  return m_b[std::size_t(c)];
}
LoraMatrix LoraTrainer::gradientA(int c) const {
  std::lock_guard lock(m_mutex);
  return m_gradA[std::size_t(c)];
}
LoraMatrix LoraTrainer::gradientB(int c) const {
  std::lock_guard lock(m_mutex);
  return m_gradB[std::size_t(c)];
}

LoraPlanes LoraTrainer::deltaOf(const std::array<LoraMatrix, 3>& a, const std::array<LoraMatrix, 3>& b) const {
  LoraPlanes out = LoraPlanes::make(m_problem->rows(), m_problem->cols());
  parallelFor(kC, 1, [&](std::size_t c0, std::size_t c1) {
    for (std::size_t c = c0; c < c1; ++c)
      Eigen::Map<LoraMatrix>(out.channel(int(c)), out.rows, out.cols).noalias() = (m_scale * b[c]) * a[c];
  });
  return out;
}

LoraPlanes LoraTrainer::delta() const {
  std::array<LoraMatrix, 3> a, b;
  {
    std::lock_guard lock(m_mutex);
    a = m_a;
    b = m_b;
  }
  return deltaOf(a, b);
}

LoraPlanes LoraTrainer::adapted() const { return add(m_problem->frozenBase(), delta()); }

Result<LoraPlanes> LoraTrainer::mergedRequantized() const {
  LoraPlanes merged = adapted();
  if (!m_problem->quant()) return merged;
  return quantizeDequantizePlanes(merged, *m_problem->quant());
}

LoraPlanes LoraTrainer::merged16Bit() const { return roundToBfloat16(add(roundToBfloat16(m_problem->base()), delta())); }

LoraSnapshot LoraTrainer::snapshot(bool includeFixedTiles) const {
  LoraSnapshot s;
  std::array<LoraMatrix, 3> a, b;
  {
    std::lock_guard lock(m_mutex);
    a = m_a;
    b = m_b;
    s.lossHistory = m_history;
    s.step = m_stepsDone.load();
    s.trainerLoss = m_loss.load();
  }
  const LoraProblem& p = *m_problem;
  s.svdFloor = m_floor;
  s.gapPercent = loraGapPercent(s.trainerLoss, m_floor);
  std::call_once(m_optimumOnce, [this] {
    m_optimum = m_problem->svdOptimum(m_settings.rank);
    m_optimumLoss = meanSquaredError(m_optimum, m_problem->target());
  });
  const bool fixed = includeFixedTiles;
  s.base = {fixed ? p.base() : LoraPlanes{}, p.baseLoss(), false};
  s.frozenBase = {fixed ? p.frozenBase() : LoraPlanes{}, p.frozenLoss(), false};
  s.quantError = {fixed ? p.quantError() : LoraPlanes{}, p.quantMse(), true};
  s.target = {fixed ? p.target() : LoraPlanes{}, 0.0, false};
  s.svdOptimum = {fixed ? m_optimum : LoraPlanes{}, m_optimumLoss, false};
  LoraPlanes d = deltaOf(a, b);
  s.deltaRange = maxAbs(d);
  const double deltaMs = meanSquare(d);
  LoraPlanes adapted = add(p.frozenBase(), d);
  s.delta = {std::move(d), deltaMs, true};
  if (p.quant()) {
    if (auto merged = quantizeDequantizePlanes(adapted, *p.quant())) {
      const double loss = meanSquaredError(*merged, p.target());
      s.mergedRequantized = {std::move(*merged), loss, false};
    } else {
      s.mergeError = merged.error();
    }
  } else {
    s.mergedRequantized = {adapted, meanSquaredError(adapted, p.target()), false};
  }
  LoraPlanes merged16 = roundToBfloat16(add(roundToBfloat16(p.base()), s.delta.planes));
  const double merged16Loss = meanSquaredError(merged16, p.target());
  s.merged16Bit = {std::move(merged16), merged16Loss, false};
  const double adaptedLoss = meanSquaredError(adapted, p.target());
  s.adapted = {std::move(adapted), adaptedLoss, false};
  return s;
}

double loraLossAndGradientsReference(const LoraPlanes& residual, const std::array<LoraMatrixD, 3>& a,
                                     const std::array<LoraMatrixD, 3>& b, double scale,
                                     std::array<LoraMatrixD, 3>* gradA, std::array<LoraMatrixD, 3>* gradB) {
  const double count = double(residual.size());
  double sum = 0;
  for (std::size_t c = 0; c < std::size_t(kC); ++c) {
    const LoraMatrixD d =
        Eigen::Map<const LoraMatrix>(residual.channel(int(c)), residual.rows, residual.cols).cast<double>();
    const LoraMatrixD r = scale * b[c] * a[c] - d;
    sum += r.squaredNorm();
    if (gradB) (*gradB)[c] = (2.0 * scale / count) * r * a[c].transpose();
    if (gradA) (*gradA)[c] = (2.0 * scale / count) * b[c].transpose() * r;
  }
  return sum / count;
}

}  // namespace qviz::core
