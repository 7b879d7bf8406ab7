// `qviz memory`: training-memory estimate per component (weights, quantization constants,
// adapters, gradients, optimizer states, activations; GPU vs paged to CPU) for full fine-tuning,
// LoRA and QLoRA, with PEFT's trainable-parameter line; `--seed-table` shows the seed's 7B table.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/cli.hpp"
#include "cli/cli11_util.hpp"
#include "memory/memory.hpp"

namespace qviz::cli {
namespace {
using namespace qviz::core;
using Json = nlohmann::ordered_json;
constexpr const char* kSub = "memory";

std::string withCommas(std::uint64_t v) {
  std::string s = std::to_string(v);
  for (int i = int(s.size()) - 3; i > 0; i -= 3) s.insert(std::size_t(i), ",");
  return s;
}

Json archJson(const ModelArch& a) {
  Json j;
  j["name"] = a.name;
  j["hidden"] = a.hidden;
  j["intermediate"] = a.intermediate;
  j["layers"] = a.layers;
  j["vocab"] = a.vocab;
  j["heads"] = a.heads;
  return j;
}

Json reportJson(const ModelArch& a, const MemorySettings& s, const MemoryReport& r) {
  Json j;
  j["model"] = archJson(a);
  j["method"] = methodName(s.method);
  Json set;
  set["weight_precision"] = precisionName(s.weightPrecision);
  if (s.method != FinetuneMethod::Full) {
    set["adapter_precision"] = precisionName(s.adapterPrecision);
    set["rank"] = s.rank;
    set["alpha"] = s.alpha;
    set["targets"] = loraTargetsName(s.targets);
  }
  set["gradient_precision"] = s.gradPrecision ? Json(precisionName(*s.gradPrecision)) : Json("same as trained weights");
  set["optimizer"] = optimizerName(s.optimizer);
  set["paged"] = s.paged;
  if (s.method == FinetuneMethod::QLoRA) {
    set["nf4_blocksize"] = s.nf4Blocksize;
    set["double_quant"] = s.doubleQuant;
  }
  set["activations"] = activationModelName(s.activations);
  if (s.activations == ActivationModel::Formula) {
    set["batch"] = s.batch;
    set["seq_len"] = s.seqLen;
    set["checkpointing"] = s.checkpointing;
  }
  j["settings"] = set;
  j["components"] = Json::array();
  for (const auto& c : r.components) {
    Json cj;
    cj["name"] = c.key;
    cj["label"] = c.label;
    cj["gpu_bytes"] = c.gpuBytes;
    cj["cpu_bytes"] = c.cpuBytes;
    cj["gpu_gb"] = c.gpuBytes * 1e-9;
    cj["cpu_gb"] = c.cpuBytes * 1e-9;
    cj["note"] = c.note;
    j["components"].push_back(cj);
  }
  j["gpu_total_bytes"] = r.gpuBytes;
  j["cpu_total_bytes"] = r.cpuBytes;
  j["gpu_total_gb"] = r.gpuBytes * 1e-9;
  j["cpu_total_gb"] = r.cpuBytes * 1e-9;
  j["trainable_params"] = r.trainableParams;
  j["total_params"] = r.totalParams;
  j["base_params"] = r.baseParams;
  j["trainable_percent"] = r.trainablePercent;
  return j;
}

void printReport(const ModelArch& a, const MemorySettings& s, const MemoryReport& r) {
  std::printf("model %s: hidden %llu, intermediate %llu, %llu layers, vocab %llu, %llu heads\n", a.name.c_str(),
              (unsigned long long)a.hidden, (unsigned long long)a.intermediate, (unsigned long long)a.layers,
              (unsigned long long)a.vocab, (unsigned long long)a.heads);
  std::printf("method %s, optimizer %s%s\n", methodName(s.method), optimizerName(s.optimizer), s.paged ? " (paged)" : "");
  // PEFT's print_trainable_parameters line.
  std::printf("trainable params: %s || all params: %s || trainable%%: %.4f\n", withCommas(r.trainableParams).c_str(),
              withCommas(r.totalParams).c_str(), r.trainablePercent);
  std::printf("%-24s %10s %10s  %s\n", "component", "GPU GB", "CPU GB", "note");
  for (const auto& c : r.components)
    std::printf("%-24s %10.3f %10.3f  %s\n", c.label.c_str(), c.gpuBytes * 1e-9, c.cpuBytes * 1e-9, c.note.c_str());
  std::printf("%-24s %10.3f %10.3f\n", "total", r.gpuBytes * 1e-9, r.cpuBytes * 1e-9);
  std::printf("(GB = 1e9 bytes)\n");
}
}  // namespace

int runMemory(int argc, char** argv) {
  CLI::App app{"Estimate training memory per component", kSub};
  std::string preset = "llama-7b", methodText = "qlora", targetsText, weightPrec = "bf16", adapterPrec = "fp32",
              gradPrec, optimizerText = "adam", activationsText = "formula";
  std::uint64_t hidden = 0, intermediate = 0, layers = 0, vocab = 0, heads = 0;
  MemorySettings s;
  bool json = false, seed = false;
  int dqFlag = 0;
  app.add_option("--preset", preset, "llama-7b | llama-13b | llama-33b | llama-65b");
  app.add_option("--hidden", hidden, "custom hidden size (overrides the preset)");
  app.add_option("--intermediate", intermediate, "custom MLP size");
  app.add_option("--layers", layers, "custom number of layers");
  app.add_option("--vocab", vocab, "custom vocabulary size");
  app.add_option("--heads", heads, "custom number of attention heads");
  app.add_option("--method", methodText, "full | lora | qlora");
  app.add_option("--rank", s.rank, "LoRA rank r");
  app.add_option("--alpha", s.alpha, "LoRA alpha (scales the update; no effect on memory)");
  app.add_option("--targets", targetsText, "q,k,v,o,gate,up,down (comma-separated) or all-linear; default q,v");
  app.add_option("--weight-precision", weightPrec, "fp32 | fp16 | bf16: base weights (QLoRA: the unquantized parts)");
  app.add_option("--adapter-precision", adapterPrec, "fp32 | fp16 | bf16: LoRA A and B");
  app.add_option("--grad-precision", gradPrec, "fp32 | fp16 | bf16 (default: as the trained weights)");
  app.add_option("--optimizer", optimizerText, "adam | adam8bit | sgd");
  app.add_flag("--paged", s.paged, "paged optimizer states (shown in CPU memory)");
  app.add_option("--blocksize", s.nf4Blocksize, "QLoRA NF4 blocksize");
  app.add_flag("--double-quant{1},--no-double-quant{-1}", dqFlag, "QLoRA: double quantization of the absmax (default on)");
  app.add_option("--activations", activationsText, "seed (equal to the weights) | formula (batch, seq, hidden)");
  app.add_option("--batch", s.batch, "batch size (formula activations)");
  app.add_option("--seq", s.seqLen, "sequence length (formula activations)");
  app.add_flag("--checkpointing", s.checkpointing, "gradient checkpointing (formula activations)");
  app.add_flag("--json", json, "print JSON instead of a table");
  app.add_flag("--seed-table", seed, "the seed document's 7B table next to what QLoRA really needs");
  if (auto rc = parseArgs(app, argc, argv)) return *rc;

  if (seed) {
    const SeedTable t = seedTable();
    const ModelArch a = modelPreset("llama-7b").value();
    const MemorySettings qs = seedComparisonSettings();
    auto r = estimateMemory(a, qs);
    if (!r) return badInput(kSub, r.error());
    if (json) {
      Json j;
      Json st;
      st["rows"] = Json::array();
      for (const auto& row : t.rows) st["rows"].push_back({{"component", row.component}, {"fp16_gb", row.fp16Gb}, {"four_bit_gb", row.fourBitGb}});
      st["fp16_total_gb"] = t.fp16TotalGb;
      st["four_bit_total_gb"] = t.fourBitTotalGb;
      st["reduction_percent"] = t.reductionPercent;
      st["assumptions"] = t.assumptions;
      j["seed_table"] = st;
      j["qlora"] = reportJson(a, qs, *r);
      std::printf("%s\n", j.dump(2).c_str());
      return kExitOk;
    }
    std::printf("The seed document's table (7B parameters), as it states it:\n");
    std::printf("%-24s %10s %10s\n", "component", "fp16 GB", "\"4-bit\" GB");
    for (const auto& row : t.rows) std::printf("%-24s %10.1f %10.1f\n", row.component.c_str(), row.fp16Gb, row.fourBitGb);
    std::printf("%-24s %10.1f %10.1f   (-%.0f%%)\n", "total", t.fp16TotalGb, t.fourBitTotalGb, t.reductionPercent);
    std::printf("Its assumptions:\n");
    for (const auto& line : t.assumptions) std::printf("  - %s\n", line.c_str());
    std::printf("\nWhat QLoRA really needs (LLaMA-7B, NF4 bs64 + double quantization, LoRA r=64 alpha=16 on all linear\n"
                "layers, bf16 adapters and gradients, paged 32-bit AdamW, batch 1, sequence 512, gradient checkpointing):\n");
    printReport(a, qs, *r);
    return kExitOk;
  }

  auto arch = modelPreset(preset);
  if (!arch) return badInput(kSub, arch.error());
  ModelArch a = *arch;
  const bool custom = hidden || intermediate || layers || vocab || heads;
  if (hidden) a.hidden = hidden;
  if (intermediate) a.intermediate = intermediate;
  if (layers) a.layers = layers;
  if (vocab) a.vocab = vocab;
  if (heads) a.heads = heads;
  if (custom) a.name = "custom";
  if (auto st = validateArch(a); !st) return badInput(kSub, st.error());

  if (!parseMethod(methodText, s.method)) return badInput(kSub, "unknown --method '" + methodText + "' (full, lora, qlora)");
  if (!targetsText.empty()) {
    auto t = parseLoraTargets(targetsText);
    if (!t) return badInput(kSub, t.error());
    s.targets = *t;
  }
  if (!parsePrecision(weightPrec, s.weightPrecision)) return badInput(kSub, "unknown --weight-precision '" + weightPrec + "' (fp32, fp16, bf16)");
  if (!parsePrecision(adapterPrec, s.adapterPrecision)) return badInput(kSub, "unknown --adapter-precision '" + adapterPrec + "' (fp32, fp16, bf16)");
  if (!gradPrec.empty()) {
    Precision g{};
    if (!parsePrecision(gradPrec, g)) return badInput(kSub, "unknown --grad-precision '" + gradPrec + "' (fp32, fp16, bf16)");
    s.gradPrecision = g;
  }
  if (!parseOptimizer(optimizerText, s.optimizer)) return badInput(kSub, "unknown --optimizer '" + optimizerText + "' (adam, adam8bit, sgd)");
  if (!parseActivationModel(activationsText, s.activations)) return badInput(kSub, "unknown --activations '" + activationsText + "' (seed, formula)");
  if (dqFlag < 0) s.doubleQuant = false;

  auto r = estimateMemory(a, s);
  if (!r) return badInput(kSub, r.error());
  if (json) std::printf("%s\n", reportJson(a, s, *r).dump(2).c_str());
  else printReport(a, s, *r);
  return kExitOk;
}

}  // namespace qviz::cli
