// Recomputation of Derived caches, keyed by document revision.
#include "ui/derived.hpp"

#include <imgui.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>

#include "image/image_io.hpp"
#include "ui/commands.hpp"
#include "ui/explorer.hpp"
#include "ui/gpu_engine.hpp"
#include "ui/qlora_session.hpp"
#include "ui/weights_model.hpp"

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
  auto original = std::make_shared<const Image>(d.image);
  auto reference = std::make_shared<const Image>(v.reference);
  auto quantized = std::make_shared<const Image>(v.quantized);
  const UniformSettings q = s.doc.quant;
  const std::uint64_t generation = v.generation;
  std::weak_ptr<MetricsMailbox> mailbox = d.metricsMailbox;
  d.worker->submit([=] {
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
  if (s.ui.synchronous) d.worker->waitIdle();
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

void quantizeView(AppState& s) {
  Derived& d = s.derived;
  QuantizedView& v = d.view;
  if (v.revision == s.revision || d.image.empty()) return;
  v.revision = s.revision;
  const ViewInputs inputs{d.loadedPath, s.doc.quant, s.doc.path};
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
  const gpu::GpuPath gpath = s.doc.path == ComputePath::GpuFragment ? gpu::GpuPath::Fragment : gpu::GpuPath::Compute;
  if (d.gpu && s.doc.path != ComputePath::Cpu && !gpu::UniformQuantizerGpu::cpuOnly(q) && d.gpu->supports(gpath)) {
    Status st;
    if (newSource || !v.onGpu) st = d.gpu->setImage(d.image, v.reference);
    auto r = st ? d.gpu->quantize(q, gpath) : Result<GpuViewResult>(fail(st.error()));
    if (r) {
      v.onGpu = true;
      v.quantized = Image{};
      v.elapsedMs = r->elapsedMs;
      v.computedOn = r->path;
      ++v.generation;
      if (d.gpu->supports(gpu::GpuPath::Compute)) {
        auto m = d.gpu->metrics(d.image, q, v.histBefore, v.histAfter);
        if (m) {
          v.metrics = *m;
          v.metricsGeneration = v.generation;
          return;
        }
        postNotice(s.ui, "GPU metrics failed, computing them on the CPU: " + m.error(), true);
      }
      // No compute shaders (GL < 4.3): one read-back per change for the CPU metrics.
      if (auto img = d.gpu->downloadQuantized()) {
        v.quantized = std::move(*img);
        submitMetrics(s);
      }
      return;
    }
    postNotice(s.ui, "the GPU path failed, using the CPU: " + r.error(), true);
  }
  v.onGpu = false;
  if (auto st = quantizeUniformInto(v.reference, q, v.quantized); !st) {
    postNotice(s.ui, st.error(), true);
    return;
  }
  v.elapsedMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  v.computedOn = "CPU";
  v.result.upload(v.quantized);
  ++v.generation;
  submitMetrics(s);
}

// The error picture is made only while the error view is shown.
void errorView(AppState& s) {
  QuantizedView& v = s.derived.view;
  if (s.doc.view != ViewMode::Error) return;
  const auto key = std::make_tuple(v.generation, s.doc.errorGain, s.doc.errorSigned);
  if (v.errorKey == key) return;
  v.errorKey = key;
  if (v.onGpu && s.derived.gpu) {
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

void levelTiles(AppState& s) {
  Derived& d = s.derived;
  if (!s.ui.open.levels || d.levelsRevision == s.revision || d.image.empty()) return;
  UniformSettings q = s.doc.quant;
  q.channelBits = {0, 0, 0};
  q.bits = 0;
  const ViewInputs inputs{d.loadedPath, q, s.doc.path};
  d.levelsRevision = s.revision;
  if (d.levelsInputs == inputs && d.levelsDepths == s.doc.levelDepths) return;
  d.levelsInputs = inputs;
  d.levelsDepths = s.doc.levelDepths;
  d.levels.resize(s.doc.levelDepths.size());
  const Image reference = quantizerReference(d.image, q);
  for (std::size_t i = 0; i < d.levels.size(); ++i) {
    LevelTile& t = d.levels[i];
    q.bits = std::clamp(s.doc.levelDepths[i], 1, d.image.bitDepth());
    t.bits = q.bits;
    Image out;
    if (!quantizeUniformInto(reference, q, out)) continue;
    t.metrics = computeMetrics(d.image, reference, out, q);
    t.texture.upload(out);
  }
  d.levelsRevision = s.revision;
}
}  // namespace

void updateDerived(AppState& s) {
  loadIfNeeded(s);
  quantizeView(s);
  takeMetrics(s);
  errorView(s);
  levelTiles(s);
  if (s.ui.open.weights) updateWeightsView(s.doc.weights, s.derived.weights);
  if (s.ui.open.qlora) {
    Derived& d = s.derived;
    if (!d.qlora) d.qlora = std::make_unique<QloraSession>();
    const std::string dir = std::filesystem::path(defaultImagePath()).parent_path().string();
    d.qlora->configure(s.doc.lora, dir + "/rocket.jpg", dir + "/astronaut.png");
    if (s.ui.synchronous) d.qlora->waitReady();
    if (s.ui.loraSteps > 0) {
      d.qlora->runSteps(s.ui.loraSteps);
      s.ui.loraSteps = 0;
    }
    d.qlora->poll(d.qloraTiles);
  }
}

}  // namespace qviz::ui
