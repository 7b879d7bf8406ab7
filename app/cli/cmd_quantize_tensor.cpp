// `qviz quantize-tensor`: quantize one tensor from a .npy or .safetensors file with a block-wise
// format and write codes, packed nibbles, per-block constants, the dequantized tensor and a JSON
// summary into a folder (atomically, never over existing files without --force, never the input).
#include <chrono>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/cli.hpp"
#include "cli/cli11_util.hpp"
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
}  // namespace

int runQuantizeTensor(int argc, char** argv) {
  CLI::App app{"Quantize a tensor block-wise and write codes, constants, the dequantized tensor and a summary",
               kSub};
  std::string input, tensorName, formatText, outDir, backend = "cpu";
  int blocksize = 64;
  bool doubleQuant = false, force = false;
  app.add_option("IN", input, ".npy (float32, float16, uint8, int8) or .safetensors (F32, F16, BF16)")->required();
  app.add_option("--tensor", tensorName, "tensor name inside a .safetensors file");
  app.add_option("--format", formatText,
                 "nf4 | fp4 | int8 | int4 | int2 | uint4 | uint8 | fp8-e4m3 | fp8-e5m2 | q8_0 | q4_0")
      ->required();
  auto* bsOpt = app.add_option("--blocksize", blocksize, "values per block: a power of two 32..4096 (q8_0/q4_0: 32)");
  app.add_flag("--double-quant", doubleQuant, "nf4/fp4: quantize the absmax to 8 bits (blocks of 256)");
  app.add_option("--out-dir", outDir, "output folder (created)")->required();
  app.add_option("--backend", backend, "cpu");
  app.add_flag("--force", force, "overwrite existing output files");
  if (auto rc = parseArgs(app, argc, argv)) return *rc;

  BlockwiseSettings s;
  if (!parseTensorFormat(formatText, s.format))
    return badInput(kSub, "unknown --format '" + formatText +
                              "' (nf4, fp4, int8, int4, int2, uint4, uint8, fp8-e4m3, fp8-e5m2, q8_0, q4_0)");
  const bool ggml = s.format == TensorFormat::Q8_0 || s.format == TensorFormat::Q4_0;
  if (ggml && bsOpt->count() > 0 && blocksize != 32)
    return badInput(kSub, std::string(tensorFormatName(s.format)) + " uses blocks of 32; --blocksize " +
                              std::to_string(blocksize) + " does not apply");
  s.blocksize = ggml ? 32 : blocksize;
  s.doubleQuant = doubleQuant;
  if (auto st = validateBlockwise(s); !st) return badInput(kSub, st.error());
  if (backend != "cpu") return badInput(kSub, "unknown --backend '" + backend + "' (cpu)");

  // Output files, checked before anything is read or written.
  namespace fs = std::filesystem;
  const bool fourBit = formatCodeBits(s.format) == 4;
  const bool asym = s.format == TensorFormat::UInt4 || s.format == TensorFormat::UInt8;
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

  const auto t0 = std::chrono::steady_clock::now();
  auto quantized = quantizeBlockwise(x.data(), n, s);
  if (!quantized) return badInput(kSub, input + (chosen.empty() ? "" : " tensor '" + chosen + "'") + ": " + quantized.error());
  const QuantizedTensor& q = *quantized;
  std::vector<float> deq(n);
  dequantizeBlockwise(q, deq.data());
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const FormatStats stats = formatStats(x.data(), deq.data(), n, s);

  if (!fs::is_directory(outDir, ec) && !fs::create_directories(outDir, ec) && !fs::is_directory(outDir, ec))
    return badInput(kSub, "cannot create " + outDir + ": " + ec.message());

  const auto& shape = tensor->shape;
  auto writeU8 = [&](const std::string& name, const std::vector<std::size_t>& sh, const std::vector<std::uint8_t>& v) {
    return writeNpy(pathOf(name), tensorFromBytes(sh, DType::U8, v.data(), v.size()));
  };
  auto writeF32 = [&](const std::string& name, const std::vector<std::size_t>& sh, const std::vector<float>& v) {
    return writeNpy(pathOf(name), tensorFromFloats(sh, v.data(), v.size()));
  };
  std::vector<Status> writes;
  writes.push_back(writeU8("codes.npy", shape, q.codes));
  if (fourBit) writes.push_back(writeU8("packed.npy", {q.packed.size()}, q.packed));
  writes.push_back(writeF32("absmax.npy", {q.absmax.size()}, q.absmax));
  if (asym) writes.push_back(writeF32("zero_point.npy", {q.zeroPoint.size()}, q.zeroPoint));
  writes.push_back(writeF32("dequant.npy", shape, deq));
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
  j["elapsed_ms"] = ms;
  j["input"] = input;
  j["tensor"] = chosen.empty() ? Json(nullptr) : Json(chosen);
  j["input_dtype"] = dtypeName(tensor->dtype);
  j["blocks"] = q.absmax.size();
  j["files"] = names;
  if (auto st = writeFileAtomic(pathOf("summary.json"), j.dump(2) + "\n"); !st) return badInput(kSub, st.error());
  return kExitOk;
}

}  // namespace qviz::cli
