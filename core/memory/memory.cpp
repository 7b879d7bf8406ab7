// Memory calculator (see memory.hpp for every formula and what is not modelled).
#include "memory/memory.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace qviz::core {

namespace {
struct Preset {
  const char* name;
  std::uint64_t hidden, intermediate, layers, heads;
};
constexpr Preset kPresets[] = {
    {"llama-7b", 4096, 11008, 32, 32},
    {"llama-13b", 5120, 13824, 40, 40},
    {"llama-33b", 6656, 17920, 60, 52},
    {"llama-65b", 8192, 22016, 80, 64},
};

struct TargetName {
  LoraTarget bit;
  const char* shortName;
  const char* hfName;
};
constexpr TargetName kTargets[] = {
    {kTargetQ, "q", "q_proj"},       {kTargetK, "k", "k_proj"},   {kTargetV, "v", "v_proj"},
    {kTargetO, "o", "o_proj"},       {kTargetGate, "gate", "gate_proj"}, {kTargetUp, "up", "up_proj"},
    {kTargetDown, "down", "down_proj"},
};

// (in, out) of each target matrix of one layer.
void targetShape(const ModelArch& a, LoraTarget t, std::uint64_t& in, std::uint64_t& out) {
  switch (t) {
    case kTargetGate:
    case kTargetUp: in = a.hidden, out = a.intermediate; return;
    case kTargetDown: in = a.intermediate, out = a.hidden; return;
    default: in = a.hidden, out = a.hidden; return;
  }
}

// Bytes of the NF4 constants of one tensor of m values.
double constantBytes(std::uint64_t m, int blocksize, bool doubleQuant) {
  const std::uint64_t blocks = (m + std::uint64_t(blocksize) - 1) / std::uint64_t(blocksize);
  if (!doubleQuant) return 4.0 * double(blocks);
  return double(blocks) + 4.0 * double((blocks + 255) / 256) + 4.0;
}
}  // namespace

Result<ModelArch> modelPreset(const std::string& name) {
  for (const Preset& p : kPresets)
    if (name == p.name) {
      ModelArch a;
      a.name = p.name;
      a.hidden = p.hidden;
      a.intermediate = p.intermediate;
      a.layers = p.layers;
      a.vocab = 32000;
      a.heads = p.heads;
      return a;
    }
  return fail("unknown model preset '" + name + "' (llama-7b, llama-13b, llama-33b, llama-65b)");
}

const std::vector<std::string>& modelPresetNames() {
  static const std::vector<std::string> names = {"llama-7b", "llama-13b", "llama-33b", "llama-65b"};
  return names;
}

Status validateArch(const ModelArch& a) {
  const std::uint64_t limit = 1ull << 20;
  if (a.hidden == 0 || a.intermediate == 0 || a.layers == 0 || a.vocab == 0 || a.heads == 0)
    return fail("hidden, intermediate, layers, vocab and heads must all be positive");
  if (a.hidden > limit || a.intermediate > limit || a.layers > 10000 || a.vocab > (1ull << 24) || a.heads > a.hidden)
    return fail("model sizes out of range (hidden and intermediate up to 2^20, layers up to 10000, vocab up to 2^24, "
                "heads up to hidden)");
  return {};
}

ParamCounts countParams(const ModelArch& a) {
  ParamCounts p;
  p.embedding = a.vocab * a.hidden;
  p.attention = a.layers * 4 * a.hidden * a.hidden;
  p.mlp = a.layers * 3 * a.hidden * a.intermediate;
  p.norms = (2 * a.layers + 1) * a.hidden;
  p.head = a.tiedEmbeddings ? 0 : a.vocab * a.hidden;
  p.total = p.embedding + p.attention + p.mlp + p.norms + p.head;
  return p;
}

Result<unsigned> parseLoraTargets(const std::string& s) {
  if (s == "all-linear" || s == "all") return unsigned(kTargetAllLinear);
  unsigned bits = 0;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    bool found = false;
    for (const TargetName& t : kTargets)
      if (item == t.shortName || item == t.hfName) {
        bits |= t.bit;
        found = true;
      }
    if (!found)
      return fail("unknown LoRA target '" + item + "' (q, k, v, o, gate, up, down, or all-linear)");
  }
  if (bits == 0) return fail("no LoRA targets given");
  return bits;
}

std::string loraTargetsName(unsigned targets) {
  if ((targets & kTargetAllLinear) == kTargetAllLinear) return "all-linear";
  std::string out;
  for (const TargetName& t : kTargets)
    if (targets & t.bit) out += (out.empty() ? "" : ",") + std::string(t.shortName);
  return out;
}

std::uint64_t loraParamCount(const ModelArch& a, std::uint64_t rank, unsigned targets) {
  std::uint64_t perLayer = 0;
  for (const TargetName& t : kTargets)
    if (targets & t.bit) {
      std::uint64_t in = 0, out = 0;
      targetShape(a, t.bit, in, out);
      perLayer += rank * (in + out);  // A: r x in, B: out x r
    }
  return perLayer * a.layers;
}

const char* methodName(FinetuneMethod m) {
  switch (m) {
    case FinetuneMethod::Full: return "full";
    case FinetuneMethod::LoRA: return "lora";
    case FinetuneMethod::QLoRA: return "qlora";
  }
  return "?";
}
const char* precisionName(Precision p) {
  switch (p) {
    case Precision::FP32: return "fp32";
    case Precision::FP16: return "fp16";
    case Precision::BF16: return "bf16";
  }
  return "?";
}
const char* optimizerName(OptimizerKind o) {
  switch (o) {
    case OptimizerKind::Adam: return "adam";
    case OptimizerKind::Adam8bit: return "adam8bit";
    case OptimizerKind::SGD: return "sgd";
  }
  return "?";
}
const char* activationModelName(ActivationModel a) {
  switch (a) {
    case ActivationModel::Seed: return "seed";
    case ActivationModel::Gpt: return "gpt";
    case ActivationModel::Llama: return "llama";
  }
  return "?";
}
const char* upcastName(Upcast u) {
  switch (u) {
    case Upcast::None: return "none";
    case Upcast::Norms: return "norms";
    case Upcast::All: return "all";
  }
  return "?";
}

bool parseMethod(const std::string& s, FinetuneMethod& out) {
  for (FinetuneMethod m : {FinetuneMethod::Full, FinetuneMethod::LoRA, FinetuneMethod::QLoRA})
    if (s == methodName(m)) return out = m, true;
  return false;
}
bool parsePrecision(const std::string& s, Precision& out) {
  for (Precision p : {Precision::FP32, Precision::FP16, Precision::BF16})
    if (s == precisionName(p)) return out = p, true;
  return false;
}
bool parseOptimizer(const std::string& s, OptimizerKind& out) {
  for (OptimizerKind o : {OptimizerKind::Adam, OptimizerKind::Adam8bit, OptimizerKind::SGD})
    if (s == optimizerName(o) || (o == OptimizerKind::Adam && s == "adamw") ||
        (o == OptimizerKind::Adam8bit && s == "adamw8bit"))
      return out = o, true;
  return false;
}
bool parseActivationModel(const std::string& s, ActivationModel& out) {
  for (ActivationModel a : {ActivationModel::Seed, ActivationModel::Gpt, ActivationModel::Llama})
    if (s == activationModelName(a)) return out = a, true;
  return false;
}
bool parseUpcast(const std::string& s, Upcast& out) {
  for (Upcast u : {Upcast::None, Upcast::Norms, Upcast::All})
    if (s == upcastName(u)) return out = u, true;
  return false;
}
int precisionBytes(Precision p) { return p == Precision::FP32 ? 4 : 2; }

const MemoryComponent* MemoryReport::find(const std::string& key) const {
  for (const auto& c : components)
    if (c.key == key) return &c;
  return nullptr;
}
double MemoryReport::bytesOf(const std::string& key) const {
  const MemoryComponent* c = find(key);
  return c ? c->bytes : 0.0;
}

namespace {
// The trainable tensors as (values per tensor, how many such tensors).
struct TensorGroup {
  std::uint64_t values, count;
};
std::vector<TensorGroup> trainableTensors(const ModelArch& a, const MemorySettings& s) {
  std::vector<TensorGroup> g;
  if (s.method == FinetuneMethod::Full) {
    g.push_back({a.vocab * a.hidden, a.tiedEmbeddings ? 1u : 2u});  // embed_tokens, lm_head
    g.push_back({a.hidden * a.hidden, 4 * a.layers});
    g.push_back({a.hidden * a.intermediate, 3 * a.layers});
    g.push_back({a.hidden, 2 * a.layers + 1});  // RMSNorm weights
    return g;
  }
  for (const TargetName& t : kTargets)
    if (s.targets & t.bit) {
      std::uint64_t in = 0, out = 0;
      targetShape(a, t.bit, in, out);
      g.push_back({s.rank * in, a.layers});   // lora_A: r x in
      g.push_back({out * s.rank, a.layers});  // lora_B: out x r
    }
  return g;
}

unsigned targetCount(unsigned targets) {
  unsigned n = 0;
  for (const TargetName& t : kTargets)
    if (targets & t.bit) ++n;
  return n;
}

// Activation memory of training, in bytes (16-bit activations; b = batch, s = sequence,
// h = hidden, i = intermediate, a = heads, L = layers, v = vocab).
//
// Korthikanti et al. 2022 ("Reducing Activation Recomputation in Large Transformer Models",
// eq. 1, no tensor or sequence parallelism) count, per GPT layer, every tensor the backward pass
// needs: attention 11sbh + 5as^2b (QKV input 2sbh, Q and K 4sbh, softmax output 2as^2b, its
// dropout mask as^2b and output 2as^2b, V 2sbh, output-projection input 2sbh, dropout mask sbh),
// a 4h GeLU MLP 19sbh (2sbh + 8sbh + 8sbh + mask sbh) and two LayerNorm inputs 4sbh:
// sbh(34 + 5as/h).
//
// The same accounting for a LLaMA layer (pre-RMSNorm, rotary embeddings, SwiGLU MLP of width i,
// no dropout anywhere):
//   attention: RMSNorm input 2sbh, q/k/v input (the norm's output) 2sbh, Q and K after the
//     rotation 4sbh (the rotation's backward needs only cos and sin), V 2sbh, softmax output
//     2as^2b (used by both the softmax and the attention-times-V backward: no dropout copy),
//     o_proj input 2sbh                                                        = 12sbh + 2as^2b
//   MLP down(silu(gate(x)) * up(x)): RMSNorm input 2sbh, gate/up input 2sbh, gate output G
//     (SiLU backward) 2sbi, up output U and silu(G) (the product's backward) 4sbi, down_proj
//     input 2sbi                                                                = 4sbh + 8sbi
//   per layer: 16sbh + 8sbi + 2as^2b; LLaMA-7B (i = 2.6875h): sbh(37.5 + 2as/h), against
//   GPT's sbh(34 + 5as/h).
// LoRA adds, per adapted matrix, lora_A's output (the input of lora_B, s x b x r in the adapter
// precision); its input is the base layer's input, already counted (qlora.py: lora_dropout 0,
// so PEFT uses no dropout copy).
// Logits: b x s x v in 16 bits, plus the fp32 copy the model makes for the loss: 6 bytes each.
// Gradient checkpointing (per decoder layer, as Hugging Face does it) keeps each layer's input,
// 2sbh x L, and recomputes one layer at a time in the backward pass.
void activationBytes(const ModelArch& a, const MemorySettings& s, bool lora, MemoryComponent& c, ActivationDetail& d) {
  const double sb = double(s.seqLen) * double(s.batch);
  const double sbh = sb * double(a.hidden), sbi = sb * double(a.intermediate);
  const double attn = double(a.heads) * double(s.seqLen) * double(s.seqLen) * double(s.batch);  // a s^2 b
  const double loraOut = lora ? double(targetCount(s.targets)) * sb * double(s.rank) * precisionBytes(s.adapterPrecision) : 0.0;
  if (s.activations == ActivationModel::Gpt) {
    d.perLayer = sbh * 34.0 + 5.0 * attn + loraOut;
    d.formula = "GPT layer (Korthikanti et al. 2022): sbh(34 + 5as/h) per layer";
  } else {
    d.perLayer = 16.0 * sbh + 8.0 * sbi + 2.0 * attn + loraOut;
    d.formula = "LLaMA layer (derived): 16sbh + 8sbi + 2as^2b per layer";
  }
  if (lora) d.formula += " + LoRA A outputs";
  d.logits = sb * double(a.vocab) * 6.0;
  const double layers = double(a.layers);
  if (s.checkpointing) {
    d.checkpoints = layers * 2.0 * sbh;
    c.bytes = d.checkpoints + std::max(d.perLayer, d.logits);
  } else {
    d.checkpoints = 0;
    c.bytes = layers * d.perLayer + d.logits;
  }
  c.note = "batch " + std::to_string(s.batch) + " x seq " + std::to_string(s.seqLen) + ", " +
           (s.activations == ActivationModel::Gpt ? "GPT layer formula" : "LLaMA layer") + ", logits counted" +
           (s.checkpointing ? ", gradient checkpointing" : ", no checkpointing");
}
}  // namespace

Result<MemoryReport> estimateMemory(const ModelArch& a, const MemorySettings& s) {
  if (auto st = validateArch(a); !st) return fail(st.error());
  const bool lora = s.method != FinetuneMethod::Full;
  if (lora && (s.rank == 0 || s.rank > a.hidden)) return fail("LoRA rank must be 1.." + std::to_string(a.hidden));
  if (lora && s.targets == 0) return fail("no LoRA targets given");
  if (s.method == FinetuneMethod::QLoRA &&
      (s.nf4Blocksize < 32 || s.nf4Blocksize > 4096 || (s.nf4Blocksize & (s.nf4Blocksize - 1)) != 0))
    return fail("NF4 blocksize must be a power of two from 32 to 4096");
  if (s.activations != ActivationModel::Seed && (s.batch == 0 || s.seqLen == 0 || s.batch > 65536 || s.seqLen > (1u << 22)))
    return fail("batch must be 1..65536 and sequence length 1..4194304");

  const ParamCounts p = countParams(a);
  MemoryReport r;
  r.baseParams = p.total;
  const std::uint64_t adapters = lora ? loraParamCount(a, s.rank, s.targets) : 0;
  r.trainableParams = lora ? adapters : p.total;
  r.totalParams = p.total + adapters;
  r.trainablePercent = 100.0 * double(r.trainableParams) / double(r.totalParams);

  const double wb = precisionBytes(s.weightPrecision);
  const bool master = s.method == FinetuneMethod::Full && s.mixedPrecision && s.weightPrecision != Precision::FP32;
  const Precision trainedPrecision = lora ? s.adapterPrecision : s.weightPrecision;
  const Precision gradPrecision = s.gradPrecision.value_or(trainedPrecision);
  const double trainable = double(r.trainableParams);

  MemoryComponent weights{"weights", "weights", 0, 0, ""};
  if (s.method == FinetuneMethod::QLoRA) {
    const double embB = s.upcast == Upcast::All ? 4.0 : wb, normB = s.upcast != Upcast::None ? 4.0 : wb;
    weights.bytes = double(p.linear()) * 0.5 + double(p.embedding + p.head) * embB + double(p.norms) * normB;
    weights.note = "linear layers in NF4 (4 bits); embeddings and lm_head " +
                   std::string(s.upcast == Upcast::All ? "fp32" : precisionName(s.weightPrecision)) + ", norms " +
                   (s.upcast != Upcast::None ? "fp32" : precisionName(s.weightPrecision));
  } else {
    weights.bytes = double(p.total) * wb;
    weights.note = std::string(precisionName(s.weightPrecision)) + (lora ? ", frozen" : ", trained");
  }
  r.components.push_back(weights);
  if (master)
    r.components.push_back({"master_weights", "fp32 master weights", double(p.total) * 4.0, 0,
                            "mixed precision: the optimizer updates an fp32 copy"});

  if (s.method == FinetuneMethod::QLoRA) {
    MemoryComponent c{"quant_constants", "quantization constants", 0, 0, ""};
    const std::uint64_t hh = a.hidden * a.hidden, hi = a.hidden * a.intermediate;
    const double perLayer = 4 * constantBytes(hh, s.nf4Blocksize, s.doubleQuant) +
                            3 * constantBytes(hi, s.nf4Blocksize, s.doubleQuant);
    c.bytes = perLayer * double(a.layers);
    c.note = "blocksize " + std::to_string(s.nf4Blocksize) +
             (s.doubleQuant ? ", double-quantized absmax (8-bit + fp32 per 256 blocks)" : ", fp32 absmax per block");
    r.components.push_back(c);
  }
  if (lora)
    r.components.push_back({"adapters", "LoRA adapters", trainable * precisionBytes(s.adapterPrecision), 0,
                            "r=" + std::to_string(s.rank) + " on " + loraTargetsName(s.targets) + ", " +
                                precisionName(s.adapterPrecision)});
  r.components.push_back({"gradients", "gradients", trainable * precisionBytes(gradPrecision), 0,
                          std::string(precisionName(gradPrecision)) + ", trainable parameters only"});
  {
    MemoryComponent c{"optimizer_states", "optimizer states", 0, 0, ""};
    for (const TensorGroup& t : trainableTensors(a, s)) {
      const double n = double(t.values), count = double(t.count);
      double states = 0, extra = 0;  // states: pageable buffers; extra: absmax (never paged)
      switch (s.optimizer) {
        case OptimizerKind::Adam: states = 8.0 * n; break;
        case OptimizerKind::Adam8bit:
          if (t.values < kMin8bitValues) states = 8.0 * n;
          else states = 2.0 * n, extra = 2.0 * 4.0 * double((t.values + kOptim8bitBlock - 1) / kOptim8bitBlock);
          break;
        case OptimizerKind::SGD: break;
      }
      c.bytes += count * (states + extra);
      if (s.paged && t.values >= kPageMinValues) c.pageableBytes += count * states;
    }
    switch (s.optimizer) {
      case OptimizerKind::Adam: c.note = "Adam: 2 fp32 states"; break;
      case OptimizerKind::Adam8bit: c.note = "8-bit Adam: 2 block-wise 8-bit states"; break;
      case OptimizerKind::SGD: c.note = "SGD: no state"; break;
    }
    if (s.paged)
      c.note += c.pageableBytes > 0 ? (c.pageableBytes < c.bytes ? ", paged (tensors of 1e5+ values)" : ", paged")
                                    : ", paged optimizer but every tensor under 1e5 values: nothing paged";
    r.components.push_back(c);
  }
  {
    MemoryComponent c{"activations", "activations", 0, 0, ""};
    if (s.activations == ActivationModel::Seed) {
      c.bytes = weights.bytes;
      c.note = "seed assumption: equal to the weights";
      r.activation.formula = "equal to the weights (the seed's assumption)";
    } else {
      activationBytes(a, s, lora, c, r.activation);
    }
    r.components.push_back(c);
  }
  for (const auto& c : r.components) {
    r.gpuPeakBytes += c.bytes;
    r.pageableBytes += c.pageableBytes;
  }
  r.gpuMinBytes = r.gpuPeakBytes - r.pageableBytes;
  return r;
}

MemorySettings qloraPySettings() {
  MemorySettings s;
  s.method = FinetuneMethod::QLoRA;
  s.weightPrecision = Precision::BF16;
  s.adapterPrecision = Precision::BF16;
  s.upcast = Upcast::Norms;
  s.optimizer = OptimizerKind::Adam;
  s.paged = true;
  s.rank = 64;
  s.alpha = 16;
  s.targets = kTargetAllLinear;
  s.nf4Blocksize = 64;
  s.doubleQuant = true;
  s.activations = ActivationModel::Llama;
  s.batch = 1;
  s.seqLen = 512;
  s.checkpointing = true;
  return s;
}

namespace {
std::string fmt(const char* f, double a, double b = 0, double c = 0, double d = 0, double e = 0) {
  char buf[512];
  std::snprintf(buf, sizeof buf, f, a, b, c, d, e);
  return buf;
}
}  // namespace

Result<SeedTable> seedTable(const MemorySettings& comparison) {
  auto arch = modelPreset("llama-7b");
  if (!arch) return fail(arch.error());
  MemorySettings fs = comparison, qs = comparison;
  fs.method = FinetuneMethod::Full;
  fs.mixedPrecision = true;
  qs.method = FinetuneMethod::QLoRA;
  auto full = estimateMemory(*arch, fs);
  if (!full) return fail(full.error());
  auto ql = estimateMemory(*arch, qs);
  if (!ql) return fail(ql.error());
  const double G = 1e9, params = 7e9;
  const MemoryReport& F = *full;
  const MemoryReport& Q = *ql;
  SeedTable t;
  const double qParams = Q.bytesOf("weights") + Q.bytesOf("quant_constants") + Q.bytesOf("adapters");
  t.rows.push_back(
      {"parameters", params * 2 / G, params * 0.5 / G,
       "Therefore, the total memory footprint for 7 billion parameters is 7 billion multiplied by two bytes, which equals 14 gigabytes.",
       "The total memory footprint for the 7 billion parameters is 7 billion multiplied 0.5 bytes, equals 3.5 gigabytes.",
       F.bytesOf("weights"), qParams, ""});
  t.rows.back().verdict = fmt("fp16: right for 7e9 parameters (LLaMA-7B has 6.74e9: %.2f GB). \"4-bit\": only the linear "
                              "layers are NF4; embeddings, lm_head and norms are not quantized, and QLoRA adds the NF4 "
                              "constants and the LoRA adapters: %.2f GB in all, of which %.2f GB the adapters.",
                              F.bytesOf("weights") / G, qParams / G, Q.bytesOf("adapters") / G);
  t.rows.push_back({"fp32 master weights", std::nullopt, std::nullopt, "", "", F.bytesOf("master_weights"), 0,
                    fmt("Missing from the fp16 column: mixed-precision training keeps an fp32 copy of every weight for "
                        "the optimizer to update (%.2f GB for LLaMA-7B; 28 GB for 7e9). QLoRA has none: the base is "
                        "frozen.",
                        F.bytesOf("master_weights") / G)});
  t.rows.push_back(
      {"gradients", params * 2 / G, params * 0.5 / G,
       "The total memory footprint for 7 billion gradients is 7 billion multiplied by two bytes, which equals 14 gigabytes.",
       "The 4-bit quantized gradients use four bits to represent each gradient, which leads to the total memory footprint "
       "for the 7 billion gradients, being 7 billion multiplied 0.5 bytes, which equals 3.5 gigabytes.",
       F.bytesOf("gradients"), Q.bytesOf("gradients"),
       fmt("fp16: right (16-bit gradients of every weight, %.2f GB for LLaMA-7B). \"4-bit\": there are no 4-bit "
           "gradients: the 4-bit base is frozen and only the adapters have gradients, in their own precision: %.2f GB.",
           F.bytesOf("gradients") / G, Q.bytesOf("gradients") / G)});
  t.rows.push_back(
      {"optimizer states", params * 8 / G, params * 2 / G,
       "There are two states which leads to a total memory footprint of two times 7 billion multiplied by four bytes, "
       "which equals 56 gigabytes.",
       "In this case, the total memory footprint for two states is two times 7 billion multiplied by one byte, which "
       "equals 14 gigabytes.",
       F.bytesOf("optimizer_states"), Q.bytesOf("optimizer_states"),
       fmt("fp16: right (two fp32 Adam states per weight, %.2f GB for LLaMA-7B). \"4-bit\": QLoRA keeps no 8-bit states "
           "for all 7B parameters; it runs paged 32-bit AdamW on the adapters only: %.2f GB, in unified memory (on the GPU "
           "while it fits).",
           F.bytesOf("optimizer_states") / G, Q.bytesOf("optimizer_states") / G)});
  t.rows.push_back(
      {"activations", params * 2 / G, params * 0.5 / G,
       "Let's assume FP16 activations are the same size as the model parameters to reduce memory footprint quantization. "
       "This means that the memory footprint for the activations is 7 billion multiplied by two bytes, which equals 14 "
       "gigabytes.",
       "The total memory footprint for the activations is 7 billion multiplied by four bits, which equals 3.5 gigabytes.",
       F.bytesOf("activations"), Q.bytesOf("activations"),
       fmt("Activations depend on batch, sequence length and layers, not on the parameter count, and they stay 16-bit "
           "whatever the weights: bitsandbytes dequantizes each weight to the 16-bit compute type, so both columns need "
           "the same at these settings: %.2f GB for full fine-tuning, %.2f GB for QLoRA (which adds its adapters' small "
           "outputs).",
           F.bytesOf("activations") / G, Q.bytesOf("activations") / G)});
  for (const auto& r : t.rows) {
    t.fp16TotalGb += r.fp16Gb.value_or(0);
    t.fourBitTotalGb += r.fourBitGb.value_or(0);
  }
  t.reductionPercent = 100.0 * (1.0 - t.fourBitTotalGb / t.fp16TotalGb);
  t.totalQuotes = {
      "=> Therefore, the total reduction in the memory footprint for FP16 is 98 gigabytes.",
      "=> Therefore, the total reduction in memory footprint for 4-bit quantization is 24.5 gigabytes.",
      "Therefore, the memory footprint reduces from 98 gigabytes, FP16 to 24.5 gigabytes, 4-bit quantization with a "
      "reduction of around 75%.",
      "QLoRA reduces memory footprint up to 75%.",
  };
  t.realFullBytes = F.gpuPeakBytes;
  t.realQloraBytes = Q.gpuPeakBytes;
  t.realSavingPercent = 100.0 * (1.0 - Q.gpuPeakBytes / F.gpuPeakBytes);
  t.totalVerdict = fmt("\"75%%\" is every row divided by 4 (%.1f / %.1f). Computed, LLaMA-7B needs %.2f GB for full "
                       "fine-tuning (mixed precision) and %.2f GB for QLoRA at these settings: a saving of %.1f%%.",
                       t.fp16TotalGb, t.fourBitTotalGb, F.gpuPeakBytes / G, Q.gpuPeakBytes / G, t.realSavingPercent);
  t.pagingQuote = "Additionally, the paged optimizers allow large models to fit into limited memory by dynamically loading "
                  "and unloading model parameters as per the requirements.";
  t.pagingVerdict = "Paged optimizers page optimizer states, not model parameters: bitsandbytes puts the states of tensors "
                    "with 1e5 or more values in CUDA unified memory, prefetches them to the GPU before each step, and "
                    "the driver moves them to CPU RAM only when the GPU runs short. That survives memory spikes; it "
                    "does not shrink the steady state.";
  t.assumptions = {
      "7e9 parameters, GB = 1e9 bytes",
      "fp16 column: fp16 parameters (2 bytes), fp16 gradients for every parameter (2 bytes), "
      "two fp32 Adam states (8 bytes), activations equal to the parameters (2 bytes)",
      "\"4-bit\" column: 4-bit parameters (0.5 bytes), gradients at 4 bits (0.5 bytes), two 8-bit "
      "optimizer states (2 bytes), activations equal to the parameters (0.5 bytes)",
  };
  return t;
}

}  // namespace qviz::core
