// The weights panel's inputs (WeightsDoc, part of the Document), its data (WeightsView) and its
// computations (no drawing): synthetic tensors, loading a tensor from .npy or
// .safetensors, quantizing with every format, per-block errors, the levels of one block, the
// block inspector's data (core::inspectBlock for raw block formats), the whole-tensor histogram
// with the format's levels, and the Format menu grouped by family with its "About" texts.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "quant/blockwise.hpp"
#include "quant/levels.hpp"

namespace qviz::ui {

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

struct FormatRow {
  core::TensorFormat format;
  core::FormatStats stats;
};

// The whole tensor's values binned over [lo, hi] (which covers the values and every level of every
// block), and how the format's levels fall on the same bins over all blocks.
struct WeightsHistogram {
  double lo = 0, hi = 0;
  std::vector<double> counts;        // values per bin; they sum to the tensor's n
  std::vector<double> levelDensity;  // per bin: (block or sub-block, level) pairs over the whole tensor
  std::size_t levelSets = 0;         // how many level sets (blocks, or sub-blocks of raw formats) were counted
  std::uint64_t clipped = 0;         // values beyond the outermost level of their block (or sub-block)
  std::uint64_t clippedLow = 0, clippedHigh = 0;
  std::uint64_t total = 0;
  int binOf(double x) const;         // the bin of a value (clamped to the ends)
};

struct WeightsJob;  // the panel's workers (weights_model.cpp)

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
  // What `table` was computed from: the tensor, blocksize and double quantization (the chosen
  // format and the block do not count: choosing a format leaves the table as it is).
  std::optional<WeightsDoc> tableInputs;
  // The panel's update computes on workers. viewPending: this view is of older inputs (or empty),
  // the one for the document's is on its way (the panel notes "updating"). tablePending: `table` is
  // of older inputs (or empty), the one for `inputs` is on its way (the panel greys the old one out).
  bool viewPending = false;
  bool tablePending = false;
  double tableMs = 0;                // computing time of `table`
  std::size_t rowLength = 0;         // the row length given to the quantizer (a file's last axis; 0: one row)
  WeightsHistogram histogram;        // of the whole tensor, with the levels of every block
  double elapsedMs = 0;              // the chosen format's part (tensor, quantization, histogram)
  std::shared_ptr<WeightsJob> job;   // made by the panel's update or setWeightsWake; main thread only
};

// Which values of the tensor block b covers (raw formats: blocks along rows of rowLength, a partial
// last block of a row holding fewer values; other formats: b * blocksize on).
struct BlockSpan {
  std::size_t first = 0, count = 0;
};
BlockSpan blockSpan(const WeightsView& v, std::size_t block);
std::size_t blockTotal(const WeightsView& v);  // how many blocks the tensor has

// The block inspector's data for one block: the values before and after, their codes, the levels,
// and for formats with stored blocks (raw formats, q8_0/q4_0) the block as core::inspectBlock
// takes it apart.
struct BlockInspect {
  std::size_t block = 0;
  BlockSpan span;
  std::vector<float> original, dequant;  // span.count values
  std::vector<std::uint8_t> codes;       // each value's code (span.count)
  std::optional<core::BlockView> view;   // core::inspectBlock's answer, where the format stores blocks
  std::string viewError;                 // why there is no view (a format without stored blocks)
  int subBlocks = 1;                     // value i is in sub-block i / subLength
  std::size_t subLength = 0;
  std::vector<std::vector<float>> levels;  // per sub-block, ascending (one set for formats without sub-blocks)
  std::vector<float> allLevels;            // the union of the sub-blocks' levels, ascending, distinct
};
BlockInspect inspectWeightsBlock(const WeightsView& v, std::size_t block);

// The Format menu: every format of the table exactly once, grouped by family under its header, the
// groups in the order their first format has in the table.
struct FormatGroup {
  std::string family;  // FormatDesc::family: "bnb4", "ggml_kquants", ...
  std::string header;  // "bitsandbytes", "ggml k-quants", ...
  std::vector<core::TensorFormat> formats;
};
std::vector<FormatGroup> formatMenuGroups();
// The menu header of a family ("mx" -> "OCP MX"); an unknown family is shown as its own name.
std::string familyHeader(const std::string& family);
// A few lines about the family (what its blocks are, why it is built that way, where it is used);
// empty for none.
const char* familyAbout(const std::string& family);
// "q4_k  4.50 bits/weight": a menu item, the large-n bits per weight with its scales.
std::string formatMenuLabel(const core::FormatDesc& f, int blocksize, bool doubleQuant);

// Deterministic synthetic weights: normal (Box-Muller on mt19937 bits), heavy-tailed (normal
// plus 0.1% outliers at 20 sigma) or uniform in [-1, 1].
std::vector<float> syntheticWeights(WeightSource source, std::size_t n, std::uint32_t seed);

// Rebuilds `view` when the inputs changed (the shown block does not count), all of it at once on
// the calling thread; the table only when its own inputs changed (tableInputs).
void updateWeightsView(const WeightsDoc& doc, WeightsView& view);

// The panel's update (updateDerived, main thread): the same view as updateWeightsView, computed on
// view.job's two worker threads from their own copies of the values: one makes the view (the tensor,
// the chosen format, the histogram), the other, where the tensor, blocksize or double quantization
// changed, the table of every format (32 quantizations of the whole tensor; a format change leaves
// it alone). A newer job replaces (and cancels) one still running on the same worker; what they post
// is taken here on a later call, and the window is woken when something waits. Meanwhile the view
// shown is the last one, marked viewPending / tablePending. `synchronous` (scripts, tests) waits for
// both, so the view is then exactly updateWeightsView's. Without `withTable` (only the Equal bits
// panel, which sweeps every format itself, needs the tensor) no every-format table is made and one
// on its way is dropped.
void updateWeightsPanel(const WeightsDoc& doc, WeightsView& view, bool synchronous, bool withTable = true);
// The panel closed: the jobs in flight are dropped (they stop at their next step); the view shown
// stays, and opening the panel again starts what is missing.
void pauseWeightsPanel(WeightsView& view);
// Blocks until the jobs in flight (if any) are done, then takes what they posted (tests, scripted runs).
// `withTable`: a finished view's table is started and waited for too.
void waitWeightsJob(WeightsView& view, bool withTable = true);
// The view's table is the one for `doc` (its tensor, blocksize and double quantization), none on its way.
bool weightsTableCurrent(const WeightsView& view, const WeightsDoc& doc);
// The window's wake (called from a worker when a view or a table waits); empty to stop waking: once
// it returns, no wake comes from the weights workers (Derived::setWake calls it).
void setWeightsWake(WeightsView& view, std::function<void()> wake);

// Every value the format can produce in block `block` of q (sorted, distinct): the dequantized
// value of each code with that block's constants.
std::vector<float> blockLevels(const core::QuantizedTensor& q, std::size_t block);

}  // namespace qviz::ui
