// Memory: what fine-tuning a model needs under full fine-tuning, LoRA and QLoRA, as stacked bars
// by component (GPU, and optimizer states paged to CPU memory), next to the seed document's
// 98 GB -> 24.5 GB table with its assumptions.
#include <imgui.h>

#include <cstdio>
#include <iterator>

#include "ui/panels.hpp"

namespace qviz::ui {
using namespace qviz::core;

namespace {
const char* kOptimizers[] = {"Adam (2 fp32 states)", "8-bit Adam", "SGD (no state)"};
const char* kPrecisions[] = {"fp32", "fp16", "bf16"};
const char* kActivations[] = {"as the seed assumes (= weights)", "from batch x sequence (Korthikanti et al.)"};
// Components in a fixed order with fixed colours, so the three bars compare like with like.
struct ComponentStyle {
  const char* key;
  const char* label;
  ImU32 color;
};
constexpr ComponentStyle kComponents[] = {
    {"weights", "weights", IM_COL32(90, 140, 245, 255)},
    {"quant_constants", "quantization constants", IM_COL32(160, 110, 240, 255)},
    {"adapters", "LoRA adapters", IM_COL32(90, 210, 110, 255)},
    {"gradients", "gradients", IM_COL32(240, 180, 60, 255)},
    {"optimizer_states", "optimizer states", IM_COL32(235, 80, 80, 255)},
    {"activations", "activations", IM_COL32(80, 200, 210, 255)},
};
const MemoryComponent* findComponent(const MemoryReport& r, const char* key) {
  for (const auto& c : r.components)
    if (c.key == key) return &c;
  return nullptr;
}

MemorySettings settingsFor(const MemoryDoc& m, FinetuneMethod method) {
  MemorySettings s;
  s.method = method;
  s.rank = m.rank;
  s.targets = m.targets;
  s.optimizer = m.optimizer;
  s.paged = m.paged;
  s.weightPrecision = m.weightPrecision;
  s.activations = m.activations;
  s.batch = m.batch;
  s.seqLen = m.seqLen;
  s.checkpointing = m.checkpointing;
  s.nf4Blocksize = m.blocksize;
  s.doubleQuant = m.doubleQuant;
  return s;
}

void controls(const MemoryDoc& m, Commands& cmd) {
  const float w = ImGui::GetFontSize() * 10;
  ImGui::SetNextItemWidth(w);
  if (ImGui::BeginCombo("model", m.preset.c_str())) {
    for (const auto& name : modelPresetNames())
      if (ImGui::Selectable(name.c_str(), name == m.preset)) cmd.edit("model", [name](Document& d) { d.memory.preset = name; });
    ImGui::EndCombo();
  }
  ImGui::SameLine();
  int rank = int(m.rank);
  ImGui::SetNextItemWidth(w);
  if (ImGui::SliderInt("LoRA rank", &rank, 1, 256, "%d", ImGuiSliderFlags_Logarithmic))
    cmd.edit("rank", [rank](Document& d) { d.memory.rank = std::uint64_t(rank); });
  ImGui::SameLine();
  bool all = m.targets == kTargetAllLinear;
  if (ImGui::Checkbox("all linear layers (else q, v)", &all))
    cmd.edit("targets", [all](Document& d) { d.memory.targets = all ? kTargetAllLinear : (kTargetQ | kTargetV); });
  int opt = int(m.optimizer);
  ImGui::SetNextItemWidth(w);
  if (ImGui::Combo("optimizer", &opt, kOptimizers, 3)) cmd.edit("optimizer", [opt](Document& d) { d.memory.optimizer = OptimizerKind(opt); });
  ImGui::SameLine();
  bool paged = m.paged;
  if (ImGui::Checkbox("paged optimizer (to CPU)", &paged)) cmd.edit("paged", [paged](Document& d) { d.memory.paged = paged; });
  ImGui::SameLine();
  int prec = int(m.weightPrecision);
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 5);
  if (ImGui::Combo("weights", &prec, kPrecisions, 3))
    cmd.edit("precision", [prec](Document& d) { d.memory.weightPrecision = Precision(prec); });
  int act = int(m.activations);
  ImGui::SetNextItemWidth(w * 1.6f);
  if (ImGui::Combo("activations", &act, kActivations, 2))
    cmd.edit("activations", [act](Document& d) { d.memory.activations = ActivationModel(act); });
  if (m.activations == ActivationModel::Formula) {
    ImGui::SameLine();
    int batch = int(m.batch), seq = int(m.seqLen);
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 4);
    if (ImGui::InputInt("batch", &batch, 0)) cmd.edit("batch", [batch](Document& d) { d.memory.batch = std::uint64_t(std::clamp(batch, 1, 4096)); });
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 5);
    if (ImGui::InputInt("sequence", &seq, 0)) cmd.edit("seq", [seq](Document& d) { d.memory.seqLen = std::uint64_t(std::clamp(seq, 1, 1 << 20)); });
    ImGui::SameLine();
    bool ck = m.checkpointing;
    if (ImGui::Checkbox("gradient checkpointing", &ck)) cmd.edit("checkpointing", [ck](Document& d) { d.memory.checkpointing = ck; });
  }
  bool dq = m.doubleQuant;
  if (ImGui::Checkbox("QLoRA double quantization", &dq)) cmd.edit("double quant", [dq](Document& d) { d.memory.doubleQuant = dq; });
}

void seedTableView() {
  const SeedTable t = seedTable();
  ImGui::TextUnformatted("The seed document's 7B table, as it states it:");
  if (ImGui::BeginTable("seed", 3, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_BordersInnerV)) {
    ImGui::TableSetupColumn("component");
    ImGui::TableSetupColumn("fp16");
    ImGui::TableSetupColumn("\"4-bit\"");
    ImGui::TableHeadersRow();
    for (const auto& r : t.rows) {
      ImGui::TableNextRow();
      ImGui::TableSetColumnIndex(0);
      ImGui::TextUnformatted(r.component.c_str());
      ImGui::TableSetColumnIndex(1);
      ImGui::Text("%.1f GB", r.fp16Gb);
      ImGui::TableSetColumnIndex(2);
      ImGui::Text("%.1f GB", r.fourBitGb);
    }
    ImGui::TableNextRow();
    ImGui::TableSetColumnIndex(0);
    ImGui::TextUnformatted("total");
    ImGui::TableSetColumnIndex(1);
    ImGui::Text("%.1f GB", t.fp16TotalGb);
    ImGui::TableSetColumnIndex(2);
    ImGui::Text("%.1f GB (-%.0f%%)", t.fourBitTotalGb, t.reductionPercent);
    ImGui::EndTable();
  }
  ImGui::TextDisabled("Its assumptions:");
  ImGui::PushTextWrapPos(0.0f);
  for (const auto& a : t.assumptions) {
    ImGui::Bullet();
    ImGui::TextWrapped("%s", a.c_str());
  }
  auto arch = modelPreset("llama-7b");
  auto real = arch ? estimateMemory(*arch, seedComparisonSettings()) : Result<MemoryReport>(fail(arch.error()));
  if (real)
    ImGui::TextColored(ImVec4(0.6f, 0.9f, 0.6f, 1),
                       "What QLoRA really needs for LLaMA-7B (r = 64, all linear layers, NF4 + double quantization, "
                       "paged AdamW, batch 1 x 512, checkpointing): %.1f GB on the GPU + %.1f GB paged to CPU memory.",
                       real->gpuBytes / 1e9, real->cpuBytes / 1e9);
  ImGui::PopTextWrapPos();
}

// Decimal gigabytes, the unit of the seed table (1 GB = 1e9 bytes).
std::string gb(double bytes) {
  char b[32];
  std::snprintf(b, sizeof b, bytes >= 1e9 ? "%.2f GB" : "%.0f MB", bytes >= 1e9 ? bytes / 1e9 : bytes / 1e6);
  return b;
}
}  // namespace

void drawMemoryPanel(const AppState& s, UiState&, Commands& cmd) {
  const MemoryDoc& m = s.doc.memory;
  controls(m, cmd);
  auto arch = modelPreset(m.preset);
  if (!arch) {
    ImGui::TextColored(ImVec4(1, 0.5f, 0.4f, 1), "%s", arch.error().c_str());
    return;
  }
  const FinetuneMethod methods[3] = {FinetuneMethod::Full, FinetuneMethod::LoRA, FinetuneMethod::QLoRA};
  const char* names[3] = {"full fine-tuning", "LoRA", "QLoRA"};
  std::vector<MemoryReport> reports;
  for (FinetuneMethod meth : methods) {
    auto r = estimateMemory(*arch, settingsFor(m, meth));
    if (!r) {
      ImGui::TextColored(ImVec4(1, 0.5f, 0.4f, 1), "%s", r.error().c_str());
      return;
    }
    reports.push_back(std::move(*r));
  }
  double maxTotal = 1;
  for (const auto& r : reports) maxTotal = std::max(maxTotal, r.gpuBytes + r.cpuBytes);
  // Stacked horizontal bars, GPU components then the paged CPU part (outlined).
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float fh = ImGui::GetFontSize();
  const float labelW = fh * 9, barH = fh * 1.6f;
  const float barW = ImGui::GetContentRegionAvail().x - labelW - fh * 8;
  for (std::size_t i = 0; i < reports.size(); ++i) {
    const MemoryReport& r = reports[i];
    const ImVec2 p = ImGui::GetCursorScreenPos();
    dl->AddText(ImVec2(p.x, p.y + fh * 0.3f), IM_COL32(230, 230, 230, 255), names[i]);
    float x = p.x + labelW;
    for (const ComponentStyle& style : kComponents) {
      const MemoryComponent* comp = findComponent(r, style.key);
      if (!comp) continue;
      const float w = float(comp->gpuBytes / maxTotal) * barW;
      if (w <= 0) continue;
      dl->AddRectFilled(ImVec2(x, p.y), ImVec2(x + w, p.y + barH), style.color);
      if (ImGui::IsMouseHoveringRect(ImVec2(x, p.y), ImVec2(x + w, p.y + barH)))
        ImGui::SetTooltip("%s: %s on the GPU\n%s", comp->label.c_str(), gb(comp->gpuBytes).c_str(), comp->note.c_str());
      x += w;
    }
    const float cpuW = float(r.cpuBytes / maxTotal) * barW;
    if (cpuW > 0) dl->AddRect(ImVec2(x, p.y), ImVec2(x + cpuW, p.y + barH), IM_COL32(240, 180, 60, 255), 0, 0, 2.0f);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%.1f GB%s", r.gpuBytes / 1e9, r.cpuBytes > 0 ? " + CPU" : "");
    dl->AddText(ImVec2(x + cpuW + fh * 0.5f, p.y + fh * 0.3f), IM_COL32(230, 230, 230, 255), buf);
    ImGui::Dummy(ImVec2(labelW + barW, barH + fh * 0.4f));
  }
  // Legend, wrapping to the panel width.
  for (std::size_t c = 0; c < std::size(kComponents); ++c) {
    const float itemW = fh * 1.5f + ImGui::CalcTextSize(kComponents[c].label).x + fh;
    if (c && ImGui::GetItemRectMax().x + itemW < ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x) ImGui::SameLine();
    ImGui::ColorButton(kComponents[c].key, ImGui::ColorConvertU32ToFloat4(kComponents[c].color), ImGuiColorEditFlags_NoTooltip,
                       ImVec2(fh, fh));
    ImGui::SameLine();
    ImGui::TextUnformatted(kComponents[c].label);
  }
  ImGui::TextDisabled("outlined: optimizer states paged to CPU memory");
  if (ImGui::BeginTable("mem", 4, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_BordersInnerV)) {
    ImGui::TableSetupColumn("");
    for (const char* n : names) ImGui::TableSetupColumn(n);
    ImGui::TableHeadersRow();
    auto row = [&](const char* label, auto&& value) {
      ImGui::TableNextRow();
      ImGui::TableSetColumnIndex(0);
      ImGui::TextUnformatted(label);
      for (std::size_t i = 0; i < 3; ++i) {
        ImGui::TableSetColumnIndex(int(i) + 1);
        ImGui::TextUnformatted(value(reports[i]).c_str());
      }
    };
    for (const ComponentStyle& style : kComponents)
      row(style.label, [&style](const MemoryReport& r) {
        const MemoryComponent* comp = findComponent(r, style.key);
        return comp ? gb(comp->gpuBytes + comp->cpuBytes) : std::string("-");
      });
    row("GPU total", [](const MemoryReport& r) { return gb(r.gpuBytes); });
    row("CPU (paged)", [](const MemoryReport& r) { return gb(r.cpuBytes); });
    row("trainable", [](const MemoryReport& r) {
      char b[64];
      std::snprintf(b, sizeof b, "%.1f M (%.3f%%)", double(r.trainableParams) / 1e6, r.trainablePercent);
      return std::string(b);
    });
    ImGui::EndTable();
  }
  ImGui::Separator();
  seedTableView();
}

}  // namespace qviz::ui
