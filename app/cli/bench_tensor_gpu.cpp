// GPU tensor benchmarks (headless EGL context): NF4 block-wise quantize and dequantize of 16M
// float32 values (blocksize 64). Times are per run after a warm-up, input upload and result
// readback excluded; quantize includes its small absmax readback and reciprocal upload (1/64 of
// the values), which the exact CPU reciprocals need. Without a GL context the suite adds nothing.
#include <cstdio>
#include <random>

#include "cli/bench.hpp"
#include "gpu/session.hpp"
#include "gpu/tensor_kernels.hpp"

namespace qviz::cli {

void benchTensorGpu(BenchContext& ctx, std::vector<BenchResult>& out) {
  const bool wantQ = ctx.wants("nf4_quantize_gpu_16m"), wantD = ctx.wants("nf4_dequantize_gpu_16m");
  if (!wantQ && !wantD) return;
  auto session = gpu::GpuSession::openHeadless();
  if (!session) {
    std::fprintf(stderr, "qviz bench: GPU tensor benchmarks skipped: %s\n", session.error().c_str());
    return;
  }
  if (auto st = (*session)->context().supports(gpu::GpuPath::Compute); !st) {
    std::fprintf(stderr, "qviz bench: GPU tensor benchmarks skipped: %s\n", st.error().c_str());
    return;
  }
  ctx.renderer = (*session)->context().caps().renderer;
  const double secs = ctx.quick ? 0.05 : 1.0;
  const int runs = ctx.quick ? 2 : 10;
  const std::size_t n = ctx.quick ? (std::size_t(1) << 20) : (std::size_t(16) << 20);
  std::vector<float> x(n);
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (auto& v : x) v = dist(rng);
  core::BlockwiseSettings s;
  s.format = core::TensorFormat::NF4;
  s.blocksize = 64;
  const double nb = double(n) / 64.0;
  gpu::BlockwiseQuantizerGpu kernel((*session)->env());
  auto fail = [&](const char* name, const std::string& why) { std::fprintf(stderr, "qviz bench: %s skipped: %s\n", name, why.c_str()); };
  if (auto st = kernel.upload(x.data(), n); !st) return fail("nf4 gpu", st.error());
  if (auto st = kernel.runQuantize(n, s); !st) return fail("nf4_quantize_gpu_16m", st.error());  // warm-up and JIT
  auto timed = [&](const std::function<void()>& fn) {
    return medianMs([&] {
      fn();
      glFinish();
    }, runs, secs);
  };
  if (wantQ) {
    const double ms = timed([&] { (void)kernel.runQuantize(n, s); });
    // x read twice (absmax, codes), codes + packed written, absmax written, read back, reciprocals read.
    const double bytes = 8.0 * double(n) + 1.5 * double(n) + 16.0 * nb;
    auto r = makeResult("nf4_quantize_gpu_16m", ms, double(n), bytes, ctx);
    r.extra["blocksize"] = 64;
    r.extra["n"] = n;
    r.extra["renderer"] = ctx.renderer;
    r.extra["includes"] = "absmax readback and reciprocal upload (4 bytes per block each way)";
    out.push_back(std::move(r));
  }
  if (wantD) {
    if (auto st = kernel.runDequantize(n, s); !st) return fail("nf4_dequantize_gpu_16m", st.error());
    const double ms = timed([&] { (void)kernel.runDequantize(n, s); });
    const double bytes = 0.5 * double(n) + 4.0 * nb + 4.0 * double(n);  // packed + absmax read, floats written
    auto r = makeResult("nf4_dequantize_gpu_16m", ms, double(n), bytes, ctx);
    r.extra["blocksize"] = 64;
    r.extra["n"] = n;
    r.extra["renderer"] = ctx.renderer;
    out.push_back(std::move(r));
  }
}

}  // namespace qviz::cli
