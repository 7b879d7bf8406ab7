// GPU vs CPU: the current settings run on the GPU (the view) and on the CPU reference (on a
// worker), with both timings, the number of samples that differ (0 expected: the shaders follow
// the core's arithmetic exactly) and a difference picture.
#include <imgui.h>

#include "ui/panels.hpp"
#include "util/parallel.hpp"
#include "ui/widgets.hpp"

namespace qviz::ui {

template <>
void drawPanel<panelId("compare")>(const AppState& s, UiState& ui, Commands& cmd) {
  const CompareView& c = s.derived.compare;
  if (s.doc.path == ComputePath::Cpu || !s.derived.view.onGpu()) {
    ImGui::TextWrapped("The view is computed on the CPU%s. Choose a GPU path to compare the two.",
                       s.doc.quant.dither == core::Dither::FloydSteinberg ? " (Floyd-Steinberg is serial: CPU only)" : "");
    if (s.doc.path == ComputePath::Cpu && ImGui::Button("Use the GPU compute path"))
      cmd.edit("path", [](Document& d) { d.path = ComputePath::GpuCompute; });
    return;
  }
  if (ImGui::BeginTable("times", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit)) {
    auto row = [](const char* k, const std::string& v) {
      ImGui::TableNextRow();
      ImGui::TableSetColumnIndex(0);
      ImGui::TextUnformatted(k);
      ImGui::TableSetColumnIndex(1);
      ImGui::TextUnformatted(v.c_str());
    };
    char b[128];
    std::snprintf(b, sizeof b, "%.2f ms (%s, quantize + display, warm, to glFinish)", c.gpuMs, c.gpuPath.c_str());
    row("GPU", b);
    if (c.pending) row("CPU reference", "running on a worker...");
    else if (c.result && c.result->error.empty()) {
      std::snprintf(b, sizeof b, "%.2f ms (core::quantizeUniform, %u threads)", c.result->cpuMs, core::workerCount());
      row("CPU reference", b);
      std::snprintf(b, sizeof b, "%llu of %llu samples", static_cast<unsigned long long>(c.result->mismatches),
                    static_cast<unsigned long long>(c.result->samples));
      row("mismatches", b);
    }
    ImGui::EndTable();
  }
  if (c.result && !c.result->error.empty()) ImGui::TextColored(ImVec4(1, 0.5f, 0.4f, 1), "%s", c.result->error.c_str());
  if (c.result && c.result->error.empty()) {
    if (c.result->mismatches == 0)
      ImGui::TextColored(ImVec4(0.5f, 0.9f, 0.5f, 1), "identical: every sample of the GPU result equals the CPU reference");
    else
      ImGui::TextColored(ImVec4(1, 0.45f, 0.4f, 1), "first mismatch at %s", c.result->firstMismatch.c_str());
    ImGui::TextDisabled("difference: matching pixels dimmed, mismatching pixels red");
    ImageViewState view{ui.zoom, ui.panX, ui.panY};
    imageView("diff", c.diff.ref(), ImGui::GetContentRegionAvail(), view);
  }
}

}  // namespace qviz::ui
