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
  Seed,   // the seed document's assumption: activations take as much memory as the weights
  Gpt,    // Korthikanti et al. 2022 as published: a GPT layer (4h GeLU MLP, dropout, LayerNorm)
  Llama,  // the same accounting done for LLaMA's layer (RMSNorm, RoPE, SwiGLU, no dropout)
};
// Which unquantized parts of a QLoRA model sit in fp32 instead of --weight-precision.
enum class Upcast : unsigned char {
  None,   // everything not quantized stays in the weight precision
  Norms,  // RMSNorm weights in fp32 (qlora.py: prepare_model_for_kbit_training, then
          // embed_tokens and lm_head cast back to bf16 under --bf16)
  All,    // embeddings, lm_head and norms in fp32 (PEFT's prepare_model_for_kbit_training alone)
};
const char* methodName(FinetuneMethod m);      // "full", "lora", "qlora"
const char* precisionName(Precision p);        // "fp32", "fp16", "bf16"
const char* optimizerName(OptimizerKind o);    // "adam", "adam8bit", "sgd"
const char* activationModelName(ActivationModel a);  // "seed", "gpt", "llama"
const char* upcastName(Upcast u);              // "none", "norms", "all"
bool parseMethod(const std::string& s, FinetuneMethod& out);
bool parsePrecision(const std::string& s, Precision& out);
bool parseOptimizer(const std::string& s, OptimizerKind& out);
bool parseActivationModel(const std::string& s, ActivationModel& out);
bool parseUpcast(const std::string& s, Upcast& out);
int precisionBytes(Precision p);

// bitsandbytes (optim/optimizer.py, Optimizer8bit.get_state_buffer): a paged optimizer puts the
// state of a parameter tensor with at least this many values in CUDA unified memory
// (cudaMallocManaged); smaller tensors get ordinary GPU memory.
constexpr std::uint64_t kPageMinValues = 100000;
// bitsandbytes 8-bit optimizers keep 32-bit states for tensors under 4096 values (min_8bit_size)
// and one fp32 absmax per 2048 values of each 8-bit state (block_wise).
constexpr std::uint64_t kMin8bitValues = 4096, kOptim8bitBlock = 2048;

struct MemorySettings {
  FinetuneMethod method = FinetuneMethod::QLoRA;
  Precision weightPrecision = Precision::BF16;   // base weights (QLoRA: embeddings, norms, lm_head)
  Precision adapterPrecision = Precision::FP32;  // LoRA A and B: PEFT creates them in fp32; qlora.py --bf16 casts to bf16
  std::optional<Precision> gradPrecision;        // default: the precision of the trained weights
  bool mixedPrecision = true;  // full fine-tuning with 16-bit weights: an fp32 master copy (false: pure 16-bit)
  Upcast upcast = Upcast::None;  // QLoRA only
  OptimizerKind optimizer = OptimizerKind::Adam;
  bool paged = false;  // bitsandbytes paged optimizer (states in unified memory, see estimateMemory)
  std::uint64_t rank = 8;
  double alpha = 8;    // scales the update; no effect on memory
  unsigned targets = kTargetQ | kTargetV;
  int nf4Blocksize = 64;
  bool doubleQuant = true;
  ActivationModel activations = ActivationModel::Llama;
  std::uint64_t batch = 1, seqLen = 512;
  bool checkpointing = false;
};

struct MemoryComponent {
  std::string key;    // "weights", "master_weights", "quant_constants", "adapters", "gradients",
                      // "optimizer_states", "activations"
  std::string label;  // for tables
  double bytes = 0;          // resident on the GPU when everything fits
  double pageableBytes = 0;  // the part of `bytes` in unified memory that the driver may evict to CPU RAM
  std::string note;
};

// What the activations component is made of (bytes).
struct ActivationDetail {
  double perLayer = 0;     // one decoder layer's saved tensors (incl. the LoRA A outputs)
  double checkpoints = 0;  // with checkpointing: each layer's input, layers x 2 x s x b x h
  double logits = 0;       // b x s x vocab x (2 + 4): the 16-bit logits and their fp32 copy for the loss
  std::string formula;     // the per-layer formula in words
};

struct MemoryReport {
  std::vector<MemoryComponent> components;
  double gpuPeakBytes = 0;  // every component resident, paged states included
  double gpuMinBytes = 0;   // with every pageable state evicted to CPU RAM
  double pageableBytes = 0; // = gpuPeakBytes - gpuMinBytes: what can sit in CPU RAM under pressure
  ActivationDetail activation;
  std::uint64_t baseParams = 0;       // the model without adapters
  std::uint64_t trainableParams = 0;
  std::uint64_t totalParams = 0;      // PEFT's "all params": base + adapters
  double trainablePercent = 0;
  const MemoryComponent* find(const std::string& key) const;
  double bytesOf(const std::string& key) const;  // 0 when the component is absent
};

// Per component:
//   weights: full/LoRA all params x weight bytes; QLoRA linear params x 0.5, embeddings and
//     lm_head x (upcast All ? 4 : weight bytes), norms x (upcast != None ? 4 : weight bytes).
//   master_weights (full fine-tuning, mixed precision, 16-bit weights): all params x 4. Mixed
//     precision training (Micikevicius et al. 2018; ZeRO, Rajbhandari et al. 2020, counts
//     2 + 2 + 12 = 16 bytes per parameter with Adam) keeps an fp32 copy that the optimizer updates.
//   quant_constants (QLoRA, per linear tensor of m values, blocks = ceil(m / blocksize)): 4 bytes
//     per block; with double quantization 1 byte per block + 4 per 256 blocks + a 4-byte offset.
//   adapters (LoRA/QLoRA): trainable x adapter bytes. gradients: trainable x gradient bytes.
//   optimizer_states, per trainable tensor of n values: Adam two fp32 states (8n); 8-bit Adam
//     (bitsandbytes, block-wise) 2n + 2 x 4 x ceil(n / 2048), or 8n when n < 4096; SGD none.
//     Paged (bitsandbytes): the states (not the absmax) of tensors with n >= 1e5 are allocated in
//     CUDA unified memory and prefetched to the GPU before each optimizer step; they stay on the
//     GPU while it has room and move to CPU RAM only when the GPU runs short. So they count in
//     gpuPeakBytes, and gpuMinBytes is what remains with all of them evicted.
//   activations: see ActivationDetail and activationBytes in memory.cpp (the derivation).
//     With checkpointing the peak is the checkpoints plus the larger of one layer's recomputed
//     activations and the logits (the loss is back-propagated before the last layer is
//     recomputed); without, all layers plus the logits.
//   Not modelled: temporaries of the backward pass (activation gradients), the loss's own fp32
//   temporaries (up to 8 more bytes per logit in Hugging Face), PEFT's fp32 cast of each input of
//   an fp32 adapter, CUDA context, allocator fragmentation.
Result<MemoryReport> estimateMemory(const ModelArch& a, const MemorySettings& s);

// qlora.py's defaults (artidoro/qlora, with --bf16 as its scripts pass it): NF4 blocksize 64 with
// double quantization, LoRA r = 64 alpha 16 on all linear layers, adapters cast to bf16, norms in
// fp32 (embeddings and lm_head back in bf16), paged 32-bit AdamW, per-device batch 1, gradient
// checkpointing; sequence 512.
MemorySettings qloraPySettings();

// The seed document's 7B table exactly as it states it (7e9 parameters, GB = 1e9 bytes), row by
// row with its own sentences, the real figures computed for LLaMA-7B, and what is wrong.
struct SeedTableRow {
  std::string component;
  std::optional<double> fp16Gb, fourBitGb;  // absent: the seed has no such row
  std::string fp16Quote, fourBitQuote;      // the seed's sentences, verbatim (typos included)
  double realFullBytes = 0;   // full fine-tuning with the comparison settings (mixed precision)
  double realQloraBytes = 0;  // QLoRA with the comparison settings
  std::string verdict;        // what is wrong, with the real figures
};
struct SeedTable {
  std::vector<SeedTableRow> rows;  // parameters, fp32 master copy, gradients, optimizer states, activations
  double fp16TotalGb = 0, fourBitTotalGb = 0;
  double reductionPercent = 0;  // 75
  std::vector<std::string> totalQuotes;  // the seed's sentences on the totals and the 75%
  double realFullBytes = 0, realQloraBytes = 0, realSavingPercent = 0;
  std::string totalVerdict;
  std::string pagingQuote, pagingVerdict;  // what the seed says paged optimizers do
  std::vector<std::string> assumptions;
};
// The real columns use LLaMA-7B with `comparison` (method ignored): full fine-tuning and QLoRA.
Result<SeedTable> seedTable(const MemorySettings& comparison = qloraPySettings());

}  // namespace qviz::core
