// libFuzzer harness for the settings file (ui::settingsFromJson on a Document and a UiState, the
// parser behind settings.json). Whatever the text, every field the file can set stays inside its
// documented range (the whole Document: the image settings, the number line, the weights, QLoRA
// and memory panels, the user shader and its uniforms), the message is empty or
// says what was ignored, and what settingsToJson writes back (which must not throw, e.g. on a
// string that is not UTF-8) reads back to the same state with no message.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.hpp"
#include "memory/memory.hpp"
#include "ui/panel_info.hpp"
#include "ui/settings.hpp"

using namespace qviz;
using namespace qviz::ui;

namespace {
bool sameUi(const UiState& a, const UiState& b) {
  for (const PanelInfo& p : panelInfos())
    if (a.open.*(p.open) != b.open.*(p.open)) return false;
  return a.presenter == b.presenter && a.fontScale == b.fontScale && a.recentFiles == b.recentFiles;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const Document defaults;
  Document d;
  UiState ui;
  const std::string msg = settingsFromJson(text, d, ui);
  FUZZ_CHECK(msg.empty() || msg.rfind("ignored ", 0) == 0);

  // Ranges (settings.hpp: unknown or invalid fields are skipped).
  FUZZ_CHECK(d.quant.bits >= 1 && d.quant.bits <= 16);
  for (int b : d.quant.channelBits) FUZZ_CHECK(b >= 0 && b <= 16);
  for (int b : d.levelDepths) FUZZ_CHECK(b >= 1 && b <= 16);
  FUZZ_CHECK(int(d.view) >= 0 && int(d.view) <= 3);
  FUZZ_CHECK(int(d.path) >= 0 && int(d.path) <= 2);
  FUZZ_CHECK(std::isfinite(d.errorGain) && d.errorGain >= 1 && d.errorGain <= 64);
  FUZZ_CHECK(std::isfinite(ui.fontScale) && ui.fontScale >= 0.5f && ui.fontScale <= 4);
  FUZZ_CHECK(ui.recentFiles.size() <= 10);
  FUZZ_CHECK(d.quant.dither == core::Dither::None || d.quant.rounding == core::Rounding::Nearest);
  FUZZ_CHECK(core::roundingName(d.quant.rounding) != nullptr && core::ditherName(d.quant.dither) != nullptr);
  // The number line, the weights, QLoRA and memory panels, the user shader.
  FUZZ_CHECK(d.lineBits >= 1 && d.lineBits <= 8 && core::levelGridName(d.lineGrid) != nullptr);
  FUZZ_CHECK(d.lineValues.size() <= 256);
  for (double v : d.lineValues) FUZZ_CHECK(std::isfinite(v) && v >= -1 && v <= 1);
  auto blocksize = [](int b) { return b >= 32 && b <= 4096 && (b & (b - 1)) == 0; };
  FUZZ_CHECK(int(d.weights.source) <= 3 && d.weights.size >= 64 && d.weights.size <= (1 << 24));
  FUZZ_CHECK(blocksize(d.weights.blocksize) && d.weights.block >= 0 && d.weights.block <= (1 << 24));
  FUZZ_CHECK(core::tensorFormatName(d.weights.format) != nullptr);
  FUZZ_CHECK(d.lora.rank >= 1 && d.lora.rank <= 64 && blocksize(d.lora.blocksize));
  FUZZ_CHECK(std::isfinite(d.lora.alpha) && d.lora.alpha > 0 && std::isfinite(d.lora.lr) && d.lora.lr > 0);
  FUZZ_CHECK(d.memory.rank >= 1 && d.memory.rank <= (1u << 20) && d.memory.targets != 0);
  FUZZ_CHECK(d.memory.batch >= 1 && d.memory.batch <= 4096 && d.memory.seqLen >= 1 && d.memory.seqLen <= (1u << 20));
  FUZZ_CHECK(blocksize(d.memory.blocksize));
  FUZZ_CHECK(std::find(core::modelPresetNames().begin(), core::modelPresetNames().end(), d.memory.preset) !=
             core::modelPresetNames().end());
  FUZZ_CHECK(!d.userShaderFile.empty() && d.userUniforms.size() <= std::max<std::size_t>(64, defaults.userUniforms.size()));
  for (const auto& [name, v] : d.userUniforms) FUZZ_CHECK(!name.empty() && std::isfinite(v));
  // A text that is not settings changes nothing.
  if (msg.rfind("ignored the settings file", 0) == 0) {
    FUZZ_CHECK(d == defaults);
    FUZZ_CHECK(sameUi(ui, UiState{}));
  }

  // Round trip: written back, read again into a fresh state, written again.
  const std::string out = settingsToJson(d, ui);
  Document d2;
  UiState ui2;
  FUZZ_CHECK(settingsFromJson(out, d2, ui2).empty());
  FUZZ_CHECK(d2 == d);
  FUZZ_CHECK(sameUi(ui2, ui));
  FUZZ_CHECK(settingsToJson(d2, ui2) == out);
  return 0;
}
