// `qviz memory`: training-memory estimate per component (weights, fp32 master copy, quantization
// constants, adapters, gradients, optimizer states, activations) for full fine-tuning, LoRA and
// QLoRA: the GPU peak with everything resident, the GPU minimum with paged states evicted, and
// PEFT's trainable-parameter line; `--seed-table` shows the seed's 7B table row by row with what
// is wrong; `--qlora-py` starts from qlora.py's settings.
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
  if (s.method == FinetuneMethod::Full) set["training"] = s.mixedPrecision ? "mixed" : "pure";
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
    set["upcast"] = upcastName(s.upcast);
  }
  set["activations"] = activationModelName(s.activations);
  if (s.activations != ActivationModel::Seed) {
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
    cj["bytes"] = c.bytes;
    cj["pageable_bytes"] = c.pageableBytes;
    cj["gb"] = c.bytes * 1e-9;
    cj["note"] = c.note;
    j["components"].push_back(cj);
  }
  j["gpu_peak_bytes"] = r.gpuPeakBytes;
  j["gpu_min_bytes"] = r.gpuMinBytes;
  j["pageable_bytes"] = r.pageableBytes;
  j["gpu_peak_gb"] = r.gpuPeakBytes * 1e-9;
  j["gpu_min_gb"] = r.gpuMinBytes * 1e-9;
  j["pageable_gb"] = r.pageableBytes * 1e-9;
  if (s.activations != ActivationModel::Seed)
    j["activation_detail"] = {{"per_layer_bytes", r.activation.perLayer},
                              {"checkpoint_bytes", r.activation.checkpoints},
                              {"logits_bytes", r.activation.logits},
                              {"formula", r.activation.formula}};
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
  std::printf("%-24s %10s %10s  %s\n", "component", "GB", "pageable", "note");
  for (const auto& c : r.components)
    std::printf("%-24s %10.3f %10.3f  %s\n", c.label.c_str(), c.bytes * 1e-9, c.pageableBytes * 1e-9, c.note.c_str());
  std::printf("%-24s %10.3f %10.3f\n", "GPU peak", r.gpuPeakBytes * 1e-9, r.pageableBytes * 1e-9);
  std::printf("GPU min (pageable states evicted to CPU RAM): %.3f GB\n", r.gpuMinBytes * 1e-9);
  if (s.activations != ActivationModel::Seed)
    std::printf("activations: %s; logits %.3f GB\n", r.activation.formula.c_str(), r.activation.logits * 1e-9);
  if (s.paged)
    std::printf("Paged states live in CUDA unified memory and stay on the GPU while it fits; paging lets a run survive\n"
                "memory spikes by evicting them to CPU RAM, it does not make the steady state smaller.\n");
  std::printf("(GB = 1e9 bytes)\n");
}

Json seedJson(const SeedTable& t) {
  Json st;
  st["rows"] = Json::array();
  for (const auto& row : t.rows)
    st["rows"].push_back({{"component", row.component},
                          {"seed_fp16_gb", row.fp16Gb ? Json(*row.fp16Gb) : Json(nullptr)},
                          {"seed_four_bit_gb", row.fourBitGb ? Json(*row.fourBitGb) : Json(nullptr)},
                          {"seed_fp16_quote", row.fp16Quote},
                          {"seed_four_bit_quote", row.fourBitQuote},
                          {"real_full_bytes", row.realFullBytes},
                          {"real_qlora_bytes", row.realQloraBytes},
                          {"verdict", row.verdict}});
  st["fp16_total_gb"] = t.fp16TotalGb;
  st["four_bit_total_gb"] = t.fourBitTotalGb;
  st["reduction_percent"] = t.reductionPercent;
  st["total_quotes"] = t.totalQuotes;
  st["real_full_bytes"] = t.realFullBytes;
  st["real_qlora_bytes"] = t.realQloraBytes;
  st["real_saving_percent"] = t.realSavingPercent;
  st["total_verdict"] = t.totalVerdict;
  st["paging_quote"] = t.pagingQuote;
  st["paging_verdict"] = t.pagingVerdict;
  st["assumptions"] = t.assumptions;
  return st;
}
}  // namespace

int runMemory(int argc, char** argv) {
  CLI::App app{"Estimate training memory per component", kSub};
  std::string preset = "llama-7b", methodText = "qlora", targetsText, weightPrec = "bf16", adapterPrec = "fp32",
              gradPrec, optimizerText = "adam", activationsText = "llama", trainingText = "mixed", upcastText = "none";
  std::uint64_t hidden = 0, intermediate = 0, layers = 0, vocab = 0, heads = 0;
  MemorySettings s;
  bool json = false, seed = false, qloraPy = false;
  int pagedFlag = 0, ckFlag = 0;
  std::uint64_t rank = 8, batch = 1, seq = 512;
  double alpha = 8;
  int blocksize = 64;
  int dqFlag = 0;
  app.add_option("--preset", preset, "llama-7b | llama-13b | llama-33b | llama-65b");
  app.add_option("--hidden", hidden, "custom hidden size (overrides the preset)");
  app.add_option("--intermediate", intermediate, "custom MLP size");
  app.add_option("--layers", layers, "custom number of layers");
  app.add_option("--vocab", vocab, "custom vocabulary size");
  app.add_option("--heads", heads, "custom number of attention heads");
  app.add_flag("--qlora-py", qloraPy,
               "start from qlora.py's settings (--bf16): r=64 alpha 16 all-linear, bf16 adapters, norms fp32, paged "
               "32-bit AdamW, checkpointing, batch 1 x 512; other options override");
  auto* oMethod = app.add_option("--method", methodText, "full | lora | qlora");
  auto* oRank = app.add_option("--rank", rank, "LoRA rank r");
  auto* oAlpha = app.add_option("--alpha", alpha, "LoRA alpha (scales the update; no effect on memory)");
  auto* oTargets = app.add_option("--targets", targetsText, "q,k,v,o,gate,up,down (comma-separated) or all-linear; default q,v");
  auto* oWeight = app.add_option("--weight-precision", weightPrec, "fp32 | fp16 | bf16: base weights (QLoRA: the unquantized parts)");
  auto* oAdapter = app.add_option("--adapter-precision", adapterPrec,
                                  "fp32 | fp16 | bf16: LoRA A and B (PEFT's default fp32; qlora.py --bf16 casts them to bf16)");
  app.add_option("--grad-precision", gradPrec, "fp32 | fp16 | bf16 (default: as the trained weights)");
  auto* oTraining = app.add_option("--training", trainingText,
                                   "full fine-tuning: mixed (16-bit weights and gradients + fp32 master copy, default) | "
                                   "pure (weights and gradients in --weight-precision, no master copy; Adam states stay fp32)");
  auto* oUpcast = app.add_option("--upcast", upcastText,
                                 "QLoRA, unquantized parts in fp32: none | norms (qlora.py) | all (embeddings, lm_head "
                                 "and norms: PEFT's prepare_model_for_kbit_training)");
  auto* oOpt = app.add_option("--optimizer", optimizerText, "adam | adam8bit | sgd");
  app.add_flag("--paged{1},--no-paged{-1}", pagedFlag, "bitsandbytes paged optimizer (states of tensors with 1e5+ values in unified memory)");
  auto* oBlock = app.add_option("--blocksize", blocksize, "QLoRA NF4 blocksize");
  app.add_flag("--double-quant{1},--no-double-quant{-1}", dqFlag, "QLoRA: double quantization of the absmax (default on)");
  auto* oAct = app.add_option("--activations", activationsText,
                              "seed (equal to the weights) | gpt (Korthikanti et al.'s GPT layer) | llama (LLaMA's layer, default)");
  auto* oBatch = app.add_option("--batch", batch, "batch size");
  auto* oSeq = app.add_option("--seq", seq, "sequence length");
  app.add_flag("--checkpointing{1},--no-checkpointing{-1}", ckFlag, "gradient checkpointing");
  app.add_flag("--json", json, "print JSON instead of a table");
  app.add_flag("--seed-table", seed, "the seed document's 7B table, row by row, next to the real figures (qlora.py settings)");
  if (auto rc = parseArgs(app, argc, argv)) return *rc;

  if (seed) {
    auto t = seedTable(qloraPySettings());
    if (!t) return badInput(kSub, t.error());
    const ModelArch a = modelPreset("llama-7b").value();
    MemorySettings fs = qloraPySettings();
    fs.method = FinetuneMethod::Full;
    auto full = estimateMemory(a, fs);
    auto ql = estimateMemory(a, qloraPySettings());
    if (!full || !ql) return badInput(kSub, "internal: the comparison settings were refused");
    if (json) {
      Json j;
      j["seed_table"] = seedJson(*t);
      j["full"] = reportJson(a, fs, *full);
      j["qlora"] = reportJson(a, qloraPySettings(), *ql);
      std::printf("%s\n", j.dump(2).c_str());
      return kExitOk;
    }
    std::printf("The seed document's table (7B parameters), as it states it, and the real figures for LLaMA-7B\n"
                "(full fine-tuning: mixed precision; QLoRA: qlora.py's settings; both batch 1 x 512, checkpointing):\n");
    std::printf("%-20s %9s %11s %12s %12s\n", "component", "seed fp16", "seed 4-bit", "real full", "real QLoRA");
    auto gbOrDash = [](const std::optional<double>& v) {
      char b[32];
      if (v) std::snprintf(b, sizeof b, "%.1f GB", *v);
      else std::snprintf(b, sizeof b, "-");
      return std::string(b);
    };
    for (const auto& row : t->rows)
      std::printf("%-20s %9s %11s %9.2f GB %9.2f GB\n", row.component.c_str(), gbOrDash(row.fp16Gb).c_str(),
                  gbOrDash(row.fourBitGb).c_str(), row.realFullBytes * 1e-9, row.realQloraBytes * 1e-9);
    std::printf("%-20s %6.1f GB %8.1f GB %9.2f GB %9.2f GB\n", "total", t->fp16TotalGb, t->fourBitTotalGb,
                t->realFullBytes * 1e-9, t->realQloraBytes * 1e-9);
    std::printf("%-20s %21s %25s\n", "saving", "-75% (every row / 4)", "");
    std::printf("real saving: %.1f%%\n\nRow by row (the seed's words, then what is wrong):\n", t->realSavingPercent);
    for (const auto& row : t->rows) {
      std::printf("- %s\n", row.component.c_str());
      if (!row.fp16Quote.empty()) std::printf("  fp16:   \"%s\"\n", row.fp16Quote.c_str());
      if (!row.fourBitQuote.empty()) std::printf("  4-bit:  \"%s\"\n", row.fourBitQuote.c_str());
      std::printf("  wrong:  %s\n", row.verdict.c_str());
    }
    std::printf("- total\n");
    for (const auto& q : t->totalQuotes) std::printf("  \"%s\"\n", q.c_str());
    std::printf("  wrong:  %s\n", t->totalVerdict.c_str());
    std::printf("- paged optimizers\n  \"%s\"\n  wrong:  %s\n", t->pagingQuote.c_str(), t->pagingVerdict.c_str());
    std::printf("Its assumptions:\n");
    for (const auto& line : t->assumptions) std::printf("  - %s\n", line.c_str());
    std::printf("\nQLoRA with qlora.py's settings, component by component:\n");
    printReport(a, qloraPySettings(), *ql);
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

  // Start from qlora.py's settings or the plain defaults; options given on the command line win.
  if (qloraPy) s = qloraPySettings();
  auto given = [](const CLI::Option* o) { return o->count() > 0; };
  if (!qloraPy || given(oMethod))
    if (!parseMethod(methodText, s.method)) return badInput(kSub, "unknown --method '" + methodText + "' (full, lora, qlora)");
  if (!qloraPy || given(oRank)) s.rank = rank;
  if (!qloraPy || given(oAlpha)) s.alpha = alpha;
  if (!targetsText.empty()) {
    auto t = parseLoraTargets(targetsText);
    if (!t) return badInput(kSub, t.error());
    s.targets = *t;
  } else if (given(oTargets)) {
    return badInput(kSub, "no LoRA targets given");
  }
  if (!qloraPy || given(oWeight))
    if (!parsePrecision(weightPrec, s.weightPrecision)) return badInput(kSub, "unknown --weight-precision '" + weightPrec + "' (fp32, fp16, bf16)");
  if (!qloraPy || given(oAdapter))
    if (!parsePrecision(adapterPrec, s.adapterPrecision)) return badInput(kSub, "unknown --adapter-precision '" + adapterPrec + "' (fp32, fp16, bf16)");
  if (!gradPrec.empty()) {
    Precision g{};
    if (!parsePrecision(gradPrec, g)) return badInput(kSub, "unknown --grad-precision '" + gradPrec + "' (fp32, fp16, bf16)");
    s.gradPrecision = g;
  }
  if (!qloraPy || given(oTraining)) {
    if (trainingText != "mixed" && trainingText != "pure") return badInput(kSub, "unknown --training '" + trainingText + "' (mixed, pure)");
    s.mixedPrecision = trainingText == "mixed";
  }
  if (!qloraPy || given(oUpcast))
    if (!parseUpcast(upcastText, s.upcast)) return badInput(kSub, "unknown --upcast '" + upcastText + "' (none, norms, all)");
  if (!qloraPy || given(oOpt))
    if (!parseOptimizer(optimizerText, s.optimizer)) return badInput(kSub, "unknown --optimizer '" + optimizerText + "' (adam, adam8bit, sgd)");
  if (pagedFlag) s.paged = pagedFlag > 0;
  if (!qloraPy || given(oBlock)) s.nf4Blocksize = blocksize;
  if (dqFlag) s.doubleQuant = dqFlag > 0;
  if (!qloraPy || given(oAct))
    if (!parseActivationModel(activationsText, s.activations))
      return badInput(kSub, "unknown --activations '" + activationsText + "' (seed, gpt, llama)");
  if (!qloraPy || given(oBatch)) s.batch = batch;
  if (!qloraPy || given(oSeq)) s.seqLen = seq;
  if (ckFlag) s.checkpointing = ckFlag > 0;

  auto r = estimateMemory(a, s);
  if (!r) return badInput(kSub, r.error());
  if (json) std::printf("%s\n", reportJson(a, s, *r).dump(2).c_str());
  else printReport(a, s, *r);
  return kExitOk;
}

}  // namespace qviz::cli
