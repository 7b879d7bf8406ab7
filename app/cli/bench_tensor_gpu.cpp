// GPU tensor benchmarks (headless EGL context): NF4 block-wise quantize and dequantize of 16M
// float32 values (blocksize 64), and the raw block formats q4_k, q6_k, mxfp4 and nvfp4 (their
// family kernels through gpu::RawFormatGpu). Times are per run after a warm-up, input upload and
// result readback excluded; NF4's quantize includes its small absmax readback and reciprocal
// upload (1/64 of the values), which the exact CPU reciprocals need; a raw quantize includes
// zeroing its block buffer (an upload of the blocks' size: the kernels OR their bytes in). A raw
// format whose kernel file or CPU codec is missing is skipped with a note. Without a GL context the
// suite adds nothing.
#include <cstdio>
#include <random>

#include "cli/bench.hpp"
#include "gpu/raw_kernels.hpp"
#include "gpu/session.hpp"
#include "gpu/tensor_kernels.hpp"

namespace qviz::cli {
namespace {

constexpr const char* kRawFormats[] = {"q4_k", "q6_k", "mxfp4", "nvfp4"};

bool wantsRaw(const BenchContext& ctx) {
  for (const char* f : kRawFormats)
    if (ctx.wants(std::string(f) + "_quantize_gpu_16m") || ctx.wants(std::string(f) + "_dequantize_gpu_16m")) return true;
  return false;
}

// NF4 through BlockwiseQuantizerGpu's device-resident steps.
void benchNf4(BenchContext& ctx, std::vector<BenchResult>& out, gpu::GpuSession& session, const std::vector<float>& x,
              bool wantQ, bool wantD, const std::function<void(const std::string&, const std::string&)>& fail,
              const std::function<double(const std::function<void()>&)>& timed) {
  if (!wantQ && !wantD) return;
  const std::size_t n = x.size();
  core::BlockwiseSettings s;
  s.format = core::TensorFormat::NF4;
  s.blocksize = 64;
  const double nb = double(n) / 64.0;
  gpu::BlockwiseQuantizerGpu kernel(session.env());
  if (auto st = kernel.upload(x.data(), n); !st) return fail("nf4 gpu", st.error());
  if (auto st = kernel.runQuantize(n, s); !st) return fail("nf4_quantize_gpu_16m", st.error());  // warm-up and JIT
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

}  // namespace

void benchTensorGpu(BenchContext& ctx, std::vector<BenchResult>& out) {
  const bool wantQ = ctx.wants("nf4_quantize_gpu_16m"), wantD = ctx.wants("nf4_dequantize_gpu_16m");
  if (!wantQ && !wantD && !wantsRaw(ctx)) return;
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
  auto fail = [&](const std::string& name, const std::string& why) {
    std::fprintf(stderr, "qviz bench: %s skipped: %s\n", name.c_str(), why.c_str());
  };
  auto timed = [&](const std::function<void()>& fn) {
    return medianMs([&] {
      fn();
      glFinish();
    }, runs, secs);
  };
  benchNf4(ctx, out, **session, x, wantQ, wantD, fail, timed);
  // The raw block formats: the input uploaded once (nvfp4: its tensor scale from the CPU), then the
  // family kernel's quantize into device blocks and its dequantize of those blocks.
  gpu::RawFormatGpu raw((*session)->env());
  for (const char* name : kRawFormats) {
    const std::string qName = std::string(name) + "_quantize_gpu_16m", dName = std::string(name) + "_dequantize_gpu_16m";
    const bool q = ctx.wants(qName), d = ctx.wants(dName);
    if (!q && !d) continue;
    const core::FormatDesc* desc = core::findFormat(std::string_view(name));
    if (!desc) continue;
    const core::RawCodec& r = desc->raw;
    if (!gpu::RawFormatGpu::hasKernel((*session)->shaders(), *desc)) {
      fail(std::string(name) + " gpu", gpu::RawFormatGpu::kernelFile(*desc) + " is not in the shader directory");
      continue;
    }
    if (!r.quantize || !r.dequantize || (r.headerBytes && !r.tensorScale)) {
      fail(std::string(name) + " gpu", "no CPU codec for " + std::string(name) + " yet");
      continue;
    }
    core::BlockwiseSettings s;
    s.format = desc->format;
    if (auto st = raw.upload(x.data(), n, s); !st) {
      fail(std::string(name) + " gpu", st.error());
      continue;
    }
    if (auto st = raw.runQuantize(); !st) {  // warm-up and JIT
      fail(qName, st.error());
      continue;
    }
    const double blockBytes = double(core::rawBlocksBytes(s, n));
    auto result = [&](const std::string& rname, double ms, double bytes) {
      auto res = makeResult(rname, ms, double(n), bytes, ctx);
      res.extra["format"] = name;
      res.extra["n"] = n;
      res.extra["renderer"] = ctx.renderer;
      return res;
    };
    if (q) {
      const double ms = timed([&] { (void)raw.runQuantize(); });
      auto res = result(qName, ms, 4.0 * double(n) + 2.0 * blockBytes);  // x read, blocks zeroed and written
      res.extra["includes"] = "zeroing the block buffer (an upload of the blocks' size)";
      out.push_back(std::move(res));
    }
    if (d) {
      if (auto st = raw.runDequantize(); !st) {
        fail(dName, st.error());
        continue;
      }
      const double ms = timed([&] { (void)raw.runDequantize(); });
      out.push_back(result(dName, ms, blockBytes + 4.0 * double(n)));  // blocks read, floats written
    }
  }
}

}  // namespace qviz::cli
