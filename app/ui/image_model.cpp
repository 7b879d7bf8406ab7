// The image panel's data (ui/image_model.hpp): loading, quantizing on the GPU or the CPU, metrics,
// the error picture.
#include "ui/image_model.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "image/image_io.hpp"
#include "ui/commands.hpp"
#include "ui/derived.hpp"
#include "ui/gpu_engine.hpp"

namespace qviz::ui {
using namespace qviz::core;

gpu::ErrorMapSettings errorMapSettings(const Document& d) {
  gpu::ErrorMapSettings e;
  e.mode = d.errorSigned ? gpu::ErrorMapMode::Signed : gpu::ErrorMapMode::Absolute;
  e.gain = std::uint32_t(std::clamp(std::lround(d.errorGain), 1l, 64l));
  return e;
}

namespace {
void loadIfNeeded(AppState& s) {
  Derived& d = s.derived;
  if (s.doc.imagePath == d.loadedPath && !d.image.empty()) return;
  auto loaded = loadImage(s.doc.imagePath);
  if (!loaded) {
    postNotice(s.ui, loaded.error(), true);
    // Keep what the user had: the previous image stays open.
    if (!d.loadedPath.empty() && d.loadedPath != s.doc.imagePath) {
      s.doc.imagePath = d.loadedPath;
      ++s.revision;
    } else {
      d.loadedPath = s.doc.imagePath;
    }
    return;
  }
  d.image = std::move(*loaded);
  // Larger than the GPU's texture limit: a downscaled preview, and a notice saying so.
  if (d.gpu)
    if (std::string note = fitToTextureLimit(d.image, d.gpu->context().caps().maxTextureSize, s.doc.imagePath);
        !note.empty())
      postNotice(s.ui, note, false);
  d.loadedPath = s.doc.imagePath;
  d.imageRevision = s.revision;
  // Clamp settings that the new image does not support (a 16-bit image allows 16 bits).
  const int maxBits = d.image.bitDepth();
  if (s.doc.quant.bits > maxBits) {
    s.doc.quant.bits = maxBits;
    ++s.revision;
  }
  postNotice(s.ui, "opened " + d.loadedPath + " (" + std::to_string(d.image.width) + "x" +
                       std::to_string(d.image.height) + " " + channelLayoutName(d.image.channels) + ", " +
                       std::to_string(d.image.bitDepth()) + "-bit)",
             false);
}

// Metrics and histograms of the current quantization, computed on the worker thread; the
// result is taken on a later frame (or waited for in synchronous runs).
void submitMetrics(AppState& s) {
  Derived& d = s.derived;
  QuantizedView& v = d.view;
  if (v.quantized.empty() || !v.quantized.sameShape(v.reference)) return;  // nothing to measure
  auto original = std::make_shared<const Image>(d.image);
  auto reference = std::make_shared<const Image>(v.reference);
  auto quantized = std::make_shared<const Image>(v.quantized);
  const UniformSettings q = s.doc.quant;
  const std::uint64_t generation = v.generation;
  std::weak_ptr<MetricsMailbox> mailbox = d.metricsMailbox;
  d.metricsWorker->submit([=] {
    MetricsResult r;
    r.generation = generation;
    r.metrics = computeMetrics(*original, *reference, *quantized, q);
    r.histBefore = histograms(*reference);
    r.histAfter = histograms(*quantized);
    if (auto box = mailbox.lock()) {
      std::lock_guard lock(box->mutex);
      box->result = std::move(r);
    }
  });
}

void takeMetrics(AppState& s) {
  Derived& d = s.derived;
  if (s.synchronous) d.metricsWorker->waitIdle();
  std::lock_guard lock(d.metricsMailbox->mutex);
  auto& r = d.metricsMailbox->result;
  if (!r) return;
  if (r->generation == d.view.generation) {
    d.view.metrics = r->metrics;
    d.view.histBefore = std::move(r->histBefore);
    d.view.histAfter = std::move(r->histAfter);
    d.view.metricsGeneration = r->generation;
  }
  r.reset();
}

// The user shader never compiled (or there is no GL): a magenta picture says so plainly; the
// error is in the notice and in the shaders panel, and the CPU modes stay one click away.
void userFallback(AppState& s, const std::string& why) {
  QuantizedView& v = s.derived.view;
  postNotice(s.ui, why, true);
  Image magenta = Image::make(v.reference.width, v.reference.height, 4, SampleType::U8);
  for (std::size_t p = 0; p < magenta.pixelCount(); ++p) {
    std::uint8_t* o = magenta.u8.data() + p * 4;
    const bool stripe = ((p % std::size_t(magenta.width)) / 16 + (p / std::size_t(magenta.width)) / 16) % 2 == 0;
    o[0] = 255;
    o[1] = 0;
    o[2] = stripe ? 255 : 200;
    o[3] = 255;
  }
  v.state = ViewState::Fallback;
  v.quantized = Image{};
  v.result.upload(magenta);
  v.computedOn = "nothing: the user shader does not compile";
  v.elapsedMs = 0;
  ++v.generation;
  v.metrics = {};
  v.histAfter.clear();
  v.metricsGeneration = v.generation;
}

void quantizeView(AppState& s) {
  Derived& d = s.derived;
  QuantizedView& v = d.view;
  if (v.revision == s.revision || d.image.empty()) return;
  v.revision = s.revision;
  const bool user = s.doc.quant.rounding == Rounding::User;
  ViewInputs inputs{d.loadedPath, s.doc.quant, s.doc.path, d.shaderWatch.generation, {}, {}};
  if (user) {
    inputs.userShaderFile = s.doc.userShaderFile;
    inputs.userUniforms = s.doc.userUniforms;
  }
  if (v.inputs == inputs) return;
  v.inputs = inputs;
  const UniformSettings& q = s.doc.quant;
  if (auto st = validateUniform(d.image, q); !st) {
    postNotice(s.ui, st.error(), true);
    return;
  }
  const auto t0 = std::chrono::steady_clock::now();
  const bool newSource = !v.originalKey || v.originalKey->first != d.loadedPath || v.originalKey->second != q.gray;
  if (newSource) {
    v.reference = quantizerReference(d.image, q);
    v.original.upload(v.reference);
    v.originalKey = std::make_pair(d.loadedPath, q.gray);
  }
  // The GPU path: quantize, display and measure on the GPU; Floyd-Steinberg is serial (CPU).
  // The user shader has no CPU version: it runs on the GPU whatever the path says.
  gpu::GpuPath gpath = s.doc.path == ComputePath::GpuFragment ? gpu::GpuPath::Fragment : gpu::GpuPath::Compute;
  if (user && d.gpu && !d.gpu->supports(gpath)) gpath = gpu::GpuPath::Fragment;
  if (d.gpu && (s.doc.path != ComputePath::Cpu || user) && !gpu::UniformQuantizerGpu::cpuOnly(q) && d.gpu->supports(gpath)) {
    if (user) d.gpu->setUserShader(gpu::UserShader{s.doc.userShaderFile, s.doc.userUniforms});
    Status st;
    if (newSource || !v.onGpu()) st = d.gpu->setImage(d.image, v.reference);
    auto r = st ? d.gpu->quantize(q, gpath) : Result<GpuViewResult>(fail(st.error()));
    if (r) {
      v.state = ViewState::Gpu;
      v.quantized = Image{};
      v.elapsedMs = r->elapsedMs;
      v.computedOn = r->path;
      ++v.generation;
      if (d.gpu->supports(gpu::GpuPath::Compute)) {
        // The reductions run once the settings rest (deferredMetrics): dragging a slider
        // re-quantizes every frame, the numbers follow when it stops.
        v.state = ViewState::GpuWaiting;
        v.changedAt = std::chrono::steady_clock::now();
        return;
      }
      // No compute shaders (GL < 4.3): one read-back per change for the CPU metrics.
      if (auto img = d.gpu->downloadQuantized()) {
        v.quantized = std::move(*img);
        submitMetrics(s);
      }
      return;
    }
    if (user) {
      userFallback(s, "the user shader has never compiled: " + r.error());
      return;
    }
    postNotice(s.ui, "the GPU path failed, using the CPU: " + r.error(), true);
  }
  if (user) {
    userFallback(s, "the user shader needs OpenGL, and no GPU context is available");
    return;
  }
  if (v.state != ViewState::CpuWaiting) v.state = ViewState::Cpu;
  if (auto st = quantizeUniformInto(v.reference, q, v.quantized); !st) {
    postNotice(s.ui, st.error(), true);
    return;
  }
  v.elapsedMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  v.computedOn = "CPU";
  v.result.upload(v.quantized);
  ++v.generation;
  // Metrics follow on the worker once the settings rest, so a dragged slider keeps both cores for
  // re-quantizing and drawing.
  v.state = ViewState::CpuWaiting;
  v.changedAt = std::chrono::steady_clock::now();
}

// Metrics once the settings have rested for 150 ms (at once in scripted runs). CPU path: the worker
// starts. GPU path: first the
// cheap reductions (histograms, exact error sums), then SSIM, the costly one, on a later frame.
void deferredMetrics(AppState& s) {
  QuantizedView& v = s.derived.view;
  if (v.state == ViewState::CpuWaiting &&
      (s.synchronous || std::chrono::steady_clock::now() - v.changedAt >= std::chrono::milliseconds(150))) {
    v.state = ViewState::Cpu;
    submitMetrics(s);
    if (s.synchronous) takeMetrics(s);
  }
  if (!s.derived.gpu || (v.state != ViewState::GpuWaiting && v.state != ViewState::GpuSsim)) return;
  const auto rest = std::chrono::steady_clock::now() - v.changedAt;
  if (!s.synchronous && rest < std::chrono::milliseconds(150)) return;
  if (v.state == ViewState::GpuWaiting) {
    v.state = ViewState::Gpu;
    auto m = s.derived.gpu->metrics(s.derived.image, s.doc.quant, v.histBefore, v.histAfter);
    if (!m) {
      postNotice(s.ui, "GPU metrics failed: " + m.error(), true);
      return;
    }
    v.metrics = *m;
    v.metricsGeneration = v.generation;
    v.state = ViewState::GpuSsim;
    if (!s.synchronous) return;  // SSIM on the next frame, so this one stays short
  }
  v.state = ViewState::Gpu;
  auto r = s.derived.gpu->ssim();
  if (r) v.metrics.ssim = *r;
  else postNotice(s.ui, "GPU SSIM failed: " + r.error(), true);
}

// The error picture is made only while the error view is shown.
void errorView(AppState& s) {
  QuantizedView& v = s.derived.view;
  if (s.doc.view != ViewMode::Error) return;
  const auto key = std::make_tuple(v.generation, s.doc.errorGain, s.doc.errorSigned);
  if (v.errorKey == key) return;
  v.errorKey = key;
  if (v.onGpu() && s.derived.gpu) {
    const gpu::GpuPath path = s.doc.path == ComputePath::GpuFragment ? gpu::GpuPath::Fragment : gpu::GpuPath::Compute;
    if (auto st = s.derived.gpu->errorMap(errorMapSettings(s.doc), path); !st) postNotice(s.ui, st.error(), true);
    return;
  }
  if (v.quantized.empty() || !v.reference.sameShape(v.quantized)) return;
  auto map = gpu::errorMapReference(v.reference, v.quantized, errorMapSettings(s.doc));
  if (!map) {
    postNotice(s.ui, map.error(), true);
    return;
  }
  v.error.upload(*map);
}

}  // namespace

void updateImageView(AppState& s) {
  loadIfNeeded(s);
  quantizeView(s);
  takeMetrics(s);
  deferredMetrics(s);
  errorView(s);
}

}  // namespace qviz::ui
