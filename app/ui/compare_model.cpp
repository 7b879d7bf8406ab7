// The GPU vs CPU panel's data (ui/compare_model.hpp).
#include "ui/compare_model.hpp"

#include <chrono>
#include <memory>
#include <vector>

#include "image/compare.hpp"
#include "ui/app_state.hpp"
#include "ui/gpu_engine.hpp"

namespace qviz::ui {
using namespace qviz::core;

// GPU vs CPU: when the compare panel is open and the GPU produced the current view, the CPU
// reference runs on its own worker and the two results are compared sample by sample
// (core::compareSamples).
void updateCompareView(AppState& s) {
  Derived& d = s.derived;
  CompareView& c = d.compare;
  if (s.synchronous && c.pending) d.compareWorker->waitIdle();
  {
    std::lock_guard lock(d.compareMailbox->mutex);
    if (auto& r = d.compareMailbox->result) {
      if (r->generation == c.generation) {
        c.diff.upload(r->diff);
        c.result = std::move(*r);
        c.pending = false;
      }
      r.reset();
    }
  }
  const QuantizedView& v = d.view;
  if (!s.ui.open.compare || c.generation == v.generation || v.reference.empty()) return;
  c.generation = v.generation;
  c.result.reset();
  if (!v.onGpu() || !d.gpu) {
    c.gpuPath.clear();
    return;
  }
  // Time a second, warm dispatch: the view's first one may include the shader's JIT compilation.
  const gpu::GpuPath path = s.doc.path == ComputePath::GpuFragment ? gpu::GpuPath::Fragment : gpu::GpuPath::Compute;
  auto warm = d.gpu->quantize(s.doc.quant, path);
  auto gpuImage = d.gpu->downloadQuantized();  // one read-back per change, only while comparing
  if (!gpuImage) {
    CompareResult r;
    r.error = gpuImage.error();
    c.result = std::move(r);
    return;
  }
  c.gpuMs = warm ? warm->elapsedMs : v.elapsedMs;
  c.gpuPath = v.computedOn;
  c.pending = true;
  auto gpuResult = std::make_shared<const Image>(std::move(*gpuImage));
  auto reference = std::make_shared<const Image>(v.reference);
  const UniformSettings q = s.doc.quant;
  const std::uint64_t generation = c.generation;
  std::weak_ptr<CompareMailbox> mailbox = d.compareMailbox;
  d.compareWorker->submit([=] {
    CompareResult r;
    r.generation = generation;
    Image cpu;
    const auto t0 = std::chrono::steady_clock::now();
    if (auto st = quantizeUniformInto(*reference, q, cpu); !st) r.error = st.error();
    r.cpuMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (r.error.empty()) {
      std::vector<std::uint8_t> pixelDiffers;
      const SampleComparison cmp = compareSamples(cpu, *gpuResult, 0, &pixelDiffers);
      if (!cmp.comparable) {
        r.error = "the GPU and CPU results have different shapes";
      } else {
        r.diff = Image::make(cpu.width, cpu.height, 4, SampleType::U8);
        const std::size_t ch = std::size_t(cpu.channels);
        const unsigned shift = cpu.type == SampleType::U16 ? 8 : 0;
        r.samples = cmp.compared;
        r.mismatches = cmp.differing;
        if (cmp.differing)
          r.firstMismatch = "(" + std::to_string(cmp.x) + ", " + std::to_string(cmp.y) + ") channel " +
                            std::to_string(cmp.channel) + ": GPU " + std::to_string(cmp.got) + ", CPU " +
                            std::to_string(cmp.want);
        for (std::size_t p = 0; p < cpu.pixelCount(); ++p) {
          // Matching pixels: the image at a third of its brightness; mismatches: full red.
          const bool differs = pixelDiffers[p] != 0;
          const std::uint8_t grey = std::uint8_t((cpu.sample(p * ch) >> shift) / 3);
          std::uint8_t* o = r.diff.u8.data() + p * 4;
          o[0] = differs ? 255 : grey;
          o[1] = differs ? 0 : grey;
          o[2] = differs ? 0 : grey;
          o[3] = 255;
        }
      }
    }
    if (auto box = mailbox.lock()) {
      std::lock_guard lock(box->mutex);
      box->result = std::move(r);
    }
  });
}

}  // namespace qviz::ui
