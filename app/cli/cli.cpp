// Subcommand table and shared error reporting.
#include "cli/cli.hpp"

#include <cstdio>

namespace qviz::cli {

const std::vector<Subcommand>& subcommands() {
  static const std::vector<Subcommand> table = {
      {"render", "quantize an image (uniform, dithering) and write PNG + metrics", runRender},
      {"error-curve", "PSNR and SSIM against bits (1-8, 1-16) for every rounding mode and dither: JSON or CSV", runErrorCurve},
      {"bench", "run the benchmarks and print/write timings", runBench},
      {"selftest", "check every GPU kernel against the CPU reference (both GPU paths)", runSelftest},
      {"lora", "train a LoRA delta on a frozen NF4 image base against the best rank-r delta", runLora},
      {"quantize-tensor", "quantize a .npy/.safetensors tensor (nf4, fp4, int, fp8, ggml) and write codes + stats", runQuantizeTensor},
      {"memory", "estimate training memory (full, LoRA, QLoRA) per component; --seed-table", runMemory},
      {"number-line", "the seed document's number-line mappings, quoted verbatim, each with a verdict; --seed-claims", runNumberLine},
      {"workshop", "workshop exercises: init DIR (shaders + starters), check DIR [EXERCISE] against the solutions", runWorkshop},
  };
  return table;
}

const Subcommand* findSubcommand(const std::string& name) {
  for (const auto& s : subcommands())
    if (name == s.name) return &s;
  return nullptr;
}

int badInput(const char* sub, const std::string& message) {
  std::fprintf(stderr, "qviz %s: error: %s\n", sub, message.c_str());
  return kExitBadInput;
}

}  // namespace qviz::cli
