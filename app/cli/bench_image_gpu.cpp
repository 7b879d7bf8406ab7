// GPU image benchmarks (headless EGL context): the uniform quantizer on a 4K RGBA8 frame (compute
// and fragment paths, and a naive one-pixel-per-invocation image shader as the baseline it must
// beat), SSIM at 1080p, and the 4K upload and readback they exclude. Kernel times are
// per dispatch after a warm-up (the first dispatch includes the shader JIT), measured with glFinish
// and the wall clock (GL_TIME_ELAPSED reads 0 for compute on llvmpipe). Without a GL context the
// suite adds no results and says so on stderr.
#include <cstdio>

#include "cli/bench.hpp"
#include "gpu/metrics_kernels.hpp"
#include "gpu/selftest.hpp"
#include "gpu/session.hpp"
#include "gpu/uniform_kernel.hpp"

namespace qviz::cli {
using namespace qviz::core;

void benchImageGpu(BenchContext& ctx, std::vector<BenchResult>& out) {
  const char* names[] = {"uniform_gpu_4k", "uniform_gpu_fragment_4k", "uniform_gpu_naive_4k", "ssim_gpu_1080p",
                         "upload_4k", "readback_4k"};
  bool any = false;
  for (const char* n : names) any = any || ctx.wants(n);
  if (!any) return;
  auto session = gpu::GpuSession::openHeadless();
  if (!session) {
    std::fprintf(stderr, "qviz bench: GPU benchmarks skipped: %s\n", session.error().c_str());
    return;
  }
  gpu::GpuContext& gl = (*session)->context();
  ctx.renderer = gl.caps().renderer;
  const double secs = ctx.quick ? 0.05 : 1.0;
  const int runs = ctx.quick ? 2 : 10;
  auto timed = [&](const std::function<void()>& fn) {
    return medianMs([&] {
      fn();
      glFinish();
    }, runs, secs);
  };
  auto fail = [&](const char* name, const std::string& why) {
    std::fprintf(stderr, "qviz bench: %s skipped: %s\n", name, why.c_str());
  };

  const Image frame4k = gpu::selftestImage(3840, 2160, 4, SampleType::U8, 11);
  const double bytes4k = double(frame4k.byteSize());
  gpu::DeviceImage src, dst;
  if (auto st = src.upload(frame4k); !st) return fail("the 4K frame", st.error());
  UniformSettings s;
  s.bits = 4;
  gpu::UniformQuantizerGpu quantizer((*session)->env());
  for (gpu::GpuPath path : {gpu::GpuPath::Compute, gpu::GpuPath::Fragment}) {
    const std::string name = path == gpu::GpuPath::Compute ? "uniform_gpu_4k" : "uniform_gpu_fragment_4k";
    if (!ctx.wants(name)) continue;
    if (auto st = quantizer.run(src, s, dst, path); !st) {
      fail(name.c_str(), st.error());
      continue;
    }
    const double ms = timed([&] { (void)quantizer.run(src, s, dst, path); });
    auto r = makeResult(name, ms, double(frame4k.pixelCount()), 2.0 * bytes4k, ctx);
    r.extra["path"] = gpu::gpuPathName(path);
    r.extra["renderer"] = ctx.renderer;
    if (path == gpu::GpuPath::Fragment) r.extra["includes"] = "buffer-to-texture copy and framebuffer readback on the GPU";
    out.push_back(std::move(r));
  }
  if (ctx.wants("uniform_gpu_naive_4k") && gl.computeAvailable()) {
    // The baseline: shaders/quantize_uniform_naive.comp on rgba8ui textures.
    gpu::ShaderLibrary& lib = (*session)->shaders();
    const gpu::ProgramDesc desc{"bench.quantize_uniform_naive", {{gpu::ShaderStage::Compute, "quantize_uniform_naive.comp"}}, {}};
    if (auto st = lib.ensure(desc); !st) {
      fail("uniform_gpu_naive_4k", st.error());
    } else {
      gpu::Texture in = gpu::Texture::create(), outTex = gpu::Texture::create();
      for (const gpu::Texture* t : {&in, &outTex}) {
        glBindTexture(GL_TEXTURE_2D, t->id());
        glTexStorage2D(GL_TEXTURE_2D, 1, GL_RGBA8UI, frame4k.width, frame4k.height);
      }
      glBindTexture(GL_TEXTURE_2D, in.id());
      glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
      glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, frame4k.width, frame4k.height, GL_RGBA_INTEGER, GL_UNSIGNED_BYTE,
                      frame4k.u8.data());
      const GLuint prog = lib.program(desc.name);
      const UniformConstants k = uniformConstants(4, 255);
      glUseProgram(prog);
      gpu::setUniform(prog, "u_scale", k.scale);
      gpu::setUniform(prog, "u_inv", k.inv);
      gpu::setUniform(prog, "u_levels", GLuint(k.levels));
      glBindImageTexture(0, in.id(), 0, GL_FALSE, 0, GL_READ_ONLY, GL_RGBA8UI);
      glBindImageTexture(1, outTex.id(), 0, GL_FALSE, 0, GL_WRITE_ONLY, GL_RGBA8UI);
      const double ms = timed([&] {
        glDispatchCompute(GLuint((frame4k.width + 15) / 16), GLuint((frame4k.height + 15) / 16), 1);
        glMemoryBarrier(GL_ALL_BARRIER_BITS);
      });
      glUseProgram(0);
      auto r = makeResult("uniform_gpu_naive_4k", ms, double(frame4k.pixelCount()), 2.0 * bytes4k, ctx);
      r.extra["path"] = "compute (baseline: one pixel per invocation, image load/store)";
      r.extra["renderer"] = ctx.renderer;
      out.push_back(std::move(r));
    }
  }
  if (ctx.wants("upload_4k")) {
    gpu::DeviceImage up;
    const double ms = timed([&] { (void)up.upload(frame4k); });
    out.push_back(makeResult("upload_4k", ms, double(frame4k.pixelCount()), bytes4k, ctx));
  }
  if (ctx.wants("readback_4k")) {
    Image back;
    const double ms = timed([&] { (void)src.download(back); });
    out.push_back(makeResult("readback_4k", ms, double(frame4k.pixelCount()), bytes4k, ctx));
  }
  if (ctx.wants("ssim_gpu_1080p")) {
    const Image a = gpu::selftestImage(1920, 1080, 3, SampleType::U8, 12);
    UniformSettings q;
    q.bits = 3;
    const Image b = quantizeUniform(a, q).value();
    gpu::DeviceImage da, db;
    gpu::SsimGpu ssim((*session)->env());
    double value = 0;
    Result<std::optional<double>> first = std::optional<double>();
    if (auto st = da.upload(a); !st) return fail("ssim_gpu_1080p", st.error());
    if (auto st = db.upload(b); !st) return fail("ssim_gpu_1080p", st.error());
    if (first = ssim.run(da, db); !first) return fail("ssim_gpu_1080p", first.error());
    const double ms = timed([&] {
      if (auto r = ssim.run(da, db); r && *r) value = **r;
    });
    auto r = makeResult("ssim_gpu_1080p", ms, double(a.pixelCount()), 2.0 * double(a.byteSize()), ctx);
    r.extra["ssim"] = value;
    r.extra["renderer"] = ctx.renderer;
    out.push_back(std::move(r));
  }
}

}  // namespace qviz::cli
