// Memory calculator: parameter counts by architecture, PEFT's trainable counts, the seed table
// and the component arithmetic.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

#include "test_support.hpp"
#include "memory/memory.hpp"

using namespace qviz::core;

TEST_CASE("LLaMA parameter counts by architecture") {
  const auto a7 = modelPreset("llama-7b").value();
  CHECK(countParams(a7).total == 6738415616ull);
  CHECK(countParams(a7).linear() == 6476005376ull);
  CHECK(countParams(modelPreset("llama-13b").value()).total == 13015864320ull);
  CHECK(countParams(modelPreset("llama-33b").value()).total == 32528943616ull);
  CHECK(countParams(modelPreset("llama-65b").value()).total == 65285660672ull);
  CHECK_FALSE(modelPreset("llama-8b").ok());
  ModelArch tied = a7;
  tied.tiedEmbeddings = true;
  CHECK(countParams(tied).total == 6738415616ull - 32000ull * 4096);
}

TEST_CASE("trainable parameters come out as PEFT prints them") {
  const auto a = modelPreset("llama-7b").value();
  CHECK(loraParamCount(a, 8, kTargetQ | kTargetV) == 4194304ull);
  CHECK(loraParamCount(a, 64, kTargetAllLinear) == 159907840ull);
  MemorySettings s;
  s.method = FinetuneMethod::LoRA;
  s.rank = 8;
  s.targets = parseLoraTargets("q,v").value();
  const auto r = estimateMemory(a, s).value();
  CHECK(r.trainableParams == 4194304ull);
  CHECK(r.totalParams == 6742609920ull);
  CHECK(r.trainablePercent == Approx(0.0622).margin(5e-5));
  s.method = FinetuneMethod::QLoRA;
  s.rank = 64;
  s.targets = parseLoraTargets("all-linear").value();
  CHECK(estimateMemory(a, s)->trainableParams == 159907840ull);
  CHECK(parseLoraTargets("q_proj,v_proj").value() == (kTargetQ | kTargetV));
  CHECK(parseLoraTargets("q,k,v,o,gate,up,down").value() == unsigned(kTargetAllLinear));
  CHECK_FALSE(parseLoraTargets("q,x").ok());
  CHECK(loraTargetsName(kTargetQ | kTargetV) == "q,v");
  CHECK(loraTargetsName(kTargetAllLinear) == "all-linear");
}

namespace {
// LLaMA-7B: 6,738,415,616 parameters, 6,476,005,376 in the linear layers, 262,144,000 in
// embed_tokens + lm_head, 266,240 in the 65 RMSNorm weights. s = 512, b = 1, h = 4096, i = 11008.
constexpr double kParams = 6738415616.0, kLinear = 6476005376.0, kEmbHead = 262144000.0, kNorms = 266240.0;
constexpr double kAdapters = 159907840.0;  // r = 64 on all linear layers
constexpr double kSbh = 512.0 * 4096;
// One LLaMA layer: 16sbh + 8sbi + 2as^2b, plus lora_A's output (s x b x r) for 7 adapted matrices.
constexpr double kLlamaLayer = 16 * kSbh + 8 * 512.0 * 11008 + 2 * 32.0 * 512 * 512;  // 95,420,416
constexpr double kLoraOutBf16 = 7 * 512.0 * 64 * 2;                                  // 458,752
constexpr double kLogits = 512.0 * 32000 * (2 + 4);                                  // 98,304,000
constexpr double kCheckpoints = 32 * 2 * kSbh;                                       // 134,217,728
}  // namespace

TEST_CASE("QLoRA with qlora.py's settings: every component, the GPU peak and minimum") {
  const auto a = modelPreset("llama-7b").value();
  const auto r = estimateMemory(a, qloraPySettings()).value();
  REQUIRE(r.components.size() == 6);
  CHECK(r.components[0].key == "weights");
  // NF4 linear layers, bf16 embeddings and lm_head, fp32 norms.
  CHECK(r.bytesOf("weights") == kLinear * 0.5 + kEmbHead * 2 + kNorms * 4);
  CHECK(r.bytesOf("weights") == 3763355648.0);
  // Per layer: 4 tensors of 4096^2 (262144 blocks: 262144 + 4*1024 + 4 bytes) and 3 of
  // 4096*11008 (704512 blocks: 704512 + 4*2752 + 4 bytes).
  CHECK(r.bytesOf("quant_constants") == 32.0 * (4 * (262144 + 4096 + 4) + 3 * (704512 + 11008 + 4)));
  CHECK(r.bytesOf("quant_constants") == 102769536.0);
  CHECK(r.bytesOf("adapters") == kAdapters * 2);   // bf16
  CHECK(r.bytesOf("gradients") == kAdapters * 2);  // bf16
  CHECK(r.bytesOf("optimizer_states") == kAdapters * 8);
  CHECK(r.find("optimizer_states")->pageableBytes == kAdapters * 8);  // every adapter tensor has >= 1e5 values
  CHECK(r.activation.perLayer == kLlamaLayer + kLoraOutBf16);
  CHECK(r.activation.perLayer == 95879168.0);
  CHECK(r.activation.logits == kLogits);
  CHECK(r.activation.checkpoints == kCheckpoints);
  // Checkpointing: the checkpoints plus the larger of one recomputed layer and the logits.
  CHECK(r.bytesOf("activations") == kCheckpoints + kLogits);
  CHECK(r.bytesOf("activations") == 232521728.0);
  CHECK(r.gpuPeakBytes == 6017540992.0);  // about 6.02 GB
  CHECK(r.pageableBytes == 1279262720.0);
  CHECK(r.gpuMinBytes == 4738278272.0);
  CHECK(r.trainableParams == 159907840ull);
}

TEST_CASE("full fine-tuning keeps an fp32 master copy: 16 bytes per parameter") {
  const auto a = modelPreset("llama-7b").value();
  MemorySettings s = qloraPySettings();
  s.method = FinetuneMethod::Full;
  auto r = estimateMemory(a, s).value();
  REQUIRE(r.components.size() == 5);
  CHECK(r.bytesOf("weights") == kParams * 2);
  CHECK(r.bytesOf("master_weights") == kParams * 4);
  CHECK(r.bytesOf("gradients") == kParams * 2);
  CHECK(r.bytesOf("optimizer_states") == kParams * 8);
  CHECK(r.gpuPeakBytes - r.bytesOf("activations") == kParams * 16);
  CHECK(r.gpuPeakBytes - r.bytesOf("activations") == 107814649856.0);  // ~107.8 GB before activations
  // Paged 32-bit AdamW: every tensor but the 4096-value norms is paged; the peak is unchanged.
  CHECK(r.pageableBytes == (kParams - kNorms) * 8);
  CHECK(r.gpuMinBytes == r.gpuPeakBytes - (kParams - kNorms) * 8);
  CHECK(r.bytesOf("activations") == kCheckpoints + kLogits);  // no LoRA outputs; the logits outweigh one layer
  CHECK(r.gpuPeakBytes == 108047171584.0);
  // Pure 16-bit training: no master copy, 2 + 2 + 8 = 12 bytes per parameter.
  s.mixedPrecision = false;
  r = estimateMemory(a, s).value();
  CHECK(r.find("master_weights") == nullptr);
  CHECK(r.gpuPeakBytes - r.bytesOf("activations") == kParams * 12);
  // fp32 weights need no master copy either: 4 + 4 + 8.
  s.mixedPrecision = true;
  s.weightPrecision = Precision::FP32;
  r = estimateMemory(a, s).value();
  CHECK(r.find("master_weights") == nullptr);
  CHECK(r.gpuPeakBytes - r.bytesOf("activations") == kParams * 16);
}

TEST_CASE("paging: tensors under 1e5 values are never paged") {
  const auto a = modelPreset("llama-7b").value();
  MemorySettings s = qloraPySettings();
  s.rank = 8;
  s.targets = kTargetQ | kTargetV;  // A and B are 8 x 4096 = 32768 values each
  auto r = estimateMemory(a, s).value();
  CHECK(r.bytesOf("optimizer_states") == 4194304.0 * 8);
  CHECK(r.pageableBytes == 0);
  CHECK(r.gpuMinBytes == r.gpuPeakBytes);
  s.rank = 24;  // 98304 values: still not paged
  CHECK(estimateMemory(a, s)->pageableBytes == 0);
  s.rank = 25;  // 102400 values: paged
  CHECK(estimateMemory(a, s)->pageableBytes == 32.0 * 2 * (25 * 4096 + 4096 * 25) * 8);
  s.paged = false;
  CHECK(estimateMemory(a, s)->pageableBytes == 0);
  // 8-bit AdamW (bitsandbytes, block-wise): 2 bytes + 2 fp32 absmax per 2048 values; r=8 on q,v:
  // 128 tensors of 32768 values, 2 x 32768 + 2 x 4 x 16 bytes each.
  s.rank = 8;
  s.optimizer = OptimizerKind::Adam8bit;
  CHECK(estimateMemory(a, s)->bytesOf("optimizer_states") == 128.0 * (2 * 32768 + 8 * 16));
  // Full fine-tuning: tensors under 4096 values (min_8bit_size) keep 32-bit states. LLaMA-7B's
  // norms have exactly 4096 values, so they are 8-bit; a 4000-wide model's norms are 32-bit.
  s.method = FinetuneMethod::Full;
  r = estimateMemory(a, s).value();
  const auto st8 = [](double n, double count) { return count * (2 * n + 8 * std::ceil(n / 2048)); };
  CHECK(r.bytesOf("optimizer_states") ==
        st8(32000.0 * 4096, 2) + st8(4096.0 * 4096, 128) + st8(4096.0 * 11008, 96) + st8(4096, 65));
  ModelArch small = a;
  small.hidden = 4000;
  small.intermediate = 8000;
  small.heads = 25;
  r = estimateMemory(small, s).value();
  CHECK(r.bytesOf("optimizer_states") ==
        st8(32000.0 * 4000, 2) + st8(4000.0 * 4000, 128) + st8(4000.0 * 8000, 96) + 65 * 4000.0 * 8);
}

TEST_CASE("adapter precision and fp32 upcasts change every QLoRA figure consistently") {
  const auto a = modelPreset("llama-7b").value();
  MemorySettings s = qloraPySettings();
  const double bf16Peak = estimateMemory(a, s)->gpuPeakBytes;
  s.adapterPrecision = Precision::FP32;  // PEFT's default
  auto r = estimateMemory(a, s).value();
  CHECK(r.bytesOf("adapters") == kAdapters * 4);
  CHECK(r.bytesOf("gradients") == kAdapters * 4);
  CHECK(r.bytesOf("optimizer_states") == kAdapters * 8);
  CHECK(r.activation.perLayer == kLlamaLayer + 2 * kLoraOutBf16);
  CHECK(r.gpuPeakBytes == bf16Peak + kAdapters * 4);  // the logits still outweigh one layer
  CHECK(r.gpuPeakBytes == 6657172352.0);
  // prepare_model_for_kbit_training alone: embeddings, lm_head and norms in fp32 (+0.52 GB).
  s = qloraPySettings();
  s.upcast = Upcast::All;
  CHECK(estimateMemory(a, s)->bytesOf("weights") == kLinear * 0.5 + (kEmbHead + kNorms) * 4);
  s.upcast = Upcast::None;
  const double none = estimateMemory(a, s)->bytesOf("weights");
  CHECK(none == kLinear * 0.5 + (kEmbHead + kNorms) * 2);
  s.upcast = Upcast::All;
  CHECK(estimateMemory(a, s)->bytesOf("weights") - none == 524820480.0);
  // Upcasts apply to QLoRA only.
  s.method = FinetuneMethod::LoRA;
  CHECK(estimateMemory(a, s)->bytesOf("weights") == kParams * 2);
}

TEST_CASE("activations: LLaMA's layer, Korthikanti's GPT layer, the seed's assumption") {
  const auto a = modelPreset("llama-7b").value();
  MemorySettings s = qloraPySettings();
  s.checkpointing = false;
  auto r = estimateMemory(a, s).value();
  CHECK(r.bytesOf("activations") == 32 * (kLlamaLayer + kLoraOutBf16) + kLogits);
  CHECK(r.bytesOf("activations") == 3166437376.0);
  s.activations = ActivationModel::Gpt;  // sbh(34 + 5as/h) = 512*4096*(34 + 20)
  r = estimateMemory(a, s).value();
  CHECK(r.activation.perLayer == kSbh * 54 + kLoraOutBf16);
  s.method = FinetuneMethod::Full;
  s.checkpointing = true;
  r = estimateMemory(a, s).value();
  CHECK(r.bytesOf("activations") == kCheckpoints + kSbh * 54);  // one GPT layer outweighs the logits
  s.activations = ActivationModel::Seed;
  s.weightPrecision = Precision::FP16;
  r = estimateMemory(a, s).value();
  CHECK(r.bytesOf("activations") == kParams * 2);
  ActivationModel m{};
  CHECK(parseActivationModel("llama", m));
  CHECK(m == ActivationModel::Llama);
  CHECK_FALSE(parseActivationModel("formula", m));
}

TEST_CASE("the seed document's 7B table, row by row, quoted verbatim") {
  const SeedTable t = seedTable().value();
  REQUIRE(t.rows.size() == 5);
  CHECK(t.rows[0].component == "parameters");
  CHECK(*t.rows[0].fp16Gb == 14.0);
  CHECK(*t.rows[0].fourBitGb == 3.5);
  CHECK(t.rows[1].component == "fp32 master weights");
  CHECK_FALSE(t.rows[1].fp16Gb.has_value());  // the seed has no such row
  CHECK(t.rows[1].realFullBytes == kParams * 4);
  CHECK(t.rows[1].realQloraBytes == 0);
  CHECK(*t.rows[2].fp16Gb == 14.0);
  CHECK(*t.rows[2].fourBitGb == 3.5);
  CHECK(t.rows[2].realQloraBytes == kAdapters * 2);  // only the adapters have gradients
  CHECK(*t.rows[3].fp16Gb == 56.0);
  CHECK(*t.rows[3].fourBitGb == 14.0);
  CHECK(t.rows[3].realQloraBytes == kAdapters * 8);  // 32-bit AdamW on the adapters
  CHECK(*t.rows[4].fp16Gb == 14.0);
  CHECK(*t.rows[4].fourBitGb == 3.5);
  CHECK(t.rows[4].realFullBytes == kCheckpoints + kLogits);
  CHECK(t.fp16TotalGb == 98.0);
  CHECK(t.fourBitTotalGb == 24.5);
  CHECK(t.reductionPercent == 75.0);
  CHECK(t.rows[0].realQloraBytes == 3763355648.0 + 102769536.0 + kAdapters * 2);
  CHECK(t.realFullBytes == 108047171584.0);
  CHECK(t.realQloraBytes == 6017540992.0);
  CHECK(t.realSavingPercent == 100.0 * (1.0 - 6017540992.0 / 108047171584.0));
  CHECK(t.realSavingPercent == Approx(94.43).margin(0.005));
  CHECK(t.totalVerdict.find("94.4%") != std::string::npos);
  CHECK(t.rows[4].verdict.find("stay 16-bit") != std::string::npos);
  CHECK(t.rows[2].verdict.find("no 4-bit gradients") != std::string::npos);
  CHECK(t.rows[3].verdict.find("no 8-bit states") != std::string::npos);

  // Every quote is the seed's text, sentence by sentence (the seed breaks lines between some).
  std::ifstream in(qviz::test::data("seeds/002_41507a2da57fd43f.txt"));
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string seed = ss.str();
  std::vector<std::string> quotes = t.totalQuotes;
  quotes.push_back(t.pagingQuote);
  for (const auto& r : t.rows)
    for (const std::string& q : {r.fp16Quote, r.fourBitQuote})
      if (!q.empty()) quotes.push_back(q);
  CHECK(quotes.size() == 13);
  for (const std::string& q : quotes) {
    std::size_t start = 0;
    while (start < q.size()) {
      std::size_t end = q.find(". ", start);
      end = end == std::string::npos ? q.size() : end + 1;
      const std::string sentence = q.substr(start, end - start);
      INFO(sentence);
      CHECK(seed.find(sentence) != std::string::npos);
      start = end + 1;
    }
  }
}

TEST_CASE("memory: constants without double quantization, SGD, refusals") {
  const auto a = modelPreset("llama-7b").value();
  MemorySettings s = qloraPySettings();
  s.doubleQuant = false;
  CHECK(estimateMemory(a, s)->bytesOf("quant_constants") == 32.0 * 4 * (4 * 262144 + 3 * 704512));
  s.optimizer = OptimizerKind::SGD;
  CHECK(estimateMemory(a, s)->bytesOf("optimizer_states") == 0);
  s.rank = 0;
  CHECK_FALSE(estimateMemory(a, s).ok());
  ModelArch bad = a;
  bad.hidden = 0;
  CHECK_FALSE(estimateMemory(bad, MemorySettings{}).ok());
  Upcast u{};
  CHECK(parseUpcast("norms", u));
  CHECK(u == Upcast::Norms);
  CHECK_FALSE(parseUpcast("half", u));
}
