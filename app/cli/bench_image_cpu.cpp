// CPU image benchmarks: the uniform quantizer on a 4K RGB frame and SSIM at 1080p.
#include <random>

#include "cli/bench.hpp"
#include "metrics/metrics.hpp"
#include "quant/uniform.hpp"

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
    out.push_back(makeResult("uniform_cpu_4k", ms, double(src.pixelCount()), 2.0 * double(src.byteSize()), ctx));
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
