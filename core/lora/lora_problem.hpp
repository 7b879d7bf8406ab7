// LoraProblem: what a QLoRA run on an image pair is trained against, built once and shared
// (immutable) by any number of trainers: the full-precision base, its frozen 4-bit reconstruction,
// the target, and the SVD of (target - frozen base) per channel, which gives the best possible
// rank-r delta (Eckart-Young) and the full singular value spectrum.
#pragma once
#include <Eigen/Core>
#include <array>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "lora/lora_planes.hpp"
#include "quant/blockwise.hpp"
#include "util/result.hpp"

namespace qviz::core {

// Each channel's row-major buffer through quantizeBlockwise + dequantizeBlockwise (blocks run
// along the row-major flattening of each channel). storedBytes, when given, receives the bytes
// of the quantized channels: codes plus constants (bitsPerParam).
Result<LoraPlanes> quantizeDequantizePlanes(const LoraPlanes& planes, const BlockwiseSettings& settings,
                                            double* storedBytes = nullptr);

class LoraProblem {
public:
  // The QLoRA setting: the frozen base is the blockwise quantization of `base` (NF4 by default),
  // dequantized. base and target must have the same shape and finite values.
  static Result<std::shared_ptr<const LoraProblem>> create(LoraPlanes base, LoraPlanes target,
                                                           const BlockwiseSettings& quant);
  // The panel's and the CLI's path: base mapped with imageToPlanes, target with
  // imageToPlanesCropped to the base's size, then create().
  static Result<std::shared_ptr<const LoraProblem>> fromImages(const Image& base, const Image& target,
                                                               const BlockwiseSettings& quant);
  // Any frozen base given directly (tests, a full-precision LoRA for comparison).
  static Result<std::shared_ptr<const LoraProblem>> createWithFrozenBase(LoraPlanes base, LoraPlanes frozen,
                                                                         LoraPlanes target);

  int rows() const { return m_base.rows; }
  int cols() const { return m_base.cols; }
  int maxRank() const;  // min(rows, cols)

  const LoraPlanes& base() const { return m_base; }          // full precision
  const LoraPlanes& frozenBase() const { return m_frozen; }  // dequantized NF4 base
  const LoraPlanes& target() const { return m_target; }
  const LoraPlanes& residual() const { return m_residual; }  // target - frozen: what the delta must learn
  LoraPlanes quantError() const { return subtract(m_base, m_frozen); }  // base - frozen

  const std::optional<BlockwiseSettings>& quant() const { return m_quant; }  // absent: frozen base given
  double frozenBytes() const { return m_frozenBytes; }  // quantized base with constants; 0 when given
  double baseBytes() const { return 4.0 * double(m_base.size()); }  // the fp32 base

  double baseLoss() const { return m_baseLoss; }      // meanSquaredError(base, target)
  double frozenLoss() const { return m_frozenLoss; }  // meanSquaredError(frozen, target): any trainer's step-0 loss
  double quantMse() const { return m_quantMse; }      // meanSquaredError(base, frozen)

  // Singular values of (target - frozen) of channel c, descending, maxRank() of them.
  const std::vector<double>& singularValues(int c) const { return m_sigma[std::size_t(c)]; }
  // The loss floor of rank r: sum over channels of the squared singular values from index r on,
  // divided by 3 rows cols (the loss is a mean over all entries). 0 <= r <= maxRank().
  double svdFloor(int rank) const;
  // The best rank-r delta, U_r S_r V_r^T per channel (float32), and frozen + it. The singular
  // vectors are computed on the first call (thread-safe): creating a problem needs only the values.
  LoraPlanes svdDelta(int rank) const;
  LoraPlanes svdOptimum(int rank) const { return add(m_frozen, svdDelta(rank)); }

private:
  LoraProblem() = default;
  LoraPlanes m_base, m_frozen, m_target, m_residual;
  std::optional<BlockwiseSettings> m_quant;
  double m_frozenBytes = 0, m_baseLoss = 0, m_frozenLoss = 0, m_quantMse = 0;
  std::array<std::vector<double>, LoraPlanes::kChannels> m_sigma;
  mutable std::once_flag m_vectorsOnce;
  mutable std::array<Eigen::MatrixXd, LoraPlanes::kChannels> m_us, m_v;  // thin U S (m x k) and V (n x k)
  void computeVectors() const;
};

}  // namespace qviz::core
