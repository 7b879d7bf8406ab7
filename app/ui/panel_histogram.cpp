// Histograms: the value distribution before (grey) and after (colour) quantization, overlaid, with
// the quantizer's output levels marked; hover for counts.
#include <imgui.h>

#include "ui/panels.hpp"
#include "ui/widgets.hpp"

namespace qviz::ui {

template <>
void drawPanel<panelId("histogram")>(const AppState& s, UiState&, Commands&) {
  const QuantizedView& v = s.derived.view;
  if (v.histBefore.empty() || v.histAfter.size() != v.histBefore.size()) {
    ImGui::TextDisabled("no image");
    return;
  }
  static constexpr ImU32 kColors[3] = {IM_COL32(235, 80, 80, 255), IM_COL32(90, 210, 110, 255), IM_COL32(90, 140, 245, 255)};
  const char* names[3] = {"red", "green", "blue"};
  const bool gray = v.histBefore.size() == 1;
  const std::size_t nc = v.histBefore.size();
  // The channels share the panel's height: each plot fills its share (at least 6 text lines).
  const float lineH = ImGui::GetTextLineHeightWithSpacing();
  const float spacing = ImGui::GetStyle().ItemSpacing.y;
  const float h = std::max(ImGui::GetFontSize() * 6.0f,
                           (ImGui::GetContentRegionAvail().y - (lineH + spacing) * float(nc)) / float(nc));
  const bool wide = v.reference.type == core::SampleType::U16;
  for (std::size_t c = 0; c < nc; ++c) {
    std::vector<double> before(v.histBefore[c].begin(), v.histBefore[c].end());
    std::vector<double> after(v.histAfter[c].begin(), v.histAfter[c].end());
    // Output levels of this channel, in histogram bins.
    std::vector<double> marks;
    const auto k = core::uniformConstants(s.doc.quant.bitsFor(int(c)), v.reference.vmax());
    if (k.levels <= 256)
      for (std::uint32_t code = 0; code < k.levels; ++code)
        marks.push_back(double(core::dequantizeCode(code, k, s.doc.quant.rounding) >> (wide ? 8 : 0)));
    ImGui::PushTextWrapPos(0.0f);
    ImGui::Text("%s: %zu levels marked  (grey: before, colour: after)", gray ? "luma" : names[c], marks.size());
    ImGui::PopTextWrapPos();
    // 8-bit: bin i is the sample value i; 16-bit: bin i holds the values 256 i to 256 i + 255.
    const double n = double(before.size());
    histogramPlot(gray ? "luma" : names[c],
                  {{&before, IM_COL32(150, 150, 150, 150), true}, {&after, gray ? IM_COL32(230, 230, 230, 255) : kColors[c], false}},
                  ImVec2(ImGui::GetContentRegionAvail().x, h), marks, "sample value", wide ? 0.0 : -0.5,
                  wide ? n * 256.0 : n - 0.5);
  }
}

}  // namespace qviz::ui
