// libFuzzer harness for the settings file (ui::settingsFromJson on a Document and a UiState, the
// parser behind settings.json). Whatever the text, every field the file can set stays inside its
// documented range, fields the file does not carry keep their defaults, the message is empty or
// says what was ignored, and what settingsToJson writes back (which must not throw, e.g. on a
// string that is not UTF-8) reads back to the same state with no message.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.hpp"
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
  // What the file cannot set keeps its default.
  FUZZ_CHECK(d.lineGrid == defaults.lineGrid && d.lineBits == defaults.lineBits && d.lineValues == defaults.lineValues);
  FUZZ_CHECK(d.memory == defaults.memory && d.weights == defaults.weights && d.lora == defaults.lora);
  FUZZ_CHECK(d.userShaderFile == defaults.userShaderFile && d.userUniforms == defaults.userUniforms);
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
