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
// Inner loops of the SSIM filter, kept as small functions over restrict pointers so that they
// vectorize (AVX2 where the CPU has it).
__attribute__((target_clones("avx2", "default")))
void verticalTaps(float* __restrict dst, const float* const* rows, const float* w, int n) {
  // rows[0..10] are the 11 rows of one quantity; symmetric taps around rows[5].
  const float* __restrict c = rows[5];
  for (int x = 0; x < n; ++x) dst[x] = w[5] * c[x];
  for (int k = 1; k <= 5; ++k) {
    const float* __restrict up = rows[5 - k];
    const float* __restrict dn = rows[5 + k];
    const float wk = w[5 - k];
    for (int x = 0; x < n; ++x) dst[x] += wk * (up[x] + dn[x]);
  }
}

__attribute__((target_clones("avx2", "default")))
void horizontalSsim(float* __restrict out, const float* __restrict vx, const float* __restrict vy,
                    const float* __restrict vxx, const float* __restrict vyy, const float* __restrict vxy,
                    const float* w, int x0, int x1, float centre, float c1, float c2) {
  const float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5];
  auto taps = [&](const float* __restrict v, int x) {
    return w5 * v[x] + w4 * (v[x - 1] + v[x + 1]) + w3 * (v[x - 2] + v[x + 2]) + w2 * (v[x - 3] + v[x + 3]) +
           w1 * (v[x - 4] + v[x + 4]) + w0 * (v[x - 5] + v[x + 5]);
  };
  for (int x = x0; x < x1; ++x) {
    const float mx = taps(vx, x), my = taps(vy, x);
    const float sx = taps(vxx, x) - mx * mx, sy = taps(vyy, x) - my * my, sxy = taps(vxy, x) - mx * my;
    // Means are of centred data: mu = m + centre. The (co)variances are shift-invariant.
    const float ux = mx + centre, uy = my + centre;
    const float num = (2.0f * ux * uy + c1) * (2.0f * sxy + c2);
    const float den = (ux * ux + uy * uy + c1) * (sx + sy + c2);
    out[x - x0] = num / den;
  }
}

template <class T>
__attribute__((target_clones("avx2", "default")))
void centredProducts(const T* __restrict a, const T* __restrict b, int stride, int n, float centre,
                     float* __restrict px, float* __restrict py, float* __restrict pxx, float* __restrict pyy,
                     float* __restrict pxy) {
  for (int x = 0; x < n; ++x) {
    const float va = static_cast<float>(a[x * stride]) - centre, vb = static_cast<float>(b[x * stride]) - centre;
    px[x] = va;
    py[x] = vb;
    pxx[x] = va * va;
    pyy[x] = vb * vb;
    pxy[x] = va * vb;
  }
}

double sumFloats(const float* v, int n) {
  double acc[4] = {0, 0, 0, 0};
  int i = 0;
  for (; i + 4 <= n; i += 4)
    for (int j = 0; j < 4; ++j) acc[j] += double(v[i + j]);
  for (; i < n; ++i) acc[0] += double(v[i]);
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

// Filters rows [y0, y1) of the cropped SSIM map of one channel and returns the sum of SSIM values.
// Inputs are centred (v - vmax/2) so that second moments keep precision in float32.
template <class T>
double ssimRows(const T* a, const T* b, int W, int ch, int channel, int y0, int y1, const std::array<float, 11>& w,
                float centre, float c1, float c2) {
  const std::size_t Wz = std::size_t(W);
  // Ring of 11 rows x 5 quantities (x, y, xx, yy, xy), each W floats.
  std::vector<float> ring(11 * 5 * Wz);
  std::vector<float> vert(5 * Wz), ssimRow(Wz);
  auto slot = [&](int y, int q) { return ring.data() + ((std::size_t(y) % 11) * 5 + std::size_t(q)) * Wz; };
  auto fillRow = [&](int y) {
    const std::size_t base = std::size_t(y) * Wz * std::size_t(ch) + std::size_t(channel);
    centredProducts(a + base, b + base, ch, W, centre, slot(y, 0), slot(y, 1), slot(y, 2), slot(y, 3), slot(y, 4));
  };
  for (int y = y0 - 5; y < y0 + 5; ++y) fillRow(y);
  double total = 0;
  for (int y = y0; y < y1; ++y) {
    fillRow(y + 5);
    for (int q = 0; q < 5; ++q) {
      const float* rows[11];
      for (int k = 0; k < 11; ++k) rows[k] = slot(y - 5 + k, q);
      verticalTaps(vert.data() + std::size_t(q) * Wz, rows, w.data(), W);
    }
    const float* v = vert.data();
    horizontalSsim(ssimRow.data(), v, v + Wz, v + 2 * Wz, v + 3 * Wz, v + 4 * Wz, w.data(), 5, W - 5, centre, c1, c2);
    total += sumFloats(ssimRow.data(), W - 10);
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
      if (y0 >= y1) continue;
      const float centre = float(a.vmax()) * 0.5f;
      sums[it] = a.type == SampleType::U8
                     ? ssimRows(a.u8.data(), b.u8.data(), a.width, a.channels, c, y0, y1, w, centre, c1, c2)
                     : ssimRows(a.u16.data(), b.u16.data(), a.width, a.channels, c, y0, y1, w, centre, c1, c2);
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
  // Two pictures of different shapes have no per-sample error: only the storage is reported.
  if (!reference.sameShape(quantized) || reference.empty()) {
    m.storage = storageInfo(original, reference, s);
    return m;
  }
  m.mse = meanSquaredError(reference, quantized);
  m.psnrDb = psnrFromMse(m.mse, reference.vmax());
  m.ssim = ssim(reference, quantized);
  m.maxAbsError = maxAbsError(reference, quantized);
  m.levelsUsed = levelsUsed(quantized);
  m.storage = storageInfo(original, reference, s);
  return m;
}

}  // namespace qviz::core
