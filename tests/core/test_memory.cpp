// Memory calculator: parameter counts by architecture, PEFT's trainable counts, the seed table
// and the component arithmetic.
#include <catch2/catch.hpp>

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

TEST_CASE("the seed document's 7B table") {
  const SeedTable t = seedTable();
  REQUIRE(t.rows.size() == 4);
  CHECK(t.rows[0].fp16Gb == 14.0);
  CHECK(t.rows[1].fp16Gb == 14.0);
  CHECK(t.rows[2].fp16Gb == 56.0);
  CHECK(t.rows[3].fp16Gb == 14.0);
  CHECK(t.fp16TotalGb == 98.0);
  CHECK(t.rows[2].fourBitGb == 14.0);
  CHECK(t.fourBitTotalGb == 24.5);
  CHECK(t.reductionPercent == 75.0);
  CHECK(t.assumptions.size() >= 3);
}

TEST_CASE("memory components") {
  const auto a = modelPreset("llama-7b").value();
  MemorySettings s;
  s.method = FinetuneMethod::Full;
  s.weightPrecision = Precision::FP16;
  s.activations = ActivationModel::Seed;
  auto r = estimateMemory(a, s).value();
  const double p = 6738415616.0;
  REQUIRE(r.components.size() == 4);  // weights, gradients, optimizer states, activations
  CHECK(r.components[0].gpuBytes == p * 2);
  CHECK(r.components[1].gpuBytes == p * 2);
  CHECK(r.components[2].gpuBytes == p * 8);
  CHECK(r.components[3].gpuBytes == p * 2);
  CHECK(r.gpuBytes == p * 14);
  CHECK(r.cpuBytes == 0);

  // QLoRA: NF4 linear layers + bf16 rest; double-quantized constants; paged Adam on the CPU side.
  s = MemorySettings{};
  s.method = FinetuneMethod::QLoRA;
  s.rank = 64;
  s.targets = kTargetAllLinear;
  s.paged = true;
  s.activations = ActivationModel::Formula;
  s.batch = 1;
  s.seqLen = 512;
  s.checkpointing = false;
  r = estimateMemory(a, s).value();
  REQUIRE(r.components.size() == 6);
  CHECK(r.components[0].key == "weights");
  CHECK(r.components[0].gpuBytes == 6476005376.0 * 0.5 + (6738415616.0 - 6476005376.0) * 2);
  CHECK(r.components[1].key == "quant_constants");
  // Per layer: 4 tensors of 4096^2 (262144 blocks: 262144 + 4*1024 + 4 bytes) and 3 of
  // 4096*11008 (704512 blocks: 704512 + 4*2752 + 4 bytes).
  CHECK(r.components[1].gpuBytes == 32.0 * (4 * (262144 + 4096 + 4) + 3 * (704512 + 11008 + 4)));
  CHECK(r.components[2].key == "adapters");
  CHECK(r.components[2].gpuBytes == 159907840.0 * 4);
  CHECK(r.components[3].gpuBytes == 159907840.0 * 4);
  CHECK(r.components[4].key == "optimizer_states");
  CHECK(r.components[4].gpuBytes == 0);
  CHECK(r.components[4].cpuBytes == 159907840.0 * 8);
  // Activations: 32 layers x s*b*h*(34 + 5*a*s/h) = 32 * 512*4096*(34 + 5*32*512/4096).
  CHECK(r.components[5].gpuBytes == 32.0 * 512 * 4096 * (34 + 20));
  s.checkpointing = true;
  r = estimateMemory(a, s).value();
  CHECK(r.components[5].gpuBytes == 32.0 * 2 * 512 * 4096 + 512.0 * 4096 * 54);
  s.doubleQuant = false;
  r = estimateMemory(a, s).value();
  CHECK(r.components[1].gpuBytes == 32.0 * 4 * (4 * 262144 + 3 * 704512));
  s.optimizer = OptimizerKind::Adam8bit;
  s.paged = false;
  r = estimateMemory(a, s).value();
  CHECK(r.components[4].gpuBytes == Approx(159907840.0 * 2 * (1 + 4.0 / 256)));
  s.optimizer = OptimizerKind::SGD;
  CHECK(estimateMemory(a, s)->components[4].gpuBytes == 0);
  s.rank = 0;
  CHECK_FALSE(estimateMemory(a, s).ok());
  ModelArch bad = a;
  bad.hidden = 0;
  CHECK_FALSE(estimateMemory(bad, MemorySettings{}).ok());
}
