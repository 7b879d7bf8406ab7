// AppState: the Document (what a user would save), Derived caches (each remembering the document
// revision it was built from) and UiState (open panels, zoom, presenter mode). No globals.
#pragma once
#include <array>
#include <cstdint>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <mutex>
#include <tuple>
#include <optional>
#include <string>
#include <vector>

#include "gpu/shader_annotations.hpp"
#include "image/image.hpp"
#include "metrics/metrics.hpp"
#include "memory/memory.hpp"
#include "quant/blockwise.hpp"
#include "quant/levels.hpp"
#include "quant/uniform.hpp"
#include "ui/texture.hpp"
#include "ui/worker.hpp"

namespace qviz::ui {

enum class ComputePath : std::uint8_t { GpuCompute, GpuFragment, Cpu };
constexpr const char* computePathName(ComputePath p) {
  switch (p) {
    case ComputePath::GpuCompute: return "gpu-compute";
    case ComputePath::GpuFragment: return "gpu-fragment";
    case ComputePath::Cpu: return "cpu";
  }
  return "?";
}
// The path control's label for what runs: `chosen` unless the user shader (which has no CPU
// version) makes the CPU reference run on the GPU anyway.
constexpr const char* computePathLabel(ComputePath chosen, bool userShaderOnGpu) {
  switch (chosen) {
    case ComputePath::GpuCompute: return "GPU compute";
    case ComputePath::GpuFragment: return "GPU fragment";
    case ComputePath::Cpu: return userShaderOnGpu ? "GPU (user shader)" : "CPU reference";
  }
  return "?";
}
// A printf format for a number of bits: "%d bit" for one, "%d bits" otherwise.
constexpr const char* bitsFormat(int bits) { return bits == 1 ? "%d bit" : "%d bits"; }

enum class ViewMode : std::uint8_t { SideBySide, Split, Error, Flicker };

// The weights panel's inputs: a synthetic or loaded tensor and the format to quantize it with.
enum class WeightSource : std::uint8_t { Normal, HeavyTailed, Uniform, File };
struct WeightsDoc {
  WeightSource source = WeightSource::Normal;
  int size = 65536;
  std::uint32_t seed = 1;
  std::string path;        // .npy or .safetensors (source File)
  std::string tensorName;  // safetensors: which tensor
  core::TensorFormat format = core::TensorFormat::NF4;
  int blocksize = 64;
  bool doubleQuant = false;
  int block = 0;  // the block shown in the histogram
  bool operator==(const WeightsDoc&) const = default;
};

// The QLoRA panel's inputs.
struct LoraDoc {
  std::string basePath;    // the "pre-trained" weights (empty: assets/images/rocket.jpg)
  std::string targetPath;  // the new data (empty: assets/images/astronaut.png)
  int rank = 8;
  float alpha = 8;
  bool rsLora = false;
  bool sgd = false;
  float lr = 0.05f;
  int blocksize = 64;
  bool doubleQuant = false;
  std::uint32_t seed = 0;
  bool operator==(const LoraDoc&) const = default;
};

// The memory panel's inputs (shared by the three methods it compares); the defaults are qlora.py's
// settings (core::qloraPySettings).
struct MemoryDoc {
  std::string preset = "llama-7b";
  std::uint64_t rank = 64;
  unsigned targets = core::kTargetAllLinear;
  core::OptimizerKind optimizer = core::OptimizerKind::Adam;
  bool paged = true;
  core::Precision weightPrecision = core::Precision::BF16;
  core::Precision adapterPrecision = core::Precision::BF16;
  bool mixedPrecision = true;  // full fine-tuning: fp32 master copy
  core::Upcast upcast = core::Upcast::Norms;
  core::ActivationModel activations = core::ActivationModel::Llama;
  std::uint64_t batch = 1, seqLen = 512;
  bool checkpointing = true;
  int blocksize = 64;
  bool doubleQuant = true;
  bool operator==(const MemoryDoc&) const = default;
};

// Everything a user would save: inputs and settings. Edited only through Commands.
struct Document {
  std::string imagePath;
  core::UniformSettings quant;
  ComputePath path = ComputePath::GpuCompute;
  std::array<int, 4> levelDepths{8, 4, 2, 1};
  ViewMode view = ViewMode::SideBySide;
  float errorGain = 4.0f;
  bool errorSigned = false;
  // Number line
  core::LevelGrid lineGrid = core::LevelGrid::NoZero;
  int lineBits = 2;
  std::vector<double> lineValues = core::seedExampleValues();
  MemoryDoc memory;
  WeightsDoc weights;
  LoraDoc lora;
  // Workshop: the file that implements userQuantize (library-relative or absolute) and the values
  // of its annotated uniforms (kept across reloads; a missing one uses its annotation default).
  std::string userShaderFile = "user/quantizer.glsl";
  std::map<std::string, double> userUniforms = {};
  bool operator==(const Document&) const = default;
};

// The inputs a quantized view depends on: a cache is rebuilt only when these change (dragging a
// number-line value must not re-quantize the image).
struct ViewInputs {
  std::string imagePath;
  core::UniformSettings quant;
  ComputePath path = ComputePath::GpuCompute;
  std::uint64_t shaderGeneration = 0;  // bumped when any shader reloads
  std::string userShaderFile = {};     // with the user rounding only
  std::map<std::string, double> userUniforms = {};
  bool operator==(const ViewInputs&) const = default;
};

// Metrics of one quantization, computed on the worker thread.
struct MetricsResult {
  std::uint64_t generation = 0;
  core::ImageMetrics metrics;
  std::vector<core::Histogram> histBefore, histAfter;
};
struct MetricsMailbox {
  std::mutex mutex;
  std::optional<MetricsResult> result;
};

// A computed view of the document, tagged with the revision and inputs it reflects.
struct QuantizedView {
  std::uint64_t revision = ~0ull;
  std::optional<ViewInputs> inputs;
  core::Image reference;  // the quantizer input (the image, or its luma with "gray")
  core::Image quantized;
  core::ImageMetrics metrics;
  std::vector<core::Histogram> histBefore, histAfter;
  std::uint64_t generation = 0;          // bumped per quantization
  std::uint64_t metricsGeneration = 0;   // generation the metrics above belong to
  DisplayTexture original, result, error;
  std::optional<std::pair<std::string, bool>> originalKey;  // (image, gray) the original texture shows
  std::optional<std::tuple<std::uint64_t, float, bool>> errorKey;  // (generation, gain, signed)
  bool onGpu = false;      // the result lives in the GPU engine's textures (quantized stays empty)
  bool fallback = false;   // the result texture is the magenta "shader never compiled" picture
  bool cpuMetricsPending = false;  // CPU path: the worker starts once the settings rest
  bool gpuMetricsPending = false;  // GPU path: metrics wait until the settings rest
  bool ssimPending = false;        // then SSIM, the costliest, on the frame after
  std::chrono::steady_clock::time_point changedAt;
  std::string computedOn;  // "GPU compute", "GPU fragment", "CPU"
  double elapsedMs = 0;
  bool metricsCurrent() const { return metricsGeneration == generation; }
};

// GPU vs CPU: the same settings on both, timings, mismatches and a difference picture.
struct CompareResult {
  std::uint64_t generation = 0;
  double cpuMs = 0;
  std::uint64_t mismatches = 0;  // samples that differ
  std::uint64_t samples = 0;
  std::string firstMismatch;     // "(x, y) channel c: GPU a, CPU b"
  core::Image diff;              // RGBA8: matching pixels dimmed, mismatching ones red
  std::string error;
};
struct CompareMailbox {
  std::mutex mutex;
  std::optional<CompareResult> result;
};
struct CompareView {
  std::uint64_t generation = 0;  // of the quantized view it compares
  bool pending = false;
  double gpuMs = 0;
  std::string gpuPath;
  std::optional<CompareResult> result;
  DisplayTexture diff;
};

struct LevelTile {
  int bits = 0;
  core::ImageMetrics metrics;
  DisplayTexture texture;
};

class QloraSession;
class GpuEngine;
struct ErrorCurveJob;  // ui/error_curve_job.hpp
struct QloraTiles {
  DisplayTexture base, frozen, quantError, delta, adapted, target, svd, merged;
  double baseLoss = 0, frozenLoss = 0, quantMse = 0, adaptedLoss = 0, svdLoss = 0, mergedLoss = 0;
  double merged16Loss = 0;  // the delta merged into the original weights in bf16 (no tile: a table row)
  float deltaRange = 0;
  float quantErrorRange = 0;  // the quantization error tile's grey scale: black -range, white +range
  std::string mergeError;
};

struct FormatRow {
  core::TensorFormat format;
  core::FormatStats stats;
};

struct WeightsView {
  std::optional<WeightsDoc> inputs;  // what this was built from (block excluded)
  std::string error;                 // why there is no tensor
  std::string description;           // "normal, 65536 values" / "file.npy: weight (4096, 4096)"
  std::vector<float> values, dequant;
  core::QuantizedTensor q;
  core::FormatStats stats;
  std::vector<double> blockRmse;     // per block
  core::CodeUse codeUse;             // how often each code (level) is used over the whole tensor
  std::vector<FormatRow> table;      // every format at the same blocksize
  double elapsedMs = 0;
};

// Hot reload of the shaders in use: the library is polled every ~100 ms on the main thread.
struct ShaderWatch {
  std::chrono::steady_clock::time_point lastPoll{};
  std::uint64_t generation = 0;  // +1 whenever a program is rebuilt (views re-run)
  std::uint64_t reloads = 0, failures = 0;
  // The user file's annotations, re-read when its stamp changes.
  std::string controlsPath;
  std::int64_t controlsMtime = -2, controlsSize = -2;
  std::uint64_t userFileChanges = 0;  // +1 whenever a poll sees the user file's stamp (or path) change
  gpu::AnnotationSet controls;
  std::string controlsError;  // the file cannot be read
};

struct Derived {
  std::uint64_t imageRevision = ~0ull;  // revision of the loaded image
  std::string loadedPath;
  core::Image image;
  QuantizedView view;
  std::uint64_t levelsRevision = ~0ull;
  std::optional<ViewInputs> levelsInputs;  // quant.bits unused: the depths come from levelDepths
  std::array<int, 4> levelsDepths{};
  WeightsView weights;
  CompareView compare;
  std::shared_ptr<CompareMailbox> compareMailbox = std::make_shared<CompareMailbox>();
  std::unique_ptr<LatestJobWorker> compareWorker = std::make_unique<LatestJobWorker>();
  std::unique_ptr<QloraSession> qlora;  // created when the QLoRA panel first opens
  std::unique_ptr<GpuEngine> gpu;       // set by the shell once a GL context exists
  ShaderWatch shaderWatch;
  QloraTiles qloraTiles;
  // Metrics run on a worker; declared last so it stops before the data it reads goes away.
  std::shared_ptr<MetricsMailbox> metricsMailbox = std::make_shared<MetricsMailbox>();
  std::unique_ptr<LatestJobWorker> metricsWorker = std::make_unique<LatestJobWorker>();
  std::vector<LevelTile> levels;
  std::unique_ptr<ErrorCurveJob> errorCurve;  // the Error-against-bits panel's worker and results (made in AppState())
  // Deletes every GL object these caches own (the view, compare, level and QLoRA textures, the GPU
  // engine) while the context that made them is still current: call it before the context goes.
  // The caches are then empty and rebuilt on the next update.
  void releaseGl();
  // `wake` is called from a background thread whenever a result is waiting (the metrics, compare
  // and error-curve workers, the QLoRA session, also one made later): the shell redraws then (glfwPostEmptyEvent).
  // An empty function stops the calls: once setWake({}) returns, the workers make no new ones.
  void setWake(std::function<void()> wake);
  std::function<void()> wake;  // what setWake set, for the QLoRA session made later
};

struct Notice {
  std::string text;
  bool error = false;
  double time = 0;  // seconds since start when posted
};

struct PanelOpen {
  bool image = true, levels = false, metrics = true, histogram = true, numberLine = false, compare = false,
       weights = false, memory = false, qlora = false, concepts = false, shaders = false, errorCurve = false;
};

// The shaders panel's editor of the user file: its own buffer, saved atomically on request.
struct ShaderEditor {
  std::string path;        // absolute path of the file in the buffer (empty: not loaded yet)
  std::string text;        // the buffer
  std::string savedText;   // what the file held when loaded or last saved
  std::int64_t diskMtime = -1, diskSize = -1;  // stamp at load/save, to notice outside edits
  // The file's latest stamp known: the shader watch's (it stamps the file every ~100 ms; taken when
  // its userFileChanges moves), or ours at load/save. The panel itself never stats it per frame.
  std::int64_t seenMtime = -1, seenSize = -1;
  std::uint64_t watchChanges = 0;  // the ShaderWatch::userFileChanges last taken
  bool changedOnDisk = false;
  std::set<std::string> rawLogOpen;  // programs whose raw driver log is unfolded
  // The source lines the diagnostics point at, read once and kept until the shader watch reports a
  // reload, a failed build or a user file change (the key: reloads, failures, userFileChanges).
  std::map<std::pair<std::string, int>, std::string> sourceLines;
  std::tuple<std::uint64_t, std::uint64_t, std::uint64_t> sourceLinesKey{~0ull, ~0ull, ~0ull};
};

struct UiState {
  PanelOpen open;
  ShaderEditor editor;
  float zoom = 0.0f;  // 0: fit to the view
  float panX = 0, panY = 0;
  float splitPos = 0.5f;
  bool flickerShowOriginal = false;
  bool presenter = false;
  float fontScale = 1.0f;
  bool showHelp = false;
  bool showFileBrowser = false;
  bool showDemo = false;
  std::deque<Notice> notices;
  std::vector<std::string> recentFiles;
  std::string pendingScreenshot;  // export the window at the end of this frame
  bool qloraHovered = false;      // the QLoRA panel was under the mouse last frame (drops go to it)
  std::string loraDrop;           // an image dropped on the QLoRA panel, waiting for "base or target"
  std::string browserDir;         // in-app file browser: current folder
  std::string exportWhat;         // non-empty: the export dialog is open for this view
  std::string exportPath;
  std::string weightsPathEdit;  // the weights panel's path field while it is being edited
  bool quitRequested = false;
  double now = 0;
  // The tiling layout (ui/layout.hpp): re-applied when the open panels, the font scale or presenter
  // mode change, or on View > Reset layout; a saved imgui.ini is kept at start.
  bool resetLayout = false;
  std::uint32_t laidOutPanels = 0xffffffffu;  // the open panels (bit i: panelTable()[i]) last laid out; all ones: never
  float laidOutFont = 0.0f;  // the font size they were laid out with
  bool laidOutPresenter = false;
  float laidOutStatusH = 0.0f;  // the status bar's height then (a long notice wraps onto more lines)
  int presenterFeatured = -1;             // presenter mode: the panel (panelTable() index) beside the stage
  std::uint32_t presenterCollapsed = 0;   // the panels laid out as collapsed title bars
};

struct AppState {
  AppState();
  ~AppState();
  AppState(const AppState&) = delete;
  AppState& operator=(const AppState&) = delete;

  Document doc;
  std::uint64_t revision = 0;  // bumped whenever a command changes the document
  Derived derived;
  UiState ui;
  // Wait for background work each frame, so every frame shows final numbers: set by scripts (the
  // screenshot driver in app/drive, tests), never by the explorer itself.
  bool synchronous = false;
};

}  // namespace qviz::ui
