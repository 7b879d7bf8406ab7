// CPU image benchmarks: the uniform quantizer on a 4K RGB frame (beside a plain copy of the same
// bytes on one thread and on every worker, its floor) and SSIM at 1080p.
#include <cstring>
#include <random>

#include "cli/bench.hpp"
#include "metrics/metrics.hpp"
#include "quant/uniform.hpp"
#include "util/parallel.hpp"

namespace qviz::cli {
using namespace qviz::core;

namespace {
Image noiseImage(int w, int h, int ch, std::uint32_t seed) {
  Image img = Image::make(w, h, ch, SampleType::U8);
  std::mt19937 rng(seed);
  // Smooth-ish content (gradients plus noise) so SSIM is not degenerate.
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < ch; ++c)
        img.u8[(std::size_t(y) * std::size_t(w) + std::size_t(x)) * std::size_t(ch) + std::size_t(c)] =
            std::uint8_t((x * 255 / w + y * 127 / h + c * 40 + int(rng() % 32)) & 255);
  return img;
}
}  // namespace

void benchImageCpu(BenchContext& ctx, std::vector<BenchResult>& out) {
  const double secs = ctx.quick ? 0.05 : 1.0;
  const int runs = ctx.quick ? 2 : 10;
  if (ctx.wants("uniform_cpu_4k")) {
    const Image src = noiseImage(3840, 2160, 3, 1);
    UniformSettings s;
    s.bits = 4;
    Image dst = Image::make(src.width, src.height, src.channels, src.type);
    const double ms = medianMs([&] { (void)quantizeUniformInto(src, s, dst); }, runs, secs);
    // The memory floor: memcpy of the same bytes into the same buffer, on one thread and split
    // over the workers as the quantizer is.
    const std::size_t bytes = src.u8.size();
    const double copy1 = medianMs([&] { std::memcpy(dst.u8.data(), src.u8.data(), bytes); }, runs, secs);
    const double copyN = medianMs(
        [&] {
          parallelFor(bytes, 1 << 16, [&](std::size_t b, std::size_t e) {
            std::memcpy(dst.u8.data() + b, src.u8.data() + b, e - b);
          });
        },
        runs, secs);
    auto r = makeResult("uniform_cpu_4k", ms, double(src.pixelCount()), 2.0 * double(bytes), ctx);
    r.extra["memcpy_ms_1_thread"] = copy1;
    r.extra["memcpy_ms_threads"] = copyN;
    r.extra["memcpy_threads"] = workerCount();
    r.extra["times_memcpy"] = copyN > 0 ? ms / copyN : 0;
    out.push_back(std::move(r));
    out.push_back(makeResult("memcpy_4k_1_thread", copy1, double(src.pixelCount()), 2.0 * double(bytes), ctx));
    out.push_back(makeResult("memcpy_4k_" + std::to_string(workerCount()) + "_threads", copyN, double(src.pixelCount()),
                             2.0 * double(bytes), ctx));
  }
  if (ctx.wants("ssim_cpu_1080p")) {
    const Image a = noiseImage(1920, 1080, 3, 2);
    UniformSettings s;
    s.bits = 3;
    const Image b = quantizeUniform(a, s).value();
    double value = 0;
    const double ms = medianMs([&] { value = ssim(a, b).value_or(0); }, runs, secs);
    auto r = makeResult("ssim_cpu_1080p", ms, double(a.pixelCount()), 2.0 * double(a.byteSize()), ctx);
    r.extra["ssim"] = value;
    out.push_back(std::move(r));
  }
}

}  // namespace qviz::cli
