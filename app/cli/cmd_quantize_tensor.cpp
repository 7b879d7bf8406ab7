// `qviz quantize-tensor`: quantize one tensor from a .npy or .safetensors file with a block-wise
// format and write codes, packed nibbles, per-block constants, the dequantized tensor and a JSON
// summary into a folder (atomically, never over existing files without --force, never the input).
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

#include "cli/cli.hpp"
#include "cli/cli11_util.hpp"
#include "gpu/session.hpp"
#include "gpu/tensor_kernels.hpp"
#include "quant/blockwise.hpp"
#include "tensor/npy.hpp"
#include "tensor/safetensors.hpp"
#include "util/fs.hpp"

namespace qviz::cli {
namespace {
using namespace qviz::core;
using Json = nlohmann::ordered_json;
constexpr const char* kSub = "quantize-tensor";

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Loads the input as float32; `what` describes it for messages and the summary.
Result<Tensor> loadInput(const std::string& path, const std::string& tensorName, std::string& chosenName) {
  if (endsWith(path, ".safetensors")) {
    auto index = listSafetensors(path);
    if (!index) return fail(index.error());
    chosenName = tensorName;
    if (chosenName.empty()) {
      if (index->tensors.size() != 1) {
        std::string names;
        for (std::size_t i = 0; i < index->tensors.size() && i < 8; ++i) names += (i ? ", " : "") + index->tensors[i].name;
        return fail(path + " holds " + std::to_string(index->tensors.size()) + " tensors; choose one with --tensor (" +
                    names + (index->tensors.size() > 8 ? ", ...)" : ")"));
      }
      chosenName = index->tensors.front().name;
    }
    return loadSafetensor(path, chosenName);
  }
  if (!tensorName.empty()) return fail("--tensor applies to .safetensors inputs only");
  return readNpy(path);
}

Json jsonNumber(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

// Differences between the CPU and GPU results: every code, packed byte, per-block constant (bit
// patterns) and dequantized value; `first` names the first.
std::size_t countMismatches(const QuantizedTensor& cpu, const std::vector<float>& cpuDeq, const QuantizedTensor& gpu,
                            const std::vector<float>& gpuDeq, std::string& first) {
  std::size_t diffs = 0;
  auto bytes = [&](const char* what, const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
    for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i)
      if (i >= a.size() || i >= b.size() || a[i] != b[i]) {
        if (diffs++ == 0)
          first = std::string(what) + "[" + std::to_string(i) + "]: cpu " + (i < a.size() ? std::to_string(a[i]) : "-") +
                  ", gpu " + (i < b.size() ? std::to_string(b[i]) : "-");
      }
  };
  auto floats = [&](const char* what, const std::vector<float>& a, const std::vector<float>& b) {
    for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i)
      if (i >= a.size() || i >= b.size() || std::memcmp(&a[i], &b[i], sizeof(float)) != 0) {
        if (diffs++ == 0) {
          char buf[160];
          std::snprintf(buf, sizeof buf, "%s[%zu]: cpu %.9g, gpu %.9g", what, i, i < a.size() ? double(a[i]) : 0.0,
                        i < b.size() ? double(b[i]) : 0.0);
          first = buf;
        }
      }
  };
  bytes("codes", cpu.codes, gpu.codes);
  bytes("packed", cpu.packed, gpu.packed);
  floats("absmax", cpu.absmax, gpu.absmax);
  floats("zero_point", cpu.zeroPoint, gpu.zeroPoint);
  bytes("qabsmax", cpu.qabsmax, gpu.qabsmax);
  floats("absmax2", cpu.absmax2, gpu.absmax2);
  floats("absmax_dq", cpu.absmaxDq, gpu.absmaxDq);
  floats("offset", {cpu.offset}, {gpu.offset});
  floats("dequant", cpuDeq, gpuDeq);
  return diffs;
}
}  // namespace

int runQuantizeTensor(int argc, char** argv) {
  CLI::App app{"Quantize a tensor block-wise and write codes, constants, the dequantized tensor and a summary",
               kSub};
  std::string input, tensorName, formatText, outDir, backend = "cpu";
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
  app.add_option("--format", formatText, formatNames(" | "))->required();
  auto* bsOpt = app.add_option("--blocksize", blocksize,
                               "values per block: a power of two " + std::to_string(kMinBlocksize) + ".." +
                                   std::to_string(kMaxBlocksize) + (fixedBlocks.empty() ? "" : " (" + fixedBlocks + ")"));
  app.add_flag("--double-quant", doubleQuant, dqFormats + ": quantize the absmax to 8 bits (blocks of 256)");
  app.add_option("--out-dir", outDir, "output folder (created)")->required();
  std::string shaderDir;
  bool check = false;
  app.add_option("--backend", backend, "cpu | gpu | auto (auto: the GPU when a GL context can be made)");
  app.add_option("--shader-dir", shaderDir, "load shaders from DIR (default: $QVIZ_SHADER_DIR or the source tree)");
  app.add_flag("--check", check, "also run the CPU and fail (exit 1) on any difference from the GPU");
  app.add_flag("--force", force, "overwrite existing output files");
  if (auto rc = parseArgs(app, argc, argv)) return *rc;

  BlockwiseSettings s;
  const FormatDesc* desc = findFormat(formatText);
  if (!desc) return badInput(kSub, "unknown --format '" + formatText + "' (" + formatNames(", ") + ")");
  s.format = desc->format;
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
  std::vector<std::string> names = {"codes.npy"};
  if (fourBit) names.push_back("packed.npy");
  names.push_back("absmax.npy");
  if (asym) names.push_back("zero_point.npy");
  names.push_back("dequant.npy");
  if (doubleQuant) names.insert(names.end(), {"qabsmax.npy", "absmax2.npy", "absmax_dq.npy"});
  names.push_back("summary.json");
  std::error_code ec;
  if (fs::exists(outDir, ec) && !fs::is_directory(outDir, ec)) return badInput(kSub, outDir + " exists and is not a folder");
  auto pathOf = [&](const std::string& name) { return (fs::path(outDir) / name).string(); };
  for (const auto& name : names) {
    const std::string p = pathOf(name);
    if (samePath(input, p)) return badInput(kSub, p + " is the input; refusing to overwrite it");
    if (!force && fs::exists(p, ec)) return badInput(kSub, p + " exists (use --force to overwrite)");
  }

  std::string chosen;
  auto tensor = loadInput(input, tensorName, chosen);
  if (!tensor) return badInput(kSub, tensor.error());
  const std::vector<float> x = toFloat32(*tensor);
  const std::size_t n = x.size();
  std::vector<std::uint8_t>().swap(tensor->bytes);  // only the float32 copy is used from here

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
  const std::string what = input + (chosen.empty() ? "" : " tensor '" + chosen + "'") + ": ";

  const auto t0 = std::chrono::steady_clock::now();
  QuantizedTensor q;
  // The CPU dequantizes block range by block range while writing dequant.npy (below), so the
  // dequantized tensor is never whole in memory; the GPU returns it whole.
  std::vector<float> deq(session ? n : 0);
  std::unique_ptr<gpu::BlockwiseQuantizerGpu> kernel;
  if (session) {
    kernel = std::make_unique<gpu::BlockwiseQuantizerGpu>(session->env());
    auto r = kernel->quantize(x.data(), n, s);
    if (!r) return badInput(kSub, what + r.error());
    q = std::move(*r);
    if (auto st = kernel->dequantize(q, deq.data()); !st) return badInput(kSub, what + st.error());
  } else {
    auto quantized = quantizeBlockwise(x.data(), n, s);
    if (!quantized) return badInput(kSub, what + quantized.error());
    q = std::move(*quantized);
  }
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::size_t mismatches = 0;
  std::string firstMismatch;
  if (check) {
    auto cpu = quantizeBlockwise(x.data(), n, s);
    if (!cpu) return badInput(kSub, what + cpu.error());
    std::vector<float> cpuDeq(n);
    dequantizeBlockwise(*cpu, cpuDeq.data());
    mismatches = countMismatches(*cpu, cpuDeq, q, deq, firstMismatch);
  }

  // Every file to a temporary (in a folder built under a temporary name when it is new), renamed
  // only when all are complete: a failure leaves the previous outputs exactly as they were.
  auto folder = OutputFolder::prepare(outDir);
  if (!folder) return badInput(kSub, folder.error());
  OutputSet outputs;
  auto put = [&](const std::string& name, const Tensor& t) -> Status {
    auto bytes = encodeNpy(t);
    if (!bytes) return fail("cannot write " + folder->shownPath(name) + ": " + bytes.error());
    return outputs.add(folder->stagingPath(name), bytes->data(), bytes->size(), folder->shownPath(name));
  };
  const auto& shape = tensor->shape;
  auto writeU8 = [&](const std::string& name, const std::vector<std::size_t>& sh, const std::vector<std::uint8_t>& v) {
    return put(name, tensorFromBytes(sh, DType::U8, v.data(), v.size()));
  };
  auto writeF32 = [&](const std::string& name, const std::vector<std::size_t>& sh, const std::vector<float>& v) {
    return put(name, tensorFromFloats(sh, v.data(), v.size()));
  };
  std::vector<Status> writes;
  writes.push_back(writeU8("codes.npy", shape, q.codes));
  if (fourBit) writes.push_back(writeU8("packed.npy", {q.packed.size()}, q.packed));
  writes.push_back(writeF32("absmax.npy", {q.absmax.size()}, q.absmax));
  if (asym) writes.push_back(writeF32("zero_point.npy", {q.zeroPoint.size()}, q.zeroPoint));
  FormatStats stats;
  if (session) {
    stats = formatStats(x.data(), deq.data(), n, s);
    writes.push_back(writeF32("dequant.npy", shape, deq));
  } else {
    // Streamed: the same sums in the same order as formatStats, so the figures are identical.
    auto file = outputs.open(folder->stagingPath("dequant.npy"), folder->shownPath("dequant.npy"));
    if (!file) return badInput(kSub, file.error());
    auto header = npyHeader(DType::F32, shape);
    if (!header) return badInput(kSub, header.error());
    if (auto st = (*file)->write(header->data(), header->size()); !st) return badInput(kSub, st.error());
    const std::size_t bs = std::size_t(q.blocksize), chunk = std::size_t(1) << 20;  // a multiple of every blocksize
    const std::vector<float>& scales = q.doubleQuant ? q.absmaxDq : q.absmax;
    QuantizedTensor part;
    part.format = q.format;
    part.blocksize = q.blocksize;
    std::vector<float> out;
    double sumErr = 0.0, sumSig = 0.0, maxErr = 0.0;
    for (std::size_t i0 = 0; i0 < n; i0 += chunk) {
      const std::size_t m = std::min(chunk, n - i0), b0 = i0 / bs, nb = (m + bs - 1) / bs;
      part.n = m;
      part.codes.assign(q.codes.begin() + std::ptrdiff_t(i0), q.codes.begin() + std::ptrdiff_t(i0 + m));
      part.absmax.assign(scales.begin() + std::ptrdiff_t(b0), scales.begin() + std::ptrdiff_t(b0 + nb));
      if (asym) part.zeroPoint.assign(q.zeroPoint.begin() + std::ptrdiff_t(b0), q.zeroPoint.begin() + std::ptrdiff_t(b0 + nb));
      out.resize(m);
      dequantizeBlockwise(part, out.data());
      for (std::size_t i = 0; i < m; ++i) {
        const double e = double(out[i]) - double(x[i0 + i]);
        sumErr += e * e;
        sumSig += double(x[i0 + i]) * double(x[i0 + i]);
        maxErr = std::max(maxErr, std::fabs(e));
      }
      if (auto st = (*file)->write(out.data(), m * sizeof(float)); !st) return badInput(kSub, st.error());
    }
    stats.bitsPerParam = bitsPerParam(s, n);
    if (n) {
      stats.mse = sumErr / double(n);
      stats.rmse = std::sqrt(stats.mse);
      stats.maxAbsError = maxErr;
      stats.sqnrDb = sumErr == 0.0 ? std::numeric_limits<double>::infinity() : 10.0 * std::log10(sumSig / sumErr);
    }
  }
  if (doubleQuant) {
    writes.push_back(writeU8("qabsmax.npy", {q.qabsmax.size()}, q.qabsmax));
    writes.push_back(writeF32("absmax2.npy", {q.absmax2.size()}, q.absmax2));
    writes.push_back(writeF32("absmax_dq.npy", {q.absmaxDq.size()}, q.absmaxDq));
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
  if (check) j["check_mismatches"] = mismatches;
  j["elapsed_ms"] = ms;
  j["input"] = input;
  j["tensor"] = chosen.empty() ? Json(nullptr) : Json(chosen);
  j["input_dtype"] = dtypeName(tensor->dtype);
  j["blocks"] = q.absmax.size();
  j["files"] = names;
  if (auto st = outputs.add(folder->stagingPath("summary.json"), j.dump(2) + "\n", folder->shownPath("summary.json")); !st)
    return badInput(kSub, st.error());
  if (auto st = outputs.commit(); !st) return badInput(kSub, st.error());
  if (auto st = folder->commit(); !st) return badInput(kSub, st.error());
  if (check) {
    if (mismatches) {
      std::fprintf(stderr, "qviz %s: check failed: %zu mismatches between the GPU (%s) and the CPU; first: %s\n", kSub,
                   mismatches, renderer.c_str(), firstMismatch.c_str());
      return kExitCheckFailed;
    }
    std::fprintf(stderr, "qviz %s: check passed: %zu values, codes and constants identical on the GPU (%s) and the CPU\n",
                 kSub, n, renderer.c_str());
  }
  return kExitOk;
}

}  // namespace qviz::cli
