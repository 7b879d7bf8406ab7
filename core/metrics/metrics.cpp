// Metrics. SSIM streams rows through a ring of 11 precomputed rows and filters vertically then
// horizontally; only the rows and columns of the cropped map are computed (the 5-pixel border
// that scikit-image excludes is exactly the filter radius, so no padding is ever read).
#include "metrics/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <mutex>

#include "util/parallel.hpp"

namespace qviz::core {

namespace {
template <class F>
void forColorSamples(const Image& a, F&& f) {
  const std::size_t ch = std::size_t(a.channels), cc = std::size_t(a.colorChannels());
  const std::size_t n = a.pixelCount();
  for (std::size_t p = 0; p < n; ++p)
    for (std::size_t c = 0; c < cc; ++c) f(p * ch + c, c);
}
}  // namespace

std::uint64_t sumSquaredError(const Image& a, const Image& b) {
  const std::size_t ch = std::size_t(a.channels), cc = std::size_t(a.colorChannels());
  std::mutex m;
  std::uint64_t total = 0;
  parallelFor(a.pixelCount(), 1 << 15, [&](std::size_t pb, std::size_t pe) {
    std::uint64_t local = 0;
    for (std::size_t p = pb; p < pe; ++p)
      for (std::size_t c = 0; c < cc; ++c) {
        const std::int64_t d = std::int64_t(a.sample(p * ch + c)) - std::int64_t(b.sample(p * ch + c));
        local += std::uint64_t(d * d);
      }
    std::lock_guard lock(m);
    total += local;
  });
  return total;
}

double meanSquaredError(const Image& a, const Image& b) {
  const double n = double(a.pixelCount()) * double(a.colorChannels());
  return n > 0 ? double(sumSquaredError(a, b)) / n : 0.0;
}

std::optional<double> psnrFromMse(double mse, std::uint32_t vmax) {
  if (mse <= 0) return std::nullopt;
  return 10.0 * std::log10(double(vmax) * double(vmax) / mse);
}

std::uint32_t maxAbsError(const Image& a, const Image& b) {
  std::uint32_t m = 0;
  forColorSamples(a, [&](std::size_t i, std::size_t) {
    const std::uint32_t x = a.sample(i), y = b.sample(i);
    m = std::max(m, x > y ? x - y : y - x);
  });
  return m;
}

std::uint32_t levelsUsed(const Image& img) {
  std::vector<bool> seen(std::size_t(img.vmax()) + 1, false);
  forColorSamples(img, [&](std::size_t i, std::size_t) { seen[img.sample(i)] = true; });
  return std::uint32_t(std::count(seen.begin(), seen.end(), true));
}

std::vector<Histogram> histograms(const Image& img) {
  std::vector<Histogram> h(std::size_t(img.colorChannels()), Histogram{});
  const unsigned shift = img.type == SampleType::U16 ? 8 : 0;
  forColorSamples(img, [&](std::size_t i, std::size_t c) { ++h[c][img.sample(i) >> shift]; });
  return h;
}

std::array<float, 11> ssimGaussianTaps() {
  std::array<double, 11> w{};
  double sum = 0;
  for (int i = 0; i < 11; ++i) {
    const double x = i - 5;
    w[std::size_t(i)] = std::exp(-0.5 * x * x / (1.5 * 1.5));
    sum += w[std::size_t(i)];
  }
  std::array<float, 11> out{};
  for (std::size_t i = 0; i < 11; ++i) out[i] = float(w[i] / sum);
  return out;
}

namespace {
// Filters rows [y0, y1) of the cropped SSIM map of one channel and returns the sum of SSIM values.
// Inputs are centred (v - vmax/2) so that second moments keep precision in float32.
__attribute__((target_clones("avx2", "default")))
double ssimRows(const Image& a, const Image& b, int channel, int y0, int y1, const std::array<float, 11>& w,
                float c1, float c2) {
  const int W = a.width, ch = a.channels;
  const float centre = float(a.vmax()) * 0.5f;
  const std::size_t Wz = std::size_t(W);
  // Ring of 11 rows x 5 quantities (x, y, xx, yy, xy), each W floats.
  std::vector<float> ring(11 * 5 * Wz);
  std::vector<float> vert(5 * Wz);
  auto fillRow = [&](int y, std::size_t slot) {
    float* px = ring.data() + (slot * 5 + 0) * Wz;
    float* py = px + Wz;
    float* pxx = py + Wz;
    float* pyy = pxx + Wz;
    float* pxy = pyy + Wz;
    const std::size_t base = std::size_t(y) * Wz * std::size_t(ch) + std::size_t(channel);
    for (int x = 0; x < W; ++x) {
      const std::size_t i = base + std::size_t(x) * std::size_t(ch);
      const float va = float(a.sample(i)) - centre, vb = float(b.sample(i)) - centre;
      px[x] = va;
      py[x] = vb;
      pxx[x] = va * va;
      pyy[x] = vb * vb;
      pxy[x] = va * vb;
    }
  };
  for (int k = 0; k < 11; ++k) fillRow(y0 - 5 + k, std::size_t(y0 - 5 + k) % 11);
  double total = 0;
  for (int y = y0; y < y1; ++y) {
    if (y > y0) fillRow(y + 5, std::size_t(y + 5) % 11);
    // Vertical pass: symmetric taps around row y.
    for (int q = 0; q < 5; ++q) {
      float* dst = vert.data() + std::size_t(q) * Wz;
      const float* centreRow = ring.data() + ((std::size_t(y) % 11) * 5 + std::size_t(q)) * Wz;
      for (int x = 0; x < W; ++x) dst[x] = w[5] * centreRow[x];
      for (int k = 1; k <= 5; ++k) {
        const float* up = ring.data() + ((std::size_t(y - k) % 11) * 5 + std::size_t(q)) * Wz;
        const float* dn = ring.data() + ((std::size_t(y + k) % 11) * 5 + std::size_t(q)) * Wz;
        const float wk = w[std::size_t(5 - k)];
        for (int x = 0; x < W; ++x) dst[x] += wk * (up[x] + dn[x]);
      }
    }
    // Horizontal pass and the SSIM formula on the cropped columns.
    const float* vx = vert.data();
    const float* vy = vx + Wz;
    const float* vxx = vy + Wz;
    const float* vyy = vxx + Wz;
    const float* vxy = vyy + Wz;
    double rowSum = 0;
    for (int x = 5; x < W - 5; ++x) {
      float mx = w[5] * vx[x], my = w[5] * vy[x], mxx = w[5] * vxx[x], myy = w[5] * vyy[x], mxy = w[5] * vxy[x];
      for (int k = 1; k <= 5; ++k) {
        const float wk = w[std::size_t(5 - k)];
        mx += wk * (vx[x - k] + vx[x + k]);
        my += wk * (vy[x - k] + vy[x + k]);
        mxx += wk * (vxx[x - k] + vxx[x + k]);
        myy += wk * (vyy[x - k] + vyy[x + k]);
        mxy += wk * (vxy[x - k] + vxy[x + k]);
      }
      const float sx = mxx - mx * mx, sy = myy - my * my, sxy = mxy - mx * my;
      // Means are of centred data: mu = m + centre. The covariance terms are shift-invariant.
      const float ux = mx + centre, uy = my + centre;
      const float num = (2.0f * ux * uy + c1) * (2.0f * sxy + c2);
      const float den = (ux * ux + uy * uy + c1) * (sx + sy + c2);
      rowSum += double(num / den);
    }
    total += rowSum;
  }
  return total;
}
}  // namespace

std::optional<double> ssim(const Image& a, const Image& b) {
  if (a.width < 11 || a.height < 11 || !a.sameShape(b) || a.type == SampleType::F32) return std::nullopt;
  const auto w = ssimGaussianTaps();
  const float c1 = float((0.01 * a.vmax()) * (0.01 * a.vmax()));
  const float c2 = float((0.03 * a.vmax()) * (0.03 * a.vmax()));
  const int cc = a.colorChannels();
  const int rows = a.height - 10;
  const double perChannel = double(rows) * double(a.width - 10);
  // Work items: (channel, band of rows). Each band re-reads the 10 rows around it.
  const int bandsPerChannel = std::max(1, int(std::min<unsigned>(workerCount(), unsigned(rows / 32 + 1))));
  const int items = cc * bandsPerChannel;
  std::vector<double> sums(std::size_t(items), 0.0);
  parallelFor(std::size_t(items), 1, [&](std::size_t ib, std::size_t ie) {
    for (std::size_t it = ib; it < ie; ++it) {
      const int c = int(it) / bandsPerChannel, band = int(it) % bandsPerChannel;
      const int y0 = 5 + rows * band / bandsPerChannel, y1 = 5 + rows * (band + 1) / bandsPerChannel;
      if (y0 < y1) sums[it] = ssimRows(a, b, c, y0, y1, w, c1, c2);
    }
  });
  double total = 0;
  for (int c = 0; c < cc; ++c) {
    double s = 0;
    for (int band = 0; band < bandsPerChannel; ++band) s += sums[std::size_t(c * bandsPerChannel + band)];
    total += s / perChannel;
  }
  return total / cc;
}

StorageInfo storageInfo(const Image& original, const Image& reference, const UniformSettings& s) {
  StorageInfo info;
  const std::uint64_t pixels = reference.pixelCount();
  const int cc = reference.colorChannels();
  std::uint64_t bitsPerPixel = 0;
  for (int c = 0; c < cc; ++c) bitsPerPixel += std::uint64_t(s.bitsFor(c));
  info.bitsPerSample = cc > 0 ? double(bitsPerPixel) / cc : 0;
  info.storedBytes = (pixels * bitsPerPixel + 7) / 8;
  if (reference.hasAlpha()) info.storedBytes += pixels * reference.bytesPerSample();
  info.originalBytes = original.byteSize();
  info.compressionRatio = info.storedBytes ? double(info.originalBytes) / double(info.storedBytes) : 0;
  return info;
}

ImageMetrics computeMetrics(const Image& original, const Image& reference, const Image& quantized,
                            const UniformSettings& s) {
  ImageMetrics m;
  m.mse = meanSquaredError(reference, quantized);
  m.psnrDb = psnrFromMse(m.mse, reference.vmax());
  m.ssim = ssim(reference, quantized);
  m.maxAbsError = maxAbsError(reference, quantized);
  m.levelsUsed = levelsUsed(quantized);
  m.storage = storageInfo(original, reference, s);
  return m;
}

}  // namespace qviz::core
