// The QLoRA panel's inputs (LoraDoc, part of the Document) and the data it shows (QloraTiles, filled
// on the main thread by QloraSession::poll, ui/qlora_session.hpp, from updateQloraView). No ImGui or
// GL here (the settings fuzzer includes it).
#pragma once
#include <cstdint>
#include <string>

#include "ui/texture.hpp"

namespace qviz::ui {

// The QLoRA panel's inputs.
struct LoraDoc {
  std::string basePath;    // the "pre-trained" weights (empty: assets/images/rocket.jpg)
  std::string targetPath;  // the new data (empty: assets/images/astronaut.png)
  int rank = 8;
  float alpha = 8;
  bool rsLora = false;
  bool sgd = false;
  float lr = 0.05f;
  int blocksize = 64;
  bool doubleQuant = false;
  std::uint32_t seed = 0;
  bool operator==(const LoraDoc&) const = default;
};

struct QloraTiles {
  DisplayTexture base, frozen, quantError, delta, adapted, target, svd, merged;
  double baseLoss = 0, frozenLoss = 0, quantMse = 0, adaptedLoss = 0, svdLoss = 0, mergedLoss = 0;
  double merged16Loss = 0;  // the delta merged into the original weights in bf16 (no tile: a table row)
  float deltaRange = 0;
  float quantErrorRange = 0;  // the quantization error tile's grey scale: black -range, white +range
  std::string mergeError;
};

}  // namespace qviz::ui
