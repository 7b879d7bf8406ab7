// LoraTrainer: a low-rank delta s*B*A per channel, trained (Adam or SGD, full batch, float32,
// deterministic for a seed) on top of the frozen base of a LoraProblem, against the mean squared
// error to the target. Built for a UI worker thread: step(n) with a progress callback and an
// atomic cancel flag, and snapshots (every tile with its loss) that any thread may take.
#pragma once
#include <Eigen/Core>
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lora/lora_planes.hpp"
#include "lora/lora_problem.hpp"
#include "util/result.hpp"

namespace qviz::core {

using LoraMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using LoraMatrixD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

enum class LoraOptimizer : std::uint8_t { Adam, Sgd };
const char* loraOptimizerName(LoraOptimizer o);  // "adam", "sgd"
bool parseLoraOptimizer(const std::string& s, LoraOptimizer& out);

// Defaults (PEFT's r = 8, alpha = 8; lr and steps by experiment): on the default pair (rocket.jpg
// base, astronaut.png target, 640x427, NF4 bs64) Adam ends within 1% of the SVD floor well
// before kLoraDefaultSteps. SGD's step size depends on the image size through the mean-square loss;
// kLoraDefaultSgdLr is tuned on the default pair.
constexpr int kLoraDefaultSteps = 300;
constexpr float kLoraDefaultAdamLr = 0.05f;
constexpr float kLoraDefaultSgdLr = 300.0f;

struct LoraSettings {
  int rank = 8;
  float alpha = 8;      // scaling s = alpha / rank (rsLora: alpha / sqrt(rank))
  bool rsLora = false;
  LoraOptimizer optimizer = LoraOptimizer::Adam;
  float lr = kLoraDefaultAdamLr;
  float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;  // Adam only
  std::uint32_t seed = 0;                           // initialisation of A
};
float loraScaling(const LoraSettings& s);
// rank in [1, min(rows, cols)], alpha, lr and eps finite and > 0, betas in [0, 1).
Status validateLoraSettings(const LoraSettings& s, int rows, int cols);

// Parameter and memory accounting of one run (fp32 adapter, as trained here).
struct LoraCounts {
  std::int64_t trainablePerChannel = 0;  // r (m + n)
  std::int64_t frozenPerChannel = 0;     // m n
  std::int64_t trainable = 0;            // x3 channels
  std::int64_t frozen = 0;
  double baseFp32Bytes = 0;       // 4 bytes per frozen parameter
  double baseQuantizedBytes = 0;  // 4-bit codes plus constants (0 when the frozen base was given)
  double adapterBytes = 0;        // fp32 A and B
  double gradientBytes = 0;       // fp32 gradients of A and B
  double optimizerBytes = 0;      // Adam: two fp32 states per trainable parameter; SGD: 0
  double merged16BitBytes = 0;    // the adapter merged into 16-bit (bf16) weights: 2 bytes per frozen parameter
  double trainingBytes() const { return baseQuantizedBytes + adapterBytes + gradientBytes + optimizerBytes; }
  // PEFT's print_trainable_parameters convention: trainable / (trainable + frozen), in percent.
  double trainablePercent() const {
    return trainable + frozen > 0 ? 100.0 * double(trainable) / double(trainable + frozen) : 0.0;
  }
};
LoraCounts loraCounts(const LoraProblem& problem, const LoraSettings& s);

// 100 (loss - floor) / floor; 0 when both are 0, +inf when only the floor is.
double loraGapPercent(double loss, double floor);

// One image of the panel and its loss: the mean squared error to the target, except for the
// signed tiles (quantization error, delta) where it is the tile's own mean square.
struct LoraTile {
  LoraPlanes planes;
  double loss = 0;
  bool isSigned = false;  // draw with signedPlanesToImage
};

struct LoraSnapshot {
  int step = 0;
  LoraTile base;               // full-precision base
  LoraTile frozenBase;         // dequantized NF4 base (loss = step-0 loss)
  LoraTile quantError;         // base - frozen (signed)
  LoraTile delta;              // s B A (signed)
  LoraTile adapted;            // frozen + delta
  LoraTile target;             // loss 0
  LoraTile svdOptimum;         // frozen + best rank-r delta (loss ~ svdFloor)
  LoraTile mergedRequantized;  // NF4(frozen + delta), dequantized; empty planes if mergeError is set
  LoraTile merged16Bit;        // bf16(bf16(base) + delta): merged into the original 16-bit weights
  std::string mergeError;
  double trainerLoss = 0;  // the trainer's loss at this step (blocked float residual)
  double svdFloor = 0;     // sum of discarded squared singular values / (3 m n)
  double gapPercent = 0;   // loraGapPercent(trainerLoss, svdFloor)
  float deltaRange = 0;    // max |delta|: the symmetric range of the delta heatmap
  std::vector<double> lossHistory;
};

// Called after every step with the step index (1-based count of updates) and the loss.
using LoraProgress = std::function<void(int step, double loss)>;

class LoraTrainer {
public:
  // Initialises A (r x n per channel) Kaiming-uniform with bound 1/sqrt(n) and B (m x r) = 0, and
  // evaluates the loss at step 0. A's values: one std::mt19937(seed) draws channel 0's A in
  // row-major order, then channel 1's, then channel 2's; each 32-bit draw w gives
  // u = (w >> 8) * 2^-24 in [0, 1) and A = bound * (2u - 1) in float32.
  static Result<std::unique_ptr<LoraTrainer>> create(std::shared_ptr<const LoraProblem> problem,
                                                     const LoraSettings& settings);
  LoraTrainer(const LoraTrainer&) = delete;
  LoraTrainer& operator=(const LoraTrainer&) = delete;

  // Runs up to n optimizer steps; returns how many ran. Stops early when cancel is requested or
  // the loss stops being finite (diverged()). Call from one thread at a time; the accessors
  // below may be used from any thread meanwhile (each step holds a lock only while it updates).
  int step(int n, const LoraProgress& progress = {});
  void requestCancel() { m_cancel.store(true); }
  void clearCancel() { m_cancel.store(false); }  // the flag stays set until cleared
  bool cancelRequested() const { return m_cancel.load(); }
  bool diverged() const { return m_diverged.load(); }
  // Back to step 0 (fresh A from the seed, B = 0, optimizer state cleared); keeps the problem.
  void reset();

  int stepsDone() const { return m_stepsDone.load(); }
  double loss() const { return m_loss.load(); }  // at the current parameters
  std::vector<double> lossHistory() const;      // loss at steps 0 .. stepsDone()
  double svdFloor() const { return m_floor; }
  double gapPercent() const { return loraGapPercent(loss(), m_floor); }
  float scaling() const { return m_scale; }
  const LoraSettings& settings() const { return m_settings; }
  const LoraProblem& problem() const { return *m_problem; }
  LoraCounts counts() const { return loraCounts(*m_problem, m_settings); }

  // Copies of the current parameters and of the gradients at them (channel c in 0..2).
  LoraMatrix loraA(int c) const;
  LoraMatrix loraB(int c) const;
  LoraMatrix gradientA(int c) const;
  LoraMatrix gradientB(int c) const;

  LoraPlanes delta() const;    // s B A per channel
  LoraPlanes adapted() const;  // frozen + delta
  // What merging the adapter into a 4-bit model gives: the problem's blockwise quantization of
  // (frozen + delta), dequantized. Without quantization settings (frozen base given) the merge
  // is exact: adapted().
  Result<LoraPlanes> mergedRequantized() const;
  // The other way to merge, the common one: add the delta to the original (not quantized) weights
  // kept in 16 bits, bf16(bf16(base) + delta) (the sum in float32, rounded once). It costs 2 bytes
  // per weight instead of NF4's ~0.5, and it is not the model that was trained: the adapter learned
  // to correct the NF4 base, so base + delta differs from frozen + delta by the quantization error.
  LoraPlanes merged16Bit() const;
  // Every tile with its loss; computes the delta and the merge (the SVD optimum image once per
  // trainer). With includeFixedTiles = false the tiles that never change during training (base,
  // frozen base, quantization error, target, SVD optimum) keep empty planes but still carry
  // their losses: what a panel that uploaded them once needs on each refresh.
  LoraSnapshot snapshot(bool includeFixedTiles = true) const;

private:
  LoraTrainer(std::shared_ptr<const LoraProblem> problem, const LoraSettings& settings);
  void initialise();
  void evaluate();  // residual, loss and gradients at the current parameters
  void update();    // one optimizer step from the current gradients
  void adamUpdate(LoraMatrix& p, LoraMatrix& m, LoraMatrix& v, const LoraMatrix& g, float stepSize,
                  float sqrtBias2, float eps) const;
  LoraPlanes deltaOf(const std::array<LoraMatrix, 3>& a, const std::array<LoraMatrix, 3>& b) const;

  struct Task {
    int channel, y0, y1;
  };
  std::shared_ptr<const LoraProblem> m_problem;
  LoraSettings m_settings;
  float m_scale = 1;
  double m_floor = 0;
  std::vector<Task> m_tasks;  // (channel, row block): the fixed decomposition of every step
  mutable std::once_flag m_optimumOnce;
  mutable LoraPlanes m_optimum;  // frozen + the best rank-r delta, built on first use
  mutable double m_optimumLoss = 0;

  mutable std::mutex m_mutex;  // guards everything below that a step changes
  std::array<LoraMatrix, 3> m_a, m_b, m_gradA, m_gradB, m_adamMA, m_adamVA, m_adamMB, m_adamVB;
  std::vector<float> m_residual;       // 3 m n scratch: s B A - (target - frozen)
  std::vector<LoraMatrix> m_partialA;  // per task: B_blk^T R_blk
  std::vector<double> m_partialLoss;   // per task: sum of R_blk^2
  std::vector<double> m_history;
  int m_adamT = 0;

  std::atomic<int> m_stepsDone{0};
  std::atomic<double> m_loss{0};
  std::atomic<bool> m_cancel{false};
  std::atomic<bool> m_diverged{false};
};

// The loss sum(R^2) / (3 m n) with R = s B A - residual, and its gradients
// dL/dB = 2 s R A^T / (3 m n), dL/dA = 2 s B^T R / (3 m n), per channel in double precision, straight
// from the formulas: the reference the blocked float trainer is tested against. gradA / gradB may
// be null.
double loraLossAndGradientsReference(const LoraPlanes& residual, const std::array<LoraMatrixD, 3>& a,
                                     const std::array<LoraMatrixD, 3>& b, double scale,
                                     std::array<LoraMatrixD, 3>* gradA, std::array<LoraMatrixD, 3>* gradB);

}  // namespace qviz::core
