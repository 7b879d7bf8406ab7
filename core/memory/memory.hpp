// Training-memory calculator for decoder-only (LLaMA-style) models: parameter counts by
// architecture, LoRA trainable counts exactly as PEFT prints them, and a per-component memory
// estimate for full fine-tuning, LoRA and QLoRA. Also the seed document's 7B table, as it states it.
// Units: bytes; the CLI prints GB = 1e9 bytes (the seed table's unit).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace qviz::core {

struct ModelArch {
  std::string name = "custom";
  std::uint64_t hidden = 0, intermediate = 0, layers = 0, vocab = 0, heads = 0;
  bool tiedEmbeddings = false;  // LLaMA: an untied lm_head
};
// "llama-7b" (4096/11008/32 layers/32000/32 heads), "llama-13b" (5120/13824/40/40),
// "llama-33b" (6656/17920/60/52), "llama-65b" (8192/22016/80/64).
Result<ModelArch> modelPreset(const std::string& name);
const std::vector<std::string>& modelPresetNames();
Status validateArch(const ModelArch& a);

struct ParamCounts {
  std::uint64_t embedding = 0;  // vocab x hidden
  std::uint64_t attention = 0;  // q, k, v, o: 4 hidden^2 per layer
  std::uint64_t mlp = 0;        // gate, up, down: 3 hidden x intermediate per layer
  std::uint64_t norms = 0;      // 2 RMSNorm weights per layer + the final one
  std::uint64_t head = 0;       // lm_head (0 when tied)
  std::uint64_t total = 0;
  std::uint64_t linear() const { return attention + mlp; }  // what QLoRA quantizes (not lm_head)
};
ParamCounts countParams(const ModelArch& a);

// LoRA target modules as a bit set.
enum LoraTarget : unsigned {
  kTargetQ = 1, kTargetK = 2, kTargetV = 4, kTargetO = 8, kTargetGate = 16, kTargetUp = 32, kTargetDown = 64,
  kTargetAllLinear = 127,
};
// "q,v", "q,k,v,o,gate,up,down", "all-linear" (PEFT's: every linear layer except lm_head).
// Also accepts the Hugging Face names q_proj, ..., down_proj.
Result<unsigned> parseLoraTargets(const std::string& s);
std::string loraTargetsName(unsigned targets);  // "q,v" or "all-linear"
// r x (in + out) per targeted matrix, summed over layers.
std::uint64_t loraParamCount(const ModelArch& a, std::uint64_t rank, unsigned targets);

enum class FinetuneMethod : unsigned char { Full, LoRA, QLoRA };
enum class Precision : unsigned char { FP32, FP16, BF16 };
enum class OptimizerKind : unsigned char { Adam, Adam8bit, SGD };
enum class ActivationModel : unsigned char {
  Seed,     // the seed document's assumption: activations take as much memory as the weights
  Formula,  // Korthikanti et al. 2022 (see estimateMemory)
};
const char* methodName(FinetuneMethod m);      // "full", "lora", "qlora"
const char* precisionName(Precision p);        // "fp32", "fp16", "bf16"
const char* optimizerName(OptimizerKind o);    // "adam", "adam8bit", "sgd"
const char* activationModelName(ActivationModel a);  // "seed", "formula"
bool parseMethod(const std::string& s, FinetuneMethod& out);
bool parsePrecision(const std::string& s, Precision& out);
bool parseOptimizer(const std::string& s, OptimizerKind& out);
bool parseActivationModel(const std::string& s, ActivationModel& out);
int precisionBytes(Precision p);

struct MemorySettings {
  FinetuneMethod method = FinetuneMethod::QLoRA;
  Precision weightPrecision = Precision::BF16;   // base weights (QLoRA: embeddings, norms, lm_head)
  Precision adapterPrecision = Precision::FP32;  // LoRA A and B (PEFT keeps adapters in fp32)
  std::optional<Precision> gradPrecision;        // default: the precision of the trained weights
  OptimizerKind optimizer = OptimizerKind::Adam;
  bool paged = false;  // optimizer states paged out to CPU memory (shown there)
  std::uint64_t rank = 8;
  double alpha = 8;    // scales the update; no effect on memory
  unsigned targets = kTargetQ | kTargetV;
  int nf4Blocksize = 64;
  bool doubleQuant = true;
  ActivationModel activations = ActivationModel::Formula;
  std::uint64_t batch = 1, seqLen = 512;
  bool checkpointing = false;
};

struct MemoryComponent {
  std::string key;    // "weights", "quant_constants", "adapters", "gradients", "optimizer_states", "activations"
  std::string label;  // for tables
  double gpuBytes = 0;
  double cpuBytes = 0;  // paged optimizer states
  std::string note;
};

struct MemoryReport {
  std::vector<MemoryComponent> components;
  double gpuBytes = 0, cpuBytes = 0;
  std::uint64_t baseParams = 0;       // the model without adapters
  std::uint64_t trainableParams = 0;
  std::uint64_t totalParams = 0;      // PEFT's "all params": base + adapters
  double trainablePercent = 0;
};

// Per component:
//   weights: full/LoRA all params x weight bytes; QLoRA linear params x 0.5 + the rest x weight bytes.
//   quant_constants (QLoRA, per linear tensor of m values, blocks = ceil(m / blocksize)): 4 bytes
//     per block; with double quantization 1 byte per block + 4 per 256 blocks + a 4-byte offset.
//   adapters (LoRA/QLoRA): trainable x adapter bytes. gradients: trainable x gradient bytes.
//   optimizer_states: Adam 2 x 4 bytes, 8-bit Adam 2 x (1 + 4/256) bytes (blockwise, 256 per
//     block), SGD none, per trainable parameter; paged: all of it in CPU memory.
//   activations, Seed: equal to the weights component. Formula (Korthikanti et al. 2022,
//     "Reducing Activation Recomputation in Large Transformer Models", 16-bit activations, no
//     tensor/sequence parallelism): per layer seq*batch*hidden*(34 + 5*heads*seq/hidden) bytes;
//     with gradient checkpointing only each layer's input (2*seq*batch*hidden bytes) is kept, plus
//     one layer's full activations while it is recomputed. Logits and the LoRA branches' own
//     activations are not counted; FlashAttention would remove the 5*heads*seq/hidden term.
//   Not modelled: fp32 master weights of mixed-precision full fine-tuning, CUDA context, fragmentation.
Result<MemoryReport> estimateMemory(const ModelArch& a, const MemorySettings& s);

// The seed document's 7B table exactly as it states it (7e9 parameters, GB = 1e9 bytes).
struct SeedTableRow {
  std::string component;
  double fp16Gb = 0;
  double fourBitGb = 0;
};
struct SeedTable {
  std::vector<SeedTableRow> rows;
  double fp16TotalGb = 0, fourBitTotalGb = 0;
  double reductionPercent = 0;  // 75
  std::vector<std::string> assumptions;
};
SeedTable seedTable();
// What QLoRA really does for the same model, as the comparison beside the seed table: llama-7b,
// NF4 blocksize 64 with double quantization, LoRA r = 64 on all linear layers, bf16 adapters
// and gradients (the QLoRA scripts' --bf16), paged 32-bit AdamW, batch 1, sequence 512,
// gradient checkpointing.
MemorySettings seedComparisonSettings();

}  // namespace qviz::core
