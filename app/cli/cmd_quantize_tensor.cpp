// `qviz quantize-tensor`: quantize one tensor from a .npy or .safetensors file with a block-wise
// format and write codes, packed nibbles, per-block constants, the dequantized tensor and a JSON
// summary into a folder (atomically, never over existing files without --force, never the input).
// Raw block formats (ggml, OCP MX, NVFP4) write their blocks as the format lays them out
// (blocks.bin), the dequantized tensor and the summary; q8_0/q4_0 write blocks.bin besides their codes.
// --format all measures every format of the table on the tensor (core::sweepFormats).
// --backend gpu runs the block-wise kernels on a headless GL context; --check compares with the CPU.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/bench.hpp"
#include "cli/cli.hpp"
#include "cli/cli11_util.hpp"
#include "gpu/session.hpp"
#include "gpu/tensor_kernels.hpp"
#include "quant/blockwise.hpp"
#include "quant/format_sweep.hpp"
#include "tensor/npy.hpp"
#include "tensor/safetensors.hpp"
#include "tensor/source.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"

namespace qviz::cli {
namespace {
using namespace qviz::core;
using Json = nlohmann::ordered_json;
constexpr const char* kSub = "quantize-tensor";

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Opens the input for reading piece by piece; `chosenName` is the safetensors tensor.
Result<TensorSource> openInput(const std::string& path, const std::string& tensorName, std::string& chosenName) {
  if (endsWith(path, ".safetensors")) {
    chosenName = tensorName;
    if (chosenName.empty()) {
      auto index = listSafetensors(path);
      if (!index) return fail(index.error());
      if (index->tensors.size() != 1) {
        std::string names;
        for (std::size_t i = 0; i < index->tensors.size() && i < 8; ++i) names += (i ? ", " : "") + index->tensors[i].name;
        return fail(path + " holds " + std::to_string(index->tensors.size()) + " tensors; choose one with --tensor (" +
                    names + (index->tensors.size() > 8 ? ", ...)" : ")"));
      }
      chosenName = index->tensors.front().name;
    }
    return TensorSource::openSafetensor(path, chosenName);
  }
  if (!tensorName.empty()) return fail("--tensor applies to .safetensors inputs only");
  return TensorSource::openNpy(path);
}

Json jsonNumber(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

// Differences between the CPU and GPU results of one block range: every code, packed byte,
// per-block constant (bit patterns) and dequantized value, indexed in the whole tensor; `first`
// names the first.
struct Mismatches {
  std::size_t diffs = 0;
  std::string first;

  void bytes(const char* what, const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b, std::size_t base) {
    for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i)
      if (i >= a.size() || i >= b.size() || a[i] != b[i]) {
        if (diffs++ == 0)
          first = std::string(what) + "[" + std::to_string(base + i) + "]: cpu " +
                  (i < a.size() ? std::to_string(a[i]) : "-") + ", gpu " + (i < b.size() ? std::to_string(b[i]) : "-");
      }
  }
  void floats(const char* what, const float* a, std::size_t na, const float* b, std::size_t nb, std::size_t base) {
    for (std::size_t i = 0; i < std::max(na, nb); ++i)
      if (i >= na || i >= nb || std::memcmp(&a[i], &b[i], sizeof(float)) != 0) {
        if (diffs++ == 0) {
          char buf[160];
          std::snprintf(buf, sizeof buf, "%s[%zu]: cpu %.9g, gpu %.9g", what, base + i, i < na ? double(a[i]) : 0.0,
                        i < nb ? double(b[i]) : 0.0);
          first = buf;
        }
      }
  }
  void floats(const char* what, const std::vector<float>& a, const std::vector<float>& b, std::size_t base) {
    floats(what, a.data(), a.size(), b.data(), b.size(), base);
  }
  // Raw block formats: every byte of the blocks (header included), `base` the first byte's offset
  // in blocks.bin.
  void rawBlocks(const QuantizedTensor& cpu, const QuantizedTensor& gpu, std::size_t base) {
    bytes("blocks.bin", cpu.blocks, gpu.blocks, base);
  }
  // Values [i0, ...) of blocks [b0, ...).
  void quantized(const QuantizedTensor& cpu, const QuantizedTensor& gpu, std::size_t i0, std::size_t b0) {
    bytes("codes", cpu.codes, gpu.codes, i0);
    bytes("packed", cpu.packed, gpu.packed, i0 / 2);
    floats("absmax", cpu.absmax, gpu.absmax, b0);
    floats("zero_point", cpu.zeroPoint, gpu.zeroPoint, b0);
    bytes("qabsmax", cpu.qabsmax, gpu.qabsmax, b0);
    floats("absmax2", cpu.absmax2, gpu.absmax2, b0 / 256);
    floats("absmax_dq", cpu.absmaxDq, gpu.absmaxDq, b0);
    floats("offset", &cpu.offset, 1, &gpu.offset, 1, 0);
  }
};

// Values quantized per step: a multiple of every block size (32..4096), 16 MiB of float32.
constexpr std::size_t kChunkValues = std::size_t(1) << 22;

// The --format help: every format of the table, grouped by family label, in table order.
std::string formatHelp() {
  std::vector<std::pair<std::string, std::string>> groups;
  for (const FormatDesc& d : tensorFormats()) {
    const std::string label = *d.familyLabel ? d.familyLabel : d.family;
    if (groups.empty() || groups.back().first != label) groups.push_back({label, ""});
    groups.back().second += (groups.back().second.empty() ? "" : ", ") + std::string(d.name);
  }
  std::string help;
  for (const auto& [label, names] : groups) help += (help.empty() ? "" : "; ") + label + ": " + names;
  return help + "; all: every format above, measured on the tensor (with --json, no --out-dir)";
}

// Where the chunk starting at i0 ends: kChunkValues on (a multiple of every block), except for rows
// that are not a multiple of their block (MX pads each row's last block, which must stay whole): a
// chunk is then whole rows, or a piece of one row that ends at a block boundary or at the row end.
std::size_t chunkEnd(std::size_t i0, std::size_t n, std::size_t chunk, std::size_t rowLength, std::size_t blockValues) {
  const std::size_t end = std::min(n, i0 + chunk);
  if (blockValues == 0 || rowLength == 0 || rowLength % blockValues == 0) return end;
  const std::size_t rowEnd = i0 - i0 % rowLength + rowLength;
  if (i0 % rowLength != 0 || end < rowEnd) return std::min(end, rowEnd);  // a piece of one row
  return i0 + (end - i0) / rowLength * rowLength;                         // whole rows
}

// The settings that cut values [i0, i0 + m) of a raw format alone into the same blocks as the whole
// tensor does: whole rows keep the row length; a piece of one long row is a row of its own; rows
// that are a multiple of the block are one flat run.
BlockwiseSettings chunkSettings(const BlockwiseSettings& s, const FormatDesc& d, std::size_t i0, std::size_t m) {
  BlockwiseSettings cs = s;
  const std::size_t L = s.rowLength, bv = std::size_t(d.raw.blockValues);
  if (!d.isRaw() || d.raw.rows == RowRule::Flat || L == 0) return cs;
  if (L % bv == 0) cs.rowLength = 0;
  else if (i0 % L == 0 && m % L == 0) cs.rowLength = L;
  else cs.rowLength = m;
  return cs;
}

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// `--format all`: every format (and blocksize, double quantization) on the whole tensor.
int runSweep(TensorSource& source, const std::string& input, const std::string& chosen, const std::string& jsonPath,
             const std::vector<int>& blocksizes, bool force) {
  const std::size_t n = source.count();
  const std::vector<std::size_t> shape = source.shape();
  if (!jsonPath.empty()) {
    if (samePath(input, jsonPath)) return badInput(kSub, jsonPath + " is the input; refusing to overwrite it");
    std::error_code ec;
    if (!force && std::filesystem::exists(jsonPath, ec)) return badInput(kSub, jsonPath + " exists (use --force to overwrite)");
  }
  std::vector<float> x(n);
  if (n)
    if (auto st = source.readFloats(0, n, x.data()); !st) return badInput(kSub, st.error());
  SweepOptions o;
  if (!blocksizes.empty()) o.blocksizes = blocksizes;
  o.rowLength = shape.empty() ? 0 : shape.back();
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<SweepRow> rows = sweepFormats(x.data(), n, o);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

  std::printf("%-18s %9s %12s %9s %12s  %s\n", "format", "bits/w", "rmse", "sqnr dB", "max |err|", "pareto");
  for (const SweepRow& r : rows) {
    if (!r.ok) {
      std::printf("%-18s %9.4f %s\n", r.label.c_str(), r.bitsPerWeight, ("does not apply: " + r.error).c_str());
      continue;
    }
    std::printf("%-18s %9.4f %12.6g %9.3f %12.6g  %s\n", r.label.c_str(), r.bitsPerWeight, r.rmse, r.sqnrDb, r.maxAbsError,
                r.pareto ? "*" : "");
  }
  if (jsonPath.empty()) return kExitOk;
  Json j;
  j["input"] = input;
  j["tensor"] = chosen.empty() ? Json(nullptr) : Json(chosen);
  j["input_dtype"] = dtypeName(source.dtype());
  j["n"] = n;
  j["shape"] = shape;
  j["row_length"] = o.rowLength;
  j["elapsed_ms"] = ms;
  Json list = Json::array();
  for (const SweepRow& r : rows) {
    Json row;
    row["label"] = r.label;
    row["format"] = tensorFormatName(r.settings.format);
    row["blocksize"] = effectiveBlocksize(r.settings);
    row["double_quant"] = r.settings.doubleQuant;
    row["ok"] = r.ok;
    row["error"] = r.ok ? Json(nullptr) : Json(r.error);
    row["bits_per_weight"] = r.bitsPerWeight;
    row["rmse"] = r.ok ? Json(r.rmse) : Json(nullptr);
    row["sqnr_db"] = r.ok ? jsonNumber(r.sqnrDb) : Json(nullptr);  // null also when exact
    row["max_abs_error"] = r.ok ? Json(r.maxAbsError) : Json(nullptr);
    row["pareto"] = r.pareto;
    list.push_back(std::move(row));
  }
  j["rows"] = std::move(list);
  if (auto st = writeFileAtomic(jsonPath, j.dump(2) + "\n"); !st) return badInput(kSub, st.error());
  return kExitOk;
}
}  // namespace

int runQuantizeTensor(int argc, char** argv) {
  CLI::App app{"Quantize a tensor block-wise and write codes, constants, the dequantized tensor and a summary",
               kSub};
  std::string input, tensorName, formatText, outDir, jsonPath, backend = "cpu";
  int blocksize = 64;
  bool doubleQuant = false, force = false;
  app.add_option("IN", input, ".npy (float32, float16, uint8, int8) or .safetensors (F32, F16, BF16)")->required();
  app.add_option("--tensor", tensorName, "tensor name inside a .safetensors file");
  // The format list, blocksize rule and double-quantization formats come from core's format table.
  std::map<int, std::string> fixedSizes;  // "q8_0/q4_0" by blocksize
  std::string fixedBlocks, dqFormats;
  for (const FormatDesc& d : tensorFormats()) {
    if (d.fixedBlocksize) fixedSizes[d.fixedBlocksize] += (fixedSizes[d.fixedBlocksize].empty() ? "" : "/") + std::string(d.name);
    if (d.doubleQuant) dqFormats += (dqFormats.empty() ? "" : "/") + std::string(d.name);
  }
  for (const auto& [size, names] : fixedSizes)
    fixedBlocks += (fixedBlocks.empty() ? "" : ", ") + names + ": " + std::to_string(size);
  app.add_option("--format", formatText, formatHelp())->required();
  auto* bsOpt = app.add_option("--blocksize", blocksize,
                               "values per block: a power of two " + std::to_string(kMinBlocksize) + ".." +
                                   std::to_string(kMaxBlocksize) + (fixedBlocks.empty() ? "" : " (" + fixedBlocks + ")"));
  app.add_flag("--double-quant", doubleQuant, dqFormats + ": quantize the absmax to 8 bits (blocks of 256)");
  app.add_option("--out-dir", outDir, "output folder (created); not with --format all");
  app.add_option("--json", jsonPath, "--format all: write the table of every format as JSON to this file");
  std::string shaderDir;
  bool check = false;
  app.add_option("--backend", backend, "cpu | gpu | auto (auto: the GPU when a GL context can be made)");
  app.add_option("--shader-dir", shaderDir, "load shaders from DIR (default: $QVIZ_SHADER_DIR or the source tree)");
  app.add_flag("--check", check, "also run the CPU and fail (exit 1) on any difference from the GPU");
  app.add_flag("--force", force, "overwrite existing output files");
  if (auto rc = parseArgs(app, argc, argv)) return *rc;
  reportPeakRssAtExit();  // (only for `qviz bench`'s child: QVIZ_PEAK_RSS_FILE)

  if (formatText == "all") {
    if (!outDir.empty()) return badInput(kSub, "--format all writes no folder (--out-dir); give --json FILE for its table");
    if (doubleQuant) return badInput(kSub, "--format all measures every format with and without double quantization; drop --double-quant");
    if (backend != "cpu" || check) return badInput(kSub, "--format all runs on the CPU (core::sweepFormats); drop --backend/--check");
    std::vector<int> sizes;
    if (bsOpt->count() > 0) {
      BlockwiseSettings probe;
      probe.blocksize = blocksize;
      if (auto st = validateBlockwise(probe); !st) return badInput(kSub, st.error());
      sizes.push_back(blocksize);
    }
    std::string chosen;
    auto source = openInput(input, tensorName, chosen);
    if (!source) return badInput(kSub, source.error());
    return runSweep(*source, input, chosen, jsonPath, sizes, force);
  }
  if (!jsonPath.empty()) return badInput(kSub, "--json applies to --format all; other formats write summary.json into --out-dir");
  if (outDir.empty()) return badInput(kSub, "--out-dir is required (except with --format all)");
  BlockwiseSettings s;
  const FormatDesc* desc = findFormat(formatText);
  if (!desc) return badInput(kSub, "unknown --format '" + formatText + "' (" + formatNames(", ") + ", or all)");
  s.format = desc->format;
  const bool raw = desc->isRaw(), withBlocks = desc->hasRawBlocks();
  if (raw && bsOpt->count() > 0)
    return badInput(kSub, std::string(desc->name) + " uses blocks of " + std::to_string(desc->fixedBlocksize) +
                              " values, always; --blocksize does not apply");
  if (desc->fixedBlocksize && bsOpt->count() > 0 && blocksize != desc->fixedBlocksize)
    return badInput(kSub, std::string(desc->name) + " uses blocks of " + std::to_string(desc->fixedBlocksize) +
                              "; --blocksize " + std::to_string(blocksize) + " does not apply");
  s.blocksize = desc->blocksizeFor(blocksize);
  s.doubleQuant = doubleQuant;
  if (auto st = validateBlockwise(s); !st) return badInput(kSub, st.error());
  if (backend != "cpu" && backend != "gpu" && backend != "auto")
    return badInput(kSub, "unknown --backend '" + backend + "' (cpu, gpu, auto)");
  if (check && backend == "cpu") return badInput(kSub, "--check compares the GPU with the CPU; use --backend gpu or auto");

  // Output files, checked before anything is read or written.
  namespace fs = std::filesystem;
  const bool fourBit = desc->codeBits == 4;
  const bool asym = desc->zeroPoint;
  std::vector<std::string> names;
  if (raw) {
    names = {"blocks.bin", "dequant.npy", "summary.json"};
  } else {
    names = {"codes.npy"};
    if (fourBit) names.push_back("packed.npy");
    names.push_back("absmax.npy");
    if (asym) names.push_back("zero_point.npy");
    names.push_back("dequant.npy");
    if (doubleQuant) names.insert(names.end(), {"qabsmax.npy", "absmax2.npy", "absmax_dq.npy"});
    if (withBlocks) names.push_back("blocks.bin");
    names.push_back("summary.json");
  }
  std::error_code ec;
  if (fs::exists(outDir, ec) && !fs::is_directory(outDir, ec)) return badInput(kSub, outDir + " exists and is not a folder");
  auto pathOf = [&](const std::string& name) { return (fs::path(outDir) / name).string(); };
  for (const auto& name : names) {
    const std::string p = pathOf(name);
    if (samePath(input, p)) return badInput(kSub, p + " is the input; refusing to overwrite it");
    if (!force && fs::exists(p, ec)) return badInput(kSub, p + " exists (use --force to overwrite)");
  }

  std::string chosen;
  auto source = openInput(input, tensorName, chosen);
  if (!source) return badInput(kSub, source.error());
  const std::size_t n = source->count();
  const std::vector<std::size_t> shape = source->shape();
  // MX and NVFP4 make their blocks along the last axis; ggml's formats cut the flattened tensor.
  s.rowLength = shape.empty() ? n : shape.back();
  const std::string what = input + (chosen.empty() ? "" : " tensor '" + chosen + "'") + ": ";
  if (raw)
    if (auto st = validateBlockwiseShape(s, n); !st) return badInput(kSub, what + st.error());

  // The GPU: a headless context, or the CPU when auto cannot make one.
  std::unique_ptr<gpu::GpuSession> session;
  if (backend != "cpu") {
    gpu::SessionOptions so;
    so.shaderDir = shaderDir;
    so.debug = check;  // --check also turns GL errors into failures
    auto opened = gpu::GpuSession::openHeadless(so);
    if (!opened) {
      if (backend == "gpu" || check) return badInput(kSub, "no GPU context: " + opened.error());
      std::fprintf(stderr, "qviz %s: note: no GPU context (%s); using the CPU\n", kSub, opened.error().c_str());
      backend = "cpu";
    } else {
      session = std::move(*opened);
      if (auto st = session->context().supports(gpu::GpuPath::Compute); !st) {
        if (backend == "gpu" || check) return badInput(kSub, st.error());
        std::fprintf(stderr, "qviz %s: note: %s; using the CPU\n", kSub, st.error().c_str());
        session.reset();
        backend = "cpu";
      } else {
        backend = "gpu";
      }
    }
  }
  const std::string renderer = session ? session->context().caps().renderer : std::string();
  std::unique_ptr<gpu::BlockwiseQuantizerGpu> kernel;
  if (session) kernel = std::make_unique<gpu::BlockwiseQuantizerGpu>(session->env());

  // Streamed: the input is read, quantized, dequantized and written block range by block range
  // (kChunkValues values at a time), so neither the tensor nor its codes are ever whole in memory;
  // only the per-block constants are. Every block is quantized on its own, so the codes and
  // constants are those of the whole tensor. Double quantization needs every block's absmax first
  // (its offset is their mean): the CPU quantizes twice (codes and absmax, then the dequantized
  // values from the absmax of double quantization); the GPU, whose kernels double-quantize on the
  // device, takes such a tensor whole. Raw block formats are cut at block boundaries of their rows
  // (chunkEnd); NVFP4's tensor scale needs the tensor's max |x| first: one pass reads it.
  const bool gpuWhole = kernel && s.doubleQuant;
  const bool twoPass = s.doubleQuant && !gpuWhole;
  const std::size_t chunk = gpuWhole ? std::max<std::size_t>(n, 1) : kChunkValues;
  BlockwiseSettings sc = s;
  sc.doubleQuant = gpuWhole && s.doubleQuant;
  const std::size_t bs = std::size_t(s.blocksize), nb = blockCount(s, n);
  QuantizedTensor q;  // the per-block constants of the whole tensor
  q.format = s.format;
  q.blocksize = s.blocksize;
  q.doubleQuant = s.doubleQuant;
  q.n = n;
  if (!raw) q.absmax.assign(nb, 0.0f);
  if (asym) q.zeroPoint.assign(nb, 0.0f);
  const std::size_t headerBytes = withBlocks ? std::size_t(desc->raw.headerBytes) : 0;
  const std::size_t rawBlockValues = raw ? std::size_t(desc->raw.blockValues) : 0;

  // Every file to a temporary (in a folder built under a temporary name when it is new), renamed
  // only when all are complete: a failure leaves the previous outputs exactly as they were.
  auto folder = OutputFolder::prepare(outDir);
  if (!folder) return badInput(kSub, folder.error());
  OutputSet outputs;
  auto openNpyStream = [&](const std::string& name, DType dtype, const std::vector<std::size_t>& sh) -> Result<OutputFile*> {
    auto file = outputs.open(folder->stagingPath(name), folder->shownPath(name));
    if (!file) return file;
    auto header = npyHeader(dtype, sh);
    if (!header) return fail("cannot write " + folder->shownPath(name) + ": " + header.error());
    if (auto st = (*file)->write(header->data(), header->size()); !st) return fail(st.error());
    return file;
  };
  Result<OutputFile*> codesFile = nullptr, blocksFile = nullptr;
  if (!raw) {
    codesFile = openNpyStream("codes.npy", DType::U8, shape);
    if (!codesFile) return badInput(kSub, codesFile.error());
  }
  if (withBlocks) {
    blocksFile = outputs.open(folder->stagingPath("blocks.bin"), folder->shownPath("blocks.bin"));
    if (!blocksFile) return badInput(kSub, blocksFile.error());
  }
  Result<OutputFile*> packedFile = nullptr;
  if (fourBit) {
    packedFile = openNpyStream("packed.npy", DType::U8, {(n + 1) / 2});
    if (!packedFile) return badInput(kSub, packedFile.error());
  }
  auto dequantFile = openNpyStream("dequant.npy", DType::F32, shape);
  if (!dequantFile) return badInput(kSub, dequantFile.error());

  const std::size_t bufValues = std::min(chunk, n);
  std::vector<float> x(bufValues), deq(bufValues), cpuDeq(check ? bufValues : 0);
  QuantizedTensor part, cpuPart, cpuBlocks;
  Mismatches mismatches;
  // The digests the reference vectors' meta.json states (formats with ggml/MX/NVFP4 blocks only: a
  // scalar SHA-256 runs at about 150 MB/s here, a cost the other formats' summaries do not need):
  // the float32 input, blocks.bin, the dequantized float32.
  Sha256 inputHash, blocksHash, dequantHash;
  std::size_t blocksBytes = 0;
  bool blocksFromCpu = false;  // q8_0/q4_0 on a GPU that returns no ggml blocks
  double sumErr = 0.0, sumSig = 0.0, maxErr = 0.0, ms = 0.0;
  auto elapsed = [](std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  };
  // Quantizes values [i0, i0 + m) into `out`; messages name indices and blocks of the whole tensor.
  // Raw formats: `cs` cuts the chunk alone into the blocks the whole tensor has (chunkSettings).
  auto quantizeChunk = [&](std::size_t i0, std::size_t m, const BlockwiseSettings& cs, QuantizedTensor& out) -> Status {
    if (!kernel) {
      if (auto st = quantizeBlockwiseRange(x.data(), m, i0, sc, out); !st) return st;
      if (raw) out.rowLength = cs.rowLength;
      return {};
    }
    if (gpuWhole) {
      auto r = kernel->quantize(x.data(), m, sc);
      if (!r) return fail(r.error());
      out = std::move(*r);
      return {};
    }
    for (std::size_t i = 0; i < m; ++i)
      if (!std::isfinite(x[i]))
        return fail("value " + std::to_string(i0 + i) + " (flat index) is " + (std::isnan(x[i]) ? "NaN" : "Inf") +
                    "; only finite values can be quantized");
    auto r = kernel->quantize(x.data(), m, raw ? cs : sc);
    if (!r) {
      // A refused block (an fp16 scale that overflows) is named in the whole tensor, as the CPU names it.
      if (auto st = quantizeBlockwiseRange(x.data(), m, i0, sc, cpuPart); !st) return st;
      return fail(r.error());
    }
    out = std::move(*r);
    if (raw) {
      if (out.blocks.empty()) return fail(std::string("the GPU returned no blocks for ") + desc->name);
      out.rowLength = cs.rowLength;
    }
    return {};
  };
  // Dequantizes `p` (values [i0, i0 + m)), adds to the error sums in formatStats' order and writes.
  auto dequantChunk = [&](std::size_t i0, std::size_t m, const QuantizedTensor& p) -> Status {
    if (kernel) {
      const auto t0 = std::chrono::steady_clock::now();
      if (auto st = kernel->dequantize(p, deq.data()); !st) return st;
      ms += elapsed(t0);
    } else {
      dequantizeBlockwise(p, deq.data());
    }
    if (check) {
      dequantizeBlockwise(cpuPart, cpuDeq.data());
      mismatches.floats("dequant", cpuDeq.data(), m, deq.data(), m, i0);
    }
    if (withBlocks) dequantHash.update(deq.data(), m * sizeof(float));
    for (std::size_t i = 0; i < m; ++i) {
      const double e = double(deq[i]) - double(x[i]);
      sumErr += e * e;
      sumSig += double(x[i]) * double(x[i]);
      maxErr = std::max(maxErr, std::fabs(e));
    }
    return (*dequantFile)->write(deq.data(), m * sizeof(float));
  };

  if (raw && desc->raw.tensorScale) {
    // NVFP4: max |x| of the whole tensor (in core's std::max order) for the per-tensor scale.
    float amax = 0.0f;
    for (std::size_t i0 = 0; i0 < n; i0 += chunk) {
      const std::size_t m = std::min(chunk, n - i0);
      if (auto st = source->readFloats(i0, m, x.data()); !st) return badInput(kSub, st.error());
      for (std::size_t i = 0; i < m; ++i) amax = std::max(amax, std::fabs(x[i]));
    }
    sc.tensorAmax = amax;
  }
  for (std::size_t i0 = 0, next = 0; i0 < n; i0 = next) {
    next = chunkEnd(i0, n, chunk, s.rowLength, rawBlockValues);
    const std::size_t m = next - i0, b0 = i0 / bs;
    const BlockwiseSettings cs = chunkSettings(sc, *desc, i0, m);
    if (auto st = source->readFloats(i0, m, x.data()); !st) return badInput(kSub, st.error());
    if (withBlocks) inputHash.update(x.data(), m * sizeof(float));
    const auto t0 = std::chrono::steady_clock::now();
    if (auto st = quantizeChunk(i0, m, cs, part); !st) return badInput(kSub, what + st.error());
    ms += elapsed(t0);
    if (check) {
      if (gpuWhole) {
        auto cpu = quantizeBlockwise(x.data(), m, sc);
        if (!cpu) return badInput(kSub, what + cpu.error());
        cpuPart = std::move(*cpu);
      } else if (auto st = quantizeBlockwiseRange(x.data(), m, i0, sc, cpuPart); !st) {
        return badInput(kSub, what + st.error());
      }
      if (raw) cpuPart.rowLength = cs.rowLength;
      const std::size_t byte0 = i0 == 0 ? 0 : blocksBytes - headerBytes;  // this chunk's header repeats the first's
      if (raw) {
        mismatches.rawBlocks(cpuPart, part, byte0);
      } else {
        mismatches.quantized(cpuPart, part, i0, b0);
        if (withBlocks && !part.blocks.empty()) mismatches.rawBlocks(cpuPart, part, byte0);
      }
    }
    if (withBlocks) {
      const std::vector<std::uint8_t>* blocks = &part.blocks;
      if (blocks->empty()) {
        // A GPU that returns codes and scales but not the ggml blocks of q8_0/q4_0: blocks.bin from the CPU.
        if (auto st = quantizeBlockwiseRange(x.data(), m, i0, sc, cpuBlocks); !st) return badInput(kSub, what + st.error());
        blocks = &cpuBlocks.blocks;
        blocksFromCpu = true;
      }
      const std::size_t skip = i0 == 0 ? 0 : headerBytes;  // the header (nvfp4's tensor scale) once
      if (blocks->size() < skip) return badInput(kSub, what + "a chunk's blocks are shorter than their header");
      if (auto st = (*blocksFile)->write(blocks->data() + skip, blocks->size() - skip); !st) return badInput(kSub, st.error());
      blocksHash.update(blocks->data() + skip, blocks->size() - skip);
      blocksBytes += blocks->size() - skip;
    }
    if (!raw)
      if (auto st = (*codesFile)->write(part.codes.data(), part.codes.size()); !st) return badInput(kSub, st.error());
    if (fourBit)
      if (auto st = (*packedFile)->write(part.packed.data(), part.packed.size()); !st) return badInput(kSub, st.error());
    if (!raw) std::copy(part.absmax.begin(), part.absmax.end(), q.absmax.begin() + std::ptrdiff_t(b0));
    if (asym) std::copy(part.zeroPoint.begin(), part.zeroPoint.end(), q.zeroPoint.begin() + std::ptrdiff_t(b0));
    if (gpuWhole) {
      q.offset = part.offset;
      q.qabsmax = part.qabsmax;
      q.absmax2 = part.absmax2;
      q.absmaxDq = part.absmaxDq;
    }
    if (!twoPass)
      if (auto st = dequantChunk(i0, m, part); !st) return badInput(kSub, what + st.error());
  }
  if (withBlocks && n == 0) {
    // An empty tensor: no chunk ran, but blocks.bin still has its header (nvfp4: the tensor scale of 0).
    std::vector<std::uint8_t> empty;
    if (auto st = quantizeRawBlocks(nullptr, 0, sc, empty); !st) return badInput(kSub, what + st.error());
    if (auto st = (*blocksFile)->write(empty.data(), empty.size()); !st) return badInput(kSub, st.error());
    blocksHash.update(empty.data(), empty.size());
    blocksBytes = empty.size();
  }
  if (twoPass) {
    // (the CPU only) every absmax is known: double-quantize them, then dequantize with absmax_dq,
    // quantizing each block range again for its codes.
    const auto t0 = std::chrono::steady_clock::now();
    doubleQuantizeAbsmax(q);
    ms += elapsed(t0);
    for (std::size_t i0 = 0; i0 < n; i0 += chunk) {
      const std::size_t m = std::min(chunk, n - i0), b0 = i0 / bs;
      if (auto st = source->readFloats(i0, m, x.data()); !st) return badInput(kSub, st.error());
      if (auto st = quantizeBlockwiseRange(x.data(), m, i0, sc, part); !st) return badInput(kSub, what + st.error());
      part.doubleQuant = true;
      part.absmaxDq.assign(q.absmaxDq.begin() + std::ptrdiff_t(b0),
                           q.absmaxDq.begin() + std::ptrdiff_t(b0 + part.absmax.size()));
      if (auto st = dequantChunk(i0, m, part); !st) return badInput(kSub, what + st.error());
    }
  }
  FormatStats stats;
  stats.bitsPerParam = bitsPerParam(s, n);
  if (n) {
    stats.mse = sumErr / double(n);
    stats.rmse = std::sqrt(stats.mse);
    stats.maxAbsError = maxErr;
    stats.sqnrDb = sumErr == 0.0 ? std::numeric_limits<double>::infinity() : 10.0 * std::log10(sumSig / sumErr);
  }

  // The per-block constants, whole.
  auto put = [&](const std::string& name, const Tensor& t) -> Status {
    auto bytes = encodeNpy(t);
    if (!bytes) return fail("cannot write " + folder->shownPath(name) + ": " + bytes.error());
    return outputs.add(folder->stagingPath(name), bytes->data(), bytes->size(), folder->shownPath(name));
  };
  auto writeU8 = [&](const std::string& name, const std::vector<std::uint8_t>& v) {
    return put(name, tensorFromBytes({v.size()}, DType::U8, v.data(), v.size()));
  };
  auto writeF32 = [&](const std::string& name, const std::vector<float>& v) {
    return put(name, tensorFromFloats({v.size()}, v.data(), v.size()));
  };
  std::vector<Status> writes;
  if (!raw) writes.push_back(writeF32("absmax.npy", q.absmax));
  if (asym) writes.push_back(writeF32("zero_point.npy", q.zeroPoint));
  if (doubleQuant) {
    writes.push_back(writeU8("qabsmax.npy", q.qabsmax));
    writes.push_back(writeF32("absmax2.npy", q.absmax2));
    writes.push_back(writeF32("absmax_dq.npy", q.absmaxDq));
  }
  for (const auto& st : writes)
    if (!st) return badInput(kSub, st.error());

  Json j;
  j["format"] = tensorFormatName(s.format);
  j["blocksize"] = q.blocksize;
  j["double_quant"] = q.doubleQuant;
  j["n"] = n;
  j["shape"] = shape;
  j["bits_per_param"] = stats.bitsPerParam;
  j["offset"] = q.doubleQuant ? Json(double(q.offset)) : Json(nullptr);
  j["mse"] = stats.mse;
  j["rmse"] = stats.rmse;
  j["max_abs_error"] = stats.maxAbsError;
  j["sqnr_db"] = jsonNumber(stats.sqnrDb);  // null when the tensor is reproduced exactly
  j["backend"] = backend;
  j["renderer"] = renderer.empty() ? Json(nullptr) : Json(renderer);
  if (check) j["check_mismatches"] = mismatches.diffs;
  j["elapsed_ms"] = ms;
  j["input"] = input;
  j["tensor"] = chosen.empty() ? Json(nullptr) : Json(chosen);
  j["input_dtype"] = dtypeName(source->dtype());
  j["blocks"] = raw ? (blocksBytes - headerBytes) / std::size_t(desc->raw.blockBytes) : q.absmax.size();
  if (withBlocks) {
    // As the reference vectors' meta.json states them: bits_per_weight is the format's own figure
    // (block bytes over block values); bits_per_param above counts every stored bit of this tensor
    // (the header and MX row padding included).
    const RawCodec& r = desc->raw;
    j["block_size"] = r.blockValues;
    j["bytes_per_block"] = r.blockBytes;
    j["bits_per_weight"] = double(r.blockBytes) * 8.0 / double(r.blockValues);
    j["n_blocks"] = (blocksBytes - headerBytes) / std::size_t(r.blockBytes);
    j["header_bytes"] = r.headerBytes;
    j["blocks_size"] = blocksBytes;
    j["row_length"] = raw && r.rows != RowRule::Flat ? Json(s.rowLength) : Json(nullptr);
    if (r.tensorScale) {
      const float ts = r.tensorScale(sc.tensorAmax);  // what the header holds
      std::uint32_t bits = 0;
      std::memcpy(&bits, &ts, 4);
      j["per_tensor_scale"] = double(ts);
      j["per_tensor_scale_hex"] = hex32(bits);
    }
    j["blocks_from"] = blocksFromCpu ? "cpu" : backend;
  }
  if (withBlocks) {
    j["input_sha256"] = inputHash.hexDigest();  // of the float32 values quantized (little-endian)
    j["blocks_sha256"] = blocksHash.hexDigest();
    j["dequant_sha256"] = dequantHash.hexDigest();  // of dequant.npy's data (after its header)
  }
  j["files"] = names;
  if (auto st = outputs.add(folder->stagingPath("summary.json"), j.dump(2) + "\n", folder->shownPath("summary.json")); !st)
    return badInput(kSub, st.error());
  if (auto st = outputs.commit(); !st) return badInput(kSub, st.error());
  if (auto st = folder->commit(); !st) return badInput(kSub, st.error());
  if (check) {
    if (mismatches.diffs) {
      std::fprintf(stderr, "qviz %s: check failed: %zu mismatches between the GPU (%s) and the CPU; first: %s\n", kSub,
                   mismatches.diffs, renderer.c_str(), mismatches.first.c_str());
      return kExitCheckFailed;
    }
    std::fprintf(stderr, "qviz %s: check passed: %zu values, %s identical on the GPU (%s) and the CPU\n", kSub, n,
                 raw ? "blocks, codes and dequantized values" : withBlocks ? "codes, constants, blocks and dequantized values"
                                                                   : "codes, constants and dequantized values",
                 renderer.c_str());
  }
  return kExitOk;
}

}  // namespace qviz::cli
