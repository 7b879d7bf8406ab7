// The frozen 4-bit base (through the blockwise weights API) and the per-channel SVD of what the
// adapter has to learn.
#include "lora/lora_problem.hpp"

#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <string>

#include "util/parallel.hpp"

namespace qviz::core {
namespace {
using MatrixRowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

Status requireFinite(const LoraPlanes& p, const char* what) {
  for (std::size_t i = 0; i < p.size(); ++i)
    if (!std::isfinite(p.data[i])) return fail(std::string(what) + " has a non-finite value at index " + std::to_string(i));
  return {};
}
}  // namespace

Result<LoraPlanes> quantizeDequantizePlanes(const LoraPlanes& planes, const BlockwiseSettings& settings,
                                            double* storedBytes) {
  if (auto st = validateBlockwise(settings); !st) return fail(st.error());
  LoraPlanes out = LoraPlanes::make(planes.rows, planes.cols);
  const std::size_t n = planes.channelSize();
  for (int c = 0; c < LoraPlanes::kChannels; ++c) {
    auto q = quantizeBlockwise(planes.channel(c), n, settings);
    if (!q) return fail(q.error());
    dequantizeBlockwise(*q, out.channel(c));
  }
  if (storedBytes) *storedBytes = LoraPlanes::kChannels * bitsPerParam(settings, n) * double(n) / 8.0;
  return out;
}

Result<std::shared_ptr<const LoraProblem>> LoraProblem::create(LoraPlanes base, LoraPlanes target,
                                                               const BlockwiseSettings& quant) {
  if (auto st = requireFinite(base, "the base"); !st) return fail(st.error());
  double bytes = 0;
  auto frozen = quantizeDequantizePlanes(base, quant, &bytes);
  if (!frozen) return fail(frozen.error());
  auto problem = createWithFrozenBase(std::move(base), std::move(*frozen), std::move(target));
  if (!problem) return problem;
  // Only this function has built the object: adding the quantization facts is still safe.
  auto* p = const_cast<LoraProblem*>(problem->get());
  p->m_quant = quant;
  p->m_frozenBytes = bytes;
  return problem;
}

Result<std::shared_ptr<const LoraProblem>> LoraProblem::fromImages(const Image& base, const Image& target,
                                                                   const BlockwiseSettings& quant) {
  auto b = imageToPlanes(base);
  if (!b) return fail("base: " + b.error());
  auto t = imageToPlanesCropped(target, b->rows, b->cols);
  if (!t) return fail("target: " + t.error());
  return create(std::move(*b), std::move(*t), quant);
}

Result<std::shared_ptr<const LoraProblem>> LoraProblem::createWithFrozenBase(LoraPlanes base, LoraPlanes frozen,
                                                                             LoraPlanes target) {
  if (base.empty() || base.rows <= 0 || base.cols <= 0) return fail("the base is empty");
  if (!base.sameShape(frozen) || !base.sameShape(target) || base.size() != frozen.size() ||
      base.size() != target.size())
    return fail("the base, frozen base and target must have the same size (" + std::to_string(base.cols) + "x" +
                std::to_string(base.rows) + ")");
  for (const auto& [p, what] : {std::pair{&base, "the base"}, {&frozen, "the frozen base"}, {&target, "the target"}})
    if (auto st = requireFinite(*p, what); !st) return fail(st.error());

  std::shared_ptr<LoraProblem> p(new LoraProblem());
  p->m_residual = subtract(target, frozen);
  p->m_baseLoss = meanSquaredError(base, target);
  p->m_frozenLoss = meanSquaredError(frozen, target);
  p->m_quantMse = meanSquaredError(base, frozen);
  p->m_base = std::move(base);
  p->m_frozen = std::move(frozen);
  p->m_target = std::move(target);

  // The spectrum: one divide-and-conquer SVD per channel, values only, in double (the floor is a
  // sum of many small terms); channels are independent and run in parallel.
  const int m = p->rows(), n = p->cols();
  parallelFor(LoraPlanes::kChannels, 1, [&](std::size_t c0, std::size_t c1) {
    for (std::size_t c = c0; c < c1; ++c) {
      const Eigen::MatrixXd d =
          Eigen::Map<const MatrixRowMajorF>(p->m_residual.channel(int(c)), m, n).cast<double>();
      Eigen::BDCSVD<Eigen::MatrixXd> svd(d);
      const Eigen::VectorXd& s = svd.singularValues();
      p->m_sigma[c].assign(s.data(), s.data() + s.size());
    }
  });
  return std::shared_ptr<const LoraProblem>(std::move(p));
}

void LoraProblem::computeVectors() const {
  // Singular vectors only for the optimum image, so they are left out of create(): with them the
  // SVD costs about three times as much. The values from this second SVD are the same algorithm on
  // the same input; those of create() are kept.
  const int m = rows(), n = cols();
  parallelFor(LoraPlanes::kChannels, 1, [&](std::size_t c0, std::size_t c1) {
    for (std::size_t c = c0; c < c1; ++c) {
      const Eigen::MatrixXd d = Eigen::Map<const MatrixRowMajorF>(m_residual.channel(int(c)), m, n).cast<double>();
      Eigen::BDCSVD<Eigen::MatrixXd> svd(d, Eigen::ComputeThinU | Eigen::ComputeThinV);
      m_us[c] = svd.matrixU() * svd.singularValues().asDiagonal();
      m_v[c] = svd.matrixV();
    }
  });
}

int LoraProblem::maxRank() const { return std::min(rows(), cols()); }

double LoraProblem::svdFloor(int rank) const {
  double sum = 0;
  for (const auto& sigma : m_sigma)
    // Smallest first: the accurate order for a sum of decreasing positive terms.
    for (std::size_t i = sigma.size(); i-- > std::size_t(std::max(rank, 0));) sum += sigma[i] * sigma[i];
  return sum / double(m_base.size());
}

LoraPlanes LoraProblem::svdDelta(int rank) const {
  LoraPlanes out = LoraPlanes::make(rows(), cols());
  const Eigen::Index r = std::clamp<Eigen::Index>(rank, 0, maxRank());
  if (r == 0) return out;
  std::call_once(m_vectorsOnce, [this] { computeVectors(); });
  parallelFor(LoraPlanes::kChannels, 1, [&](std::size_t c0, std::size_t c1) {
    for (std::size_t c = c0; c < c1; ++c)
      Eigen::Map<MatrixRowMajorF>(out.channel(int(c)), rows(), cols()) =
          (m_us[c].leftCols(r) * m_v[c].leftCols(r).transpose()).cast<float>();
  });
  return out;
}

}  // namespace qviz::core
