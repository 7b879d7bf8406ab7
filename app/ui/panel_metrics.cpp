// Metrics panel: every number of the current quantization, live, with what it means.
#include <imgui.h>

#include <cstdio>

#include "ui/panels.hpp"
#include "ui/widgets.hpp"

namespace qviz::ui {

template <>
void drawPanel<panelId("metrics")>(const AppState& s, UiState&, Commands&) {
  const QuantizedView& v = s.derived.view;
  const core::ImageMetrics& m = v.metrics;
  if (v.reference.empty()) {
    ImGui::TextDisabled("no image");
    return;
  }
  // The meanings wrap in their own column; in a narrow panel (presenter mode, a side column) they go
  // under the value, wrapped to the rest of the width.
  const bool narrow = ImGui::GetContentRegionAvail().x < ImGui::GetFontSize() * 34;
  auto row = [narrow](const char* name, const std::string& value, const char* help) {
    ImGui::TableNextRow();
    ImGui::TableSetColumnIndex(0);
    ImGui::TextUnformatted(name);
    ImGui::TableSetColumnIndex(1);
    if (narrow) ImGui::TextWrapped("%s", value.c_str());
    else ImGui::TextUnformatted(value.c_str());
    if (!*help) return;
    if (!narrow) ImGui::TableSetColumnIndex(2);
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::TextWrapped("%s", help);  // wrapped in its column, never clipped
    ImGui::PopStyleColor();
  };
  if (!v.metricsCurrent()) ImGui::TextDisabled("updating...");
  char buf[96];
  if (ImGui::BeginTable("metrics", narrow ? 2 : 3, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingFixedFit)) {
    ImGui::TableSetupColumn("metric", ImGuiTableColumnFlags_WidthFixed);
    ImGui::TableSetupColumn("value", narrow ? ImGuiTableColumnFlags_WidthStretch : ImGuiTableColumnFlags_WidthFixed);
    if (!narrow) ImGui::TableSetupColumn("meaning", ImGuiTableColumnFlags_WidthStretch);
    std::snprintf(buf, sizeof buf, "%.4f", m.mse);
    row("MSE", buf, "mean squared error over colour samples (exact integer sum)");
    if (m.psnrDb) std::snprintf(buf, sizeof buf, "%.3f dB", *m.psnrDb);
    else std::snprintf(buf, sizeof buf, "none (identical)");
    row("PSNR", buf, "10 log10(max^2 / MSE)");
    if (v.state == ViewState::GpuSsim) std::snprintf(buf, sizeof buf, "computing...");
    else if (m.ssim) std::snprintf(buf, sizeof buf, "%.5f", *m.ssim);
    else std::snprintf(buf, sizeof buf, "n/a (smaller than 11x11)");
    row("SSIM", buf, "structural similarity, Gaussian 11x11, as scikit-image");
    row("max |error|", std::to_string(m.maxAbsError), "largest single-sample error");
    std::snprintf(buf, sizeof buf, "%u of %u", m.levelsUsed, 1u << std::min(16, s.doc.quant.bits));
    row("levels used", buf, "distinct output values over all colour channels");
    std::snprintf(buf, sizeof buf, "%.2f", m.storage.bitsPerSample);
    row("bits / sample", buf, "mean code bits per colour sample");
    row("stored", formatBytes(double(m.storage.storedBytes)), "packed codes (+ alpha at full depth)");
    row("original", formatBytes(double(m.storage.originalBytes)), "the image at its sample size");
    std::snprintf(buf, sizeof buf, "%.2f : 1", m.storage.compressionRatio);
    row("compression", buf, "original / stored (no entropy coding)");
    std::snprintf(buf, sizeof buf, "%.2f ms on %s", v.elapsedMs, v.computedOn.c_str());
    row("computed", buf, "");
    ImGui::EndTable();
  }
}

}  // namespace qviz::ui
