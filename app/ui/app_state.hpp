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
#include "ui/compare_model.hpp"
#include "ui/image_model.hpp"
#include "ui/levels_model.hpp"
#include "ui/panel_list.hpp"
#include "ui/qlora_model.hpp"
#include "ui/shader_watch.hpp"
#include "ui/texture.hpp"
#include "ui/weights_model.hpp"
#include "ui/worker.hpp"

namespace qviz::ui {

// A printf format for a number of bits: "%d bit" for one, "%d bits" otherwise.
constexpr const char* bitsFormat(int bits) { return bits == 1 ? "%d bit" : "%d bits"; }

enum class ViewMode : std::uint8_t { SideBySide, Split, Error, Flicker };

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

class QloraSession;
class GpuEngine;
struct ErrorCurveJob;  // ui/error_curve_job.hpp
struct EqualBitsJob;   // ui/equal_bits_model.hpp
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
  std::unique_ptr<EqualBitsJob> equalBits;    // the Equal-bits panel's format sweep (made in AppState())
  // Deletes every GL object these caches own (the view, compare, level and QLoRA textures, the GPU
  // engine) while the context that made them is still current: call it before the context goes.
  // The caches are then empty and rebuilt on the next update.
  void releaseGl();
  // `wake` is called from a background thread whenever a result is waiting (the metrics, compare
  // error-curve and equal-bits workers, the QLoRA session, also one made later): the shell redraws then (glfwPostEmptyEvent).
  // An empty function stops the calls: once setWake({}) returns, the workers make no new ones.
  void setWake(std::function<void()> wake);
  std::function<void()> wake;  // what setWake set, for the QLoRA session made later
};

struct Notice {
  std::string text;
  bool error = false;
  double time = 0;  // seconds since start when posted
};

// One flag a panel, made from the panel list (ui/panel_list.hpp), with its value on a first start.
struct PanelOpen {
#define QVIZ_PANEL_FLAG(member, name, title, openAtStart, slot, solo) bool member = openAtStart;
  QVIZ_PANELS(QVIZ_PANEL_FLAG)
#undef QVIZ_PANEL_FLAG
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
  // The Equal-bits panel: the bits-per-weight budget it names a winner for, and its y axis.
  float equalBitsLo = 4.25f, equalBitsHi = 4.5f;
  bool equalBitsRmse = false;  // false: SQNR (dB), true: RMSE
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
