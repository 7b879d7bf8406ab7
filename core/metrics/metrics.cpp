// Metrics. SSIM streams interleaved rows (all channels at once) through a ring of 11 rows of
// centred x and y and filters vertically (the five moments in one fused pass) then horizontally;
// only the rows and columns of the cropped map are computed (the 5-pixel border that
// scikit-image excludes is exactly the filter radius, so no padding is ever read).
#include "metrics/metrics.hpp"

#include <algorithm>
#include <atomic>
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
// vectorize (AVX-512 or AVX2 where the CPU has it). No fused multiply-add anywhere (the core is
// built with -ffp-contract=off), so every clone computes the same float32 values.
#define QVIZ_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))

// The five vertically filtered moments of one output row, from the 11 centred rows of x and y
// around it: the products x^2, y^2 and xy are formed here, in registers, so the ring holds only
// x and y and each output sample is written once (one fused pass instead of one per quantity
// and tap). Symmetric taps: w[5] on the centre row, w[5-k] on the rows k above and below.
QVIZ_SIMD_CLONES
void verticalMoments(const float* const* xs, const float* const* ys, const float* w, int n,
                     float* __restrict mx, float* __restrict my, float* __restrict mxx,
                     float* __restrict myy, float* __restrict mxy) {
  const float* __restrict x0 = xs[0]; const float* __restrict x1 = xs[1]; const float* __restrict x2 = xs[2];
  const float* __restrict x3 = xs[3]; const float* __restrict x4 = xs[4]; const float* __restrict x5 = xs[5];
  const float* __restrict x6 = xs[6]; const float* __restrict x7 = xs[7]; const float* __restrict x8 = xs[8];
  const float* __restrict x9 = xs[9]; const float* __restrict x10 = xs[10];
  const float* __restrict y0 = ys[0]; const float* __restrict y1 = ys[1]; const float* __restrict y2 = ys[2];
  const float* __restrict y3 = ys[3]; const float* __restrict y4 = ys[4]; const float* __restrict y5 = ys[5];
  const float* __restrict y6 = ys[6]; const float* __restrict y7 = ys[7]; const float* __restrict y8 = ys[8];
  const float* __restrict y9 = ys[9]; const float* __restrict y10 = ys[10];
  const float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5];
  for (int i = 0; i < n; ++i) {
    const float a5 = x5[i], b5 = y5[i];
    float sx = w5 * a5, sy = w5 * b5, sxx = w5 * (a5 * a5), syy = w5 * (b5 * b5), sxy = w5 * (a5 * b5);
    auto pair = [&](float wk, float au, float ad, float bu, float bd) {
      sx += wk * (au + ad);
      sy += wk * (bu + bd);
      sxx += wk * (au * au + ad * ad);
      syy += wk * (bu * bu + bd * bd);
      sxy += wk * (au * bu + ad * bd);
    };
    pair(w4, x4[i], x6[i], y4[i], y6[i]);
    pair(w3, x3[i], x7[i], y3[i], y7[i]);
    pair(w2, x2[i], x8[i], y2[i], y8[i]);
    pair(w1, x1[i], x9[i], y1[i], y9[i]);
    pair(w0, x0[i], x10[i], y0[i], y10[i]);
    mx[i] = sx;
    my[i] = sy;
    mxx[i] = sxx;
    myy[i] = syy;
    mxy[i] = sxy;
  }
}

// Horizontal filter of the five moments and the SSIM formula, for the samples x0..x1 of a row of
// interleaved samples (`step` samples between horizontal neighbours, the channel count; the taps
// reach 5 pixels either side), written to out[0 .. x1-x0).
QVIZ_SIMD_CLONES
void horizontalSsim(const float* __restrict vx, const float* __restrict vy, const float* __restrict vxx,
                    const float* __restrict vyy, const float* __restrict vxy, const float* w, int step, int x0,
                    int x1, float centre, float c1, float c2, float* __restrict out) {
  const float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5];
  const int d1 = step, d2 = 2 * step, d3 = 3 * step, d4 = 4 * step, d5 = 5 * step;
  auto taps = [&](const float* __restrict v, int x) {
    return w5 * v[x] + w4 * (v[x - d1] + v[x + d1]) + w3 * (v[x - d2] + v[x + d2]) +
           w2 * (v[x - d3] + v[x + d3]) + w1 * (v[x - d4] + v[x + d4]) + w0 * (v[x - d5] + v[x + d5]);
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
QVIZ_SIMD_CLONES
void centredRow(const T* __restrict a, const T* __restrict b, int n, float centre, float* __restrict px,
                float* __restrict py) {
  for (int x = 0; x < n; ++x) {
    px[x] = static_cast<float>(a[x]) - centre;
    py[x] = static_cast<float>(b[x]) - centre;
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

// Filters rows [y0, y1) of the cropped SSIM maps of every channel at once and returns the sum of
// the colour channels' SSIM values. The filters run on the interleaved rows (horizontal neighbours
// are `ch` samples apart), so no channel is ever gathered. Inputs are centred (v - vmax/2) so that
// second moments keep precision in float32. Rows stream through a ring of 11 rows of x and y
// (about 500 KiB at 1920x3, in the L2 cache); column blocks sized for L1 measured slower.
struct SsimScratch {
  std::vector<float> ring, moments, out;
};
template <class T>
double ssimRows(const T* a, const T* b, int W, int ch, int colorCh, int y0, int y1, const std::array<float, 11>& w,
                float centre, float c1, float c2, SsimScratch& scratch) {
  const int n = W * ch;  // samples of a row
  const std::size_t span = std::size_t(n);
  std::vector<float>& ring = scratch.ring;
  std::vector<float>& moments = scratch.moments;
  std::vector<float>& out = scratch.out;
  ring.resize(11 * 2 * span);
  moments.resize(5 * span);
  out.resize(span);
  auto slot = [&](int y, int q) { return ring.data() + ((std::size_t(y) % 11) * 2 + std::size_t(q)) * span; };
  auto fillRow = [&](int y) {
    const std::size_t base = std::size_t(y) * span;
    centredRow(a + base, b + base, n, centre, slot(y, 0), slot(y, 1));
  };
  for (int y = y0 - 5; y < y0 + 5; ++y) fillRow(y);
  double total = 0;
  for (int y = y0; y < y1; ++y) {
    fillRow(y + 5);
    const float* xs[11];
    const float* ys[11];
    for (int k = 0; k < 11; ++k) {
      xs[k] = slot(y - 5 + k, 0);
      ys[k] = slot(y - 5 + k, 1);
    }
    float* m = moments.data();
    verticalMoments(xs, ys, w.data(), n, m, m + span, m + 2 * span, m + 3 * span, m + 4 * span);
    const int outN = n - 10 * ch;  // the 5-pixel border is left out
    horizontalSsim(m, m + span, m + 2 * span, m + 3 * span, m + 4 * span, w.data(), ch, 5 * ch, n - 5 * ch, centre,
                   c1, c2, out.data());
    total += sumFloats(out.data(), outN);
    // Alpha is filtered with the colours (cheaper than gathering them) and left out of the sum.
    for (int c = colorCh; c < ch; ++c)
      for (int i = c; i < outN; i += ch) total -= double(out[std::size_t(i)]);
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
  // Every channel's map has the same size, so the mean over channels of the per-channel means is
  // the sum over all colour samples of the maps divided by (map size x channels).
  const double samples = double(rows) * double(a.width - 10) * double(cc);
  // Work items: bands of about 64 rows (each re-reads the 10 rows around it), taken in turn by
  // the threads, so a thread that the OS preempts holds up one band, not half the image. Each
  // band's sum has its own slot and the slots are added in order: the result does not depend on
  // which thread ran which band.
  const int bands = std::max(1, std::min(rows / 48, 64));
  std::vector<double> sums(std::size_t(bands), 0.0);
  std::atomic<int> next{0};
  const float centre = float(a.vmax()) * 0.5f;
  parallelFor(std::min<std::size_t>(workerCount(), std::size_t(bands)), 1, [&](std::size_t, std::size_t) {
    SsimScratch scratch;
    for (int band = next++; band < bands; band = next++) {
      const int y0 = 5 + int(std::int64_t(rows) * band / bands), y1 = 5 + int(std::int64_t(rows) * (band + 1) / bands);
      if (y0 >= y1) continue;
      sums[std::size_t(band)] =
          a.type == SampleType::U8
              ? ssimRows(a.u8.data(), b.u8.data(), a.width, a.channels, cc, y0, y1, w, centre, c1, c2, scratch)
              : ssimRows(a.u16.data(), b.u16.data(), a.width, a.channels, cc, y0, y1, w, centre, c1, c2, scratch);
    }
  });
  double total = 0;
  for (double s : sums) total += s;
  return total / samples;
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
