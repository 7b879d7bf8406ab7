// Memory calculator (see memory.hpp for every formula and what is not modelled).
#include "memory/memory.hpp"

#include <cmath>
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
const char* activationModelName(ActivationModel a) { return a == ActivationModel::Seed ? "seed" : "formula"; }

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
  if (s == "seed") return out = ActivationModel::Seed, true;
  if (s == "formula") return out = ActivationModel::Formula, true;
  return false;
}
int precisionBytes(Precision p) { return p == Precision::FP32 ? 4 : 2; }

Result<MemoryReport> estimateMemory(const ModelArch& a, const MemorySettings& s) {
  if (auto st = validateArch(a); !st) return fail(st.error());
  const bool lora = s.method != FinetuneMethod::Full;
  if (lora && (s.rank == 0 || s.rank > a.hidden)) return fail("LoRA rank must be 1.." + std::to_string(a.hidden));
  if (lora && s.targets == 0) return fail("no LoRA targets given");
  if (s.method == FinetuneMethod::QLoRA &&
      (s.nf4Blocksize < 32 || s.nf4Blocksize > 4096 || (s.nf4Blocksize & (s.nf4Blocksize - 1)) != 0))
    return fail("NF4 blocksize must be a power of two from 32 to 4096");
  if (s.activations == ActivationModel::Formula && (s.batch == 0 || s.seqLen == 0 || s.batch > 65536 || s.seqLen > (1u << 22)))
    return fail("batch must be 1..65536 and sequence length 1..4194304");

  const ParamCounts p = countParams(a);
  MemoryReport r;
  r.baseParams = p.total;
  const std::uint64_t adapters = lora ? loraParamCount(a, s.rank, s.targets) : 0;
  r.trainableParams = lora ? adapters : p.total;
  r.totalParams = p.total + adapters;
  r.trainablePercent = 100.0 * double(r.trainableParams) / double(r.totalParams);

  const double wb = precisionBytes(s.weightPrecision);
  const Precision trainedPrecision = lora ? s.adapterPrecision : s.weightPrecision;
  const double gb = precisionBytes(s.gradPrecision.value_or(trainedPrecision));
  const double trainable = double(r.trainableParams);

  MemoryComponent weights{"weights", "weights", 0, 0, ""};
  if (s.method == FinetuneMethod::QLoRA) {
    weights.gpuBytes = double(p.linear()) * 0.5 + double(p.total - p.linear()) * wb;
    weights.note = "linear layers in NF4 (4 bits); embeddings, norms, lm_head in " + std::string(precisionName(s.weightPrecision));
  } else {
    weights.gpuBytes = double(p.total) * wb;
    weights.note = std::string(precisionName(s.weightPrecision)) + (lora ? ", frozen" : ", trained");
  }
  r.components.push_back(weights);

  if (s.method == FinetuneMethod::QLoRA) {
    MemoryComponent c{"quant_constants", "quantization constants", 0, 0, ""};
    const std::uint64_t hh = a.hidden * a.hidden, hi = a.hidden * a.intermediate;
    const double perLayer = 4 * constantBytes(hh, s.nf4Blocksize, s.doubleQuant) +
                            3 * constantBytes(hi, s.nf4Blocksize, s.doubleQuant);
    c.gpuBytes = perLayer * double(a.layers);
    c.note = "blocksize " + std::to_string(s.nf4Blocksize) +
             (s.doubleQuant ? ", double-quantized absmax (8-bit + fp32 per 256 blocks)" : ", fp32 absmax per block");
    r.components.push_back(c);
  }
  if (lora) {
    MemoryComponent c{"adapters", "LoRA adapters", trainable * precisionBytes(s.adapterPrecision), 0,
                      "r=" + std::to_string(s.rank) + " on " + loraTargetsName(s.targets) + ", " +
                          precisionName(s.adapterPrecision)};
    r.components.push_back(c);
  }
  r.components.push_back({"gradients", "gradients", trainable * gb, 0,
                          std::string(precisionName(s.gradPrecision.value_or(trainedPrecision))) + ", trainable parameters only"});
  {
    MemoryComponent c{"optimizer_states", "optimizer states", 0, 0, ""};
    double bytes = 0;
    switch (s.optimizer) {
      case OptimizerKind::Adam: bytes = trainable * 8.0, c.note = "Adam: 2 fp32 states"; break;
      case OptimizerKind::Adam8bit: bytes = trainable * 2.0 * (1.0 + 4.0 / 256.0), c.note = "8-bit Adam: 2 blockwise 8-bit states"; break;
      case OptimizerKind::SGD: bytes = 0, c.note = "SGD: no state"; break;
    }
    if (s.paged) {
      c.cpuBytes = bytes;
      c.note += ", paged to CPU memory";
    } else {
      c.gpuBytes = bytes;
    }
    r.components.push_back(c);
  }
  {
    MemoryComponent c{"activations", "activations", 0, 0, ""};
    if (s.activations == ActivationModel::Seed) {
      c.gpuBytes = weights.gpuBytes;
      c.note = "seed assumption: equal to the weights";
    } else {
      const double sbh = double(s.seqLen) * double(s.batch) * double(a.hidden);
      const double perLayer = sbh * (34.0 + 5.0 * double(a.heads) * double(s.seqLen) / double(a.hidden));
      c.gpuBytes = s.checkpointing ? double(a.layers) * 2.0 * sbh + perLayer : double(a.layers) * perLayer;
      c.note = "batch " + std::to_string(s.batch) + ", seq " + std::to_string(s.seqLen) +
               (s.checkpointing ? ", gradient checkpointing" : ", no checkpointing");
    }
    r.components.push_back(c);
  }
  for (const auto& c : r.components) {
    r.gpuBytes += c.gpuBytes;
    r.cpuBytes += c.cpuBytes;
  }
  return r;
}

SeedTable seedTable() {
  const double params = 7e9, gb = 1e9;
  SeedTable t;
  t.rows = {
      {"parameters", params * 2 / gb, params * 0.5 / gb},
      {"gradients", params * 2 / gb, params * 0.5 / gb},
      {"optimizer states", params * 8 / gb, params * 2 / gb},
      {"activations", params * 2 / gb, params * 0.5 / gb},
  };
  for (const auto& r : t.rows) {
    t.fp16TotalGb += r.fp16Gb;
    t.fourBitTotalGb += r.fourBitGb;
  }
  t.reductionPercent = 100.0 * (1.0 - t.fourBitTotalGb / t.fp16TotalGb);
  t.assumptions = {
      "7e9 parameters, GB = 1e9 bytes",
      "fp16 column: fp16 parameters (2 bytes), fp16 gradients for every parameter (2 bytes), "
      "two fp32 Adam states (8 bytes), activations equal to the parameters (2 bytes)",
      "\"4-bit\" column: 4-bit parameters (0.5 bytes), gradients at 4 bits (0.5 bytes), two 8-bit "
      "optimizer states (2 bytes), activations equal to the parameters (0.5 bytes)",
      "not in the seed: quantization constants; QLoRA keeps no gradients or optimizer states for the "
      "frozen 4-bit base, only for the LoRA adapters; activations depend on batch and sequence length",
  };
  return t;
}

MemorySettings seedComparisonSettings() {
  MemorySettings s;
  s.method = FinetuneMethod::QLoRA;
  s.weightPrecision = Precision::BF16;
  s.adapterPrecision = Precision::BF16;
  s.optimizer = OptimizerKind::Adam;
  s.paged = true;
  s.rank = 64;
  s.alpha = 16;
  s.targets = kTargetAllLinear;
  s.nf4Blocksize = 64;
  s.doubleQuant = true;
  s.activations = ActivationModel::Formula;
  s.batch = 1;
  s.seqLen = 512;
  s.checkpointing = true;
  return s;
}

}  // namespace qviz::core
