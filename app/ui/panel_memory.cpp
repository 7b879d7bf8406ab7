// Memory: what fine-tuning a model needs under full fine-tuning, LoRA and QLoRA, as stacked bars
// by component: the GPU peak with everything resident, the paged optimizer states hatched (CUDA
// unified memory: on the GPU while it fits, evicted to CPU RAM under pressure) and the GPU minimum
// they leave; next to the seed document's 98 GB -> 24.5 GB table, row by row with what is wrong.
// Every figure on the panel comes from the same settings.
#include <imgui.h>

#include <algorithm>
#include <cstdio>
#include <iterator>

#include "ui/panels.hpp"
#include "ui/plot.hpp"

namespace qviz::ui {
using namespace qviz::core;

namespace {
const char* kOptimizers[] = {"AdamW (2 fp32 states)", "8-bit AdamW", "SGD (no state)"};
const char* kPrecisions[] = {"fp32", "fp16", "bf16"};
const char* kAdapterPrecisions[] = {"fp32 (PEFT default)", "fp16", "bf16 (qlora.py)"};
const char* kTraining[] = {"mixed precision", "pure 16-bit"};
const char* kUpcasts[] = {"none", "norms (qlora.py)", "embeddings, lm_head, norms (PEFT)"};
const char* kActivations[] = {"as the seed assumes (= weights)", "GPT layer (Korthikanti et al. 2022)", "LLaMA layer (derived)"};
// Components in a fixed order with fixed colours, so the three bars compare like with like.
struct ComponentStyle {
  const char* key;
  const char* label;
  ImU32 color;
};
constexpr ComponentStyle kComponents[] = {
    {"weights", "weights", IM_COL32(90, 140, 245, 255)},
    {"master_weights", "fp32 master weights", IM_COL32(60, 90, 170, 255)},
    {"quant_constants", "quantization constants", IM_COL32(160, 110, 240, 255)},
    {"adapters", "LoRA adapters", IM_COL32(90, 210, 110, 255)},
    {"gradients", "gradients", IM_COL32(240, 180, 60, 255)},
    {"optimizer_states", "optimizer states", IM_COL32(235, 80, 80, 255)},
    {"activations", "activations (incl. logits)", IM_COL32(80, 200, 210, 255)},
};

MemorySettings settingsFor(const MemoryDoc& m, FinetuneMethod method) {
  MemorySettings s;
  s.method = method;
  s.rank = m.rank;
  s.targets = m.targets;
  s.optimizer = m.optimizer;
  s.paged = m.paged;
  s.weightPrecision = m.weightPrecision;
  s.adapterPrecision = m.adapterPrecision;
  s.mixedPrecision = m.mixedPrecision;
  s.upcast = m.upcast;
  s.activations = m.activations;
  s.batch = m.batch;
  s.seqLen = m.seqLen;
  s.checkpointing = m.checkpointing;
  s.nf4Blocksize = m.blocksize;
  s.doubleQuant = m.doubleQuant;
  return s;
}

// SameLine when an item of `width` (label included) still fits on the current line.
void sameLineIfFits(float width) {
  const ImGuiStyle& st = ImGui::GetStyle();
  const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
  if (ImGui::GetItemRectMax().x + st.ItemSpacing.x + width <= right) ImGui::SameLine();
}
float itemWidth(float frameW, const char* label) {
  return frameW + ImGui::GetStyle().ItemInnerSpacing.x + ImGui::CalcTextSize(label).x;
}
float checkWidth(const char* label) { return itemWidth(ImGui::GetFrameHeight(), label); }
// SetNextItemWidth(w), narrowed so that the item and its label end inside the panel.
void setWidth(float w, const char* label) {
  const float room = ImGui::GetContentRegionAvail().x - ImGui::GetStyle().ItemInnerSpacing.x - ImGui::CalcTextSize(label).x;
  ImGui::SetNextItemWidth(std::max(ImGui::GetFontSize() * 3, std::min(w, room)));
}
// A combo wide enough for its current choice.
float comboWidth(const char* preview) {
  return ImGui::CalcTextSize(preview).x + ImGui::GetFrameHeight() + ImGui::GetStyle().FramePadding.x * 2 + 2;
}

void controls(const MemoryDoc& m, Commands& cmd) {
  const float fh = ImGui::GetFontSize();
  const float w = fh * 8;
  setWidth(w, "model");
  if (ImGui::BeginCombo("model", m.preset.c_str())) {
    for (const auto& name : modelPresetNames())
      if (ImGui::Selectable(name.c_str(), name == m.preset)) cmd.edit("model", [name](Document& d) { d.memory.preset = name; });
    ImGui::EndCombo();
  }
  sameLineIfFits(itemWidth(w, "LoRA rank"));
  int rank = int(m.rank);
  setWidth(w, "LoRA rank");
  if (ImGui::SliderInt("LoRA rank", &rank, 1, 256, "%d", ImGuiSliderFlags_Logarithmic))
    cmd.edit("rank", [rank](Document& d) { d.memory.rank = std::uint64_t(rank); });
  sameLineIfFits(checkWidth("all linear layers (else q, v)"));
  bool all = m.targets == kTargetAllLinear;
  if (ImGui::Checkbox("all linear layers (else q, v)", &all))
    cmd.edit("targets", [all](Document& d) { d.memory.targets = all ? kTargetAllLinear : (kTargetQ | kTargetV); });
  sameLineIfFits(ImGui::CalcTextSize("qlora.py settings").x + ImGui::GetStyle().FramePadding.x * 2);
  if (ImGui::Button("qlora.py settings"))
    cmd.edit("qlora.py settings", [](Document& d) {
      const std::string preset = d.memory.preset;
      d.memory = MemoryDoc{};
      d.memory.preset = preset;
    });
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("artidoro/qlora's qlora.py with --bf16: r=64 on all linear layers, bf16 adapters, norms in fp32,\n"
                      "paged 32-bit AdamW, gradient checkpointing, batch 1 (sequence 512 here)");

  int opt = int(m.optimizer);
  setWidth(comboWidth(kOptimizers[opt]), "optimizer");
  if (ImGui::Combo("optimizer", &opt, kOptimizers, 3)) cmd.edit("optimizer", [opt](Document& d) { d.memory.optimizer = OptimizerKind(opt); });
  sameLineIfFits(checkWidth("paged (bitsandbytes)"));
  bool paged = m.paged;
  if (ImGui::Checkbox("paged (bitsandbytes)", &paged)) cmd.edit("paged", [paged](Document& d) { d.memory.paged = paged; });
  sameLineIfFits(itemWidth(fh * 4.5f, "weights"));
  int prec = int(m.weightPrecision);
  setWidth(fh * 4.5f, "weights");
  if (ImGui::Combo("weights", &prec, kPrecisions, 3))
    cmd.edit("precision", [prec](Document& d) { d.memory.weightPrecision = Precision(prec); });
  int ap = int(m.adapterPrecision);
  sameLineIfFits(itemWidth(comboWidth(kAdapterPrecisions[ap]), "adapters"));
  setWidth(comboWidth(kAdapterPrecisions[ap]), "adapters");
  if (ImGui::Combo("adapters", &ap, kAdapterPrecisions, 3))
    cmd.edit("adapter precision", [ap](Document& d) { d.memory.adapterPrecision = Precision(ap); });

  int tr = m.mixedPrecision ? 0 : 1;
  setWidth(comboWidth(kTraining[tr]), "full fine-tuning");
  if (ImGui::Combo("full fine-tuning", &tr, kTraining, 2))
    cmd.edit("full fine-tuning", [tr](Document& d) { d.memory.mixedPrecision = tr == 0; });
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("mixed precision: 16-bit weights and gradients, an fp32 master copy and fp32 Adam states\n"
                      "(2 + 4 + 2 + 8 = 16 bytes per parameter); pure 16-bit: no master copy (12 bytes)");
  int up = int(m.upcast);
  sameLineIfFits(itemWidth(comboWidth(kUpcasts[up]), "fp32 upcast"));
  setWidth(comboWidth(kUpcasts[up]), "fp32 upcast");
  if (ImGui::Combo("fp32 upcast", &up, kUpcasts, 3)) cmd.edit("upcast", [up](Document& d) { d.memory.upcast = Upcast(up); });
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("PEFT's prepare_model_for_kbit_training casts every unquantized parameter (embeddings, lm_head,\n"
                      "norms) to fp32; qlora.py then casts embeddings and lm_head back to bf16 and keeps the norms in fp32.");
  sameLineIfFits(checkWidth("double quantization"));
  bool dq = m.doubleQuant;
  if (ImGui::Checkbox("double quantization", &dq)) cmd.edit("double quant", [dq](Document& d) { d.memory.doubleQuant = dq; });

  int act = int(m.activations);
  setWidth(comboWidth(kActivations[act]), "activations");
  if (ImGui::Combo("activations", &act, kActivations, 3))
    cmd.edit("activations", [act](Document& d) { d.memory.activations = ActivationModel(act); });
  if (m.activations != ActivationModel::Seed) {
    sameLineIfFits(itemWidth(fh * 3.5f, "batch"));
    int batch = int(m.batch), seq = int(m.seqLen);
    setWidth(fh * 3.5f, "batch");
    if (ImGui::InputInt("batch", &batch, 0)) cmd.edit("batch", [batch](Document& d) { d.memory.batch = std::uint64_t(std::clamp(batch, 1, 4096)); });
    sameLineIfFits(itemWidth(fh * 4.5f, "sequence"));
    setWidth(fh * 4.5f, "sequence");
    if (ImGui::InputInt("sequence", &seq, 0)) cmd.edit("seq", [seq](Document& d) { d.memory.seqLen = std::uint64_t(std::clamp(seq, 1, 1 << 20)); });
    sameLineIfFits(checkWidth("gradient checkpointing"));
    bool ck = m.checkpointing;
    if (ImGui::Checkbox("gradient checkpointing", &ck)) cmd.edit("checkpointing", [ck](Document& d) { d.memory.checkpointing = ck; });
  }
}

// Decimal gigabytes, the unit of the seed table (1 GB = 1e9 bytes).
std::string gb(double bytes) {
  char b[32];
  if (bytes == 0) return "0";
  std::snprintf(b, sizeof b, bytes >= 1e9 ? "%.2f GB" : "%.0f MB", bytes >= 1e9 ? bytes / 1e9 : bytes / 1e6);
  return b;
}

// A table whose cells keep their natural width; when the panel is narrower (presenter mode) it
// scrolls sideways instead of clipping its figures.
bool beginFitTable(const char* id, int columns, int rows) {
  const ImGuiStyle& st = ImGui::GetStyle();
  const float h = float(rows + 1) * (ImGui::GetTextLineHeight() + st.CellPadding.y * 2) + st.ScrollbarSize + 4;
  return ImGui::BeginTable(id, columns,
                           ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollX,
                           ImVec2(0, h));
}

// Diagonal hatching over a rectangle (the pageable part of a bar).
void hatch(ImDrawList* dl, ImVec2 a, ImVec2 b, ImU32 color, float step) {
  dl->PushClipRect(a, b, true);
  const float h = b.y - a.y;
  for (float x = a.x - h; x < b.x; x += step) dl->AddLine(ImVec2(x, b.y), ImVec2(x + h, a.y), color, 1.5f);
  dl->PopClipRect();
}

void seedTableView(const MemoryDoc& m) {
  auto t = seedTable(settingsFor(m, FinetuneMethod::QLoRA));
  if (!t) {
    ImGui::TextColored(ImVec4(1, 0.5f, 0.4f, 1), "%s", t.error().c_str());
    return;
  }
  ImGui::TextUnformatted("The seed document's 7B table, as it states it, next to the real figures");
  ImGui::PushTextWrapPos(0.0f);
  ImGui::TextDisabled("real: LLaMA-7B with the settings above%s, full fine-tuning with the fp32 master copy. Hover a "
                      "seed figure for the seed's sentence.",
                      m.preset == "llama-7b" ? "" : " (the seed's table is about 7B whatever model the bars show)");
  ImGui::PopTextWrapPos();
  if (beginFitTable("seed", 5, int(t->rows.size()) + 2)) {
    ImGui::TableSetupColumn("");
    ImGui::TableSetupColumn("seed fp16");
    ImGui::TableSetupColumn("seed \"4-bit\"");
    ImGui::TableSetupColumn("real full");
    ImGui::TableSetupColumn("real QLoRA");
    ImGui::TableHeadersRow();
    auto opt = [](const std::optional<double>& v) {
      if (v) ImGui::Text("%.1f GB", *v);
      else ImGui::TextDisabled("(missing)");
    };
    for (const auto& r : t->rows) {
      ImGui::TableNextRow();
      ImGui::TableSetColumnIndex(0);
      ImGui::TextUnformatted(r.component.c_str());
      ImGui::TableSetColumnIndex(1);
      opt(r.fp16Gb);
      if (ImGui::IsItemHovered() && !r.fp16Quote.empty()) ImGui::SetTooltip("the seed: \"%s\"", r.fp16Quote.c_str());
      ImGui::TableSetColumnIndex(2);
      opt(r.fourBitGb);
      if (ImGui::IsItemHovered() && !r.fourBitQuote.empty()) ImGui::SetTooltip("the seed: \"%s\"", r.fourBitQuote.c_str());
      ImGui::TableSetColumnIndex(3);
      ImGui::TextUnformatted(gb(r.realFullBytes).c_str());
      ImGui::TableSetColumnIndex(4);
      ImGui::TextUnformatted(gb(r.realQloraBytes).c_str());
    }
    ImGui::TableNextRow();
    ImGui::TableSetColumnIndex(0);
    ImGui::TextUnformatted("total");
    ImGui::TableSetColumnIndex(1);
    ImGui::Text("%.1f GB", t->fp16TotalGb);
    ImGui::TableSetColumnIndex(2);
    ImGui::Text("%.1f GB", t->fourBitTotalGb);
    ImGui::TableSetColumnIndex(3);
    ImGui::TextUnformatted(gb(t->realFullBytes).c_str());
    ImGui::TableSetColumnIndex(4);
    ImGui::TextUnformatted(gb(t->realQloraBytes).c_str());
    ImGui::TableNextRow();
    ImGui::TableSetColumnIndex(0);
    ImGui::TextUnformatted("saving");
    ImGui::TableSetColumnIndex(2);
    ImGui::Text("-%.0f%%", t->reductionPercent);
    ImGui::TableSetColumnIndex(4);
    ImGui::Text("-%.1f%%", t->realSavingPercent);
    ImGui::EndTable();
  }
  ImGui::PushTextWrapPos(0.0f);
  const ImVec4 wrong(1.0f, 0.72f, 0.45f, 1);
  for (const auto& r : t->rows) {
    ImGui::Bullet();
    ImGui::TextColored(wrong, "%s:", r.component.c_str());
    ImGui::SameLine();
    ImGui::TextWrapped("%s", r.verdict.c_str());
  }
  ImGui::Bullet();
  ImGui::TextColored(wrong, "total:");
  ImGui::SameLine();
  ImGui::TextWrapped("%s", t->totalVerdict.c_str());
  ImGui::Bullet();
  ImGui::TextColored(wrong, "paged optimizers:");
  ImGui::SameLine();
  ImGui::TextWrapped("%s", t->pagingVerdict.c_str());
  if (ImGui::TreeNode("The seed's own words (verbatim)")) {
    for (const auto& r : t->rows) {
      if (!r.fp16Quote.empty()) ImGui::TextWrapped("%s, fp16: \"%s\"", r.component.c_str(), r.fp16Quote.c_str());
      if (!r.fourBitQuote.empty()) ImGui::TextWrapped("%s, 4-bit: \"%s\"", r.component.c_str(), r.fourBitQuote.c_str());
    }
    for (const auto& q : t->totalQuotes) ImGui::TextWrapped("total: \"%s\"", q.c_str());
    ImGui::TextWrapped("paged optimizers: \"%s\"", t->pagingQuote.c_str());
    ImGui::TextDisabled("Its assumptions:");
    for (const auto& a : t->assumptions) {
      ImGui::Bullet();
      ImGui::TextWrapped("%s", a.c_str());
    }
    ImGui::TreePop();
  }
  ImGui::PopTextWrapPos();
}
}  // namespace

template <>
void drawPanel<panelId("memory")>(const AppState& s, UiState&, Commands& cmd) {
  const MemoryDoc& m = s.doc.memory;
  controls(m, cmd);
  auto arch = modelPreset(m.preset);
  if (!arch) {
    ImGui::TextColored(ImVec4(1, 0.5f, 0.4f, 1), "%s", arch.error().c_str());
    return;
  }
  const FinetuneMethod methods[3] = {FinetuneMethod::Full, FinetuneMethod::LoRA, FinetuneMethod::QLoRA};
  const char* names[3] = {m.mixedPrecision ? "full (mixed)" : "full (pure 16-bit)", "LoRA", "QLoRA"};
  std::vector<MemoryReport> reports;
  for (FinetuneMethod meth : methods) {
    auto r = estimateMemory(*arch, settingsFor(m, meth));
    if (!r) {
      ImGui::TextColored(ImVec4(1, 0.5f, 0.4f, 1), "%s", r.error().c_str());
      return;
    }
    reports.push_back(std::move(*r));
  }
  ImGui::Spacing();
  double maxTotal = 1;
  for (const auto& r : reports) maxTotal = std::max(maxTotal, r.gpuPeakBytes);
  // The text after each bar: peak, and with paging what can leave the GPU.
  std::string tails[3];
  float tailW = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    const MemoryReport& r = reports[i];
    tails[i] = gb(r.gpuPeakBytes) + " peak";
    if (r.pageableBytes > 0) tails[i] += ", " + gb(r.gpuMinBytes) + " min";
    tailW = std::max(tailW, ImGui::CalcTextSize(tails[i].c_str()).x);
  }
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float fh = ImGui::GetFontSize();
  float labelW = 0;
  for (const char* n : names) labelW = std::max(labelW, ImGui::CalcTextSize(n).x);
  labelW += fh;
  const float barH = fh * 1.6f;
  const float avail = ImGui::GetContentRegionAvail().x;
  // The figures go right of the bars, or under them when the panel is narrow (presenter mode).
  const bool below = avail - labelW - tailW - fh < fh * 8;
  const float barW = below ? std::max(fh * 4, avail - labelW) : avail - labelW - tailW - fh;
  for (std::size_t i = 0; i < reports.size(); ++i) {
    const MemoryReport& r = reports[i];
    const ImVec2 p = ImGui::GetCursorScreenPos();
    dl->AddText(ImVec2(p.x, p.y + (barH - fh) * 0.5f), IM_COL32(230, 230, 230, 255), names[i]);
    float x = p.x + labelW;
    for (const ComponentStyle& style : kComponents) {
      const MemoryComponent* comp = r.find(style.key);
      if (!comp) continue;
      const float w = float(comp->bytes / maxTotal) * barW;
      if (w <= 0) continue;
      dl->AddRectFilled(ImVec2(x, p.y), ImVec2(x + w, p.y + barH), style.color);
      if (comp->pageableBytes > 0) {
        const float pw = float(comp->pageableBytes / maxTotal) * barW;
        hatch(dl, ImVec2(x + w - pw, p.y), ImVec2(x + w, p.y + barH), IM_COL32(255, 255, 255, 200), fh * 0.5f);
      }
      if (ImGui::IsMouseHoveringRect(ImVec2(x, p.y), ImVec2(x + w, p.y + barH)))
        ImGui::SetTooltip("%s: %s%s%s\n%s", comp->label.c_str(), gb(comp->bytes).c_str(), comp->pageableBytes > 0 ? ", pageable " : "",
                          comp->pageableBytes > 0 ? gb(comp->pageableBytes).c_str() : "", comp->note.c_str());
      x += w;
    }
    const ImVec2 tailAt = below ? ImVec2(p.x, p.y + barH + fh * 0.15f)
                                : ImVec2(p.x + labelW + barW + fh * 0.5f, p.y + (barH - fh) * 0.5f);
    dl->AddText(tailAt, IM_COL32(230, 230, 230, 255), tails[i].c_str());
    ImGui::Dummy(ImVec2(labelW + barW, barH + fh * (below ? 1.4f : 0.3f)));
  }
  {
    // The bars' scale: 1-2-5 ticks in GB under them.
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const double maxGb = maxTotal / 1e9;
    const plot::Ticks t = plot::niceTicks(0, maxGb, plot::maxTicksFor(barW, ImGui::CalcTextSize("000.0").x + fh * 0.5f));
    const ImU32 col = IM_COL32(175, 175, 180, 255);
    const float x0 = p.x + labelW;
    dl->AddLine(ImVec2(x0, p.y), ImVec2(x0 + barW, p.y), col);
    for (double v : t.values) {
      const float x = x0 + float(v / maxGb) * barW;
      const std::string label = plot::formatTick(v, t.decimals);
      dl->AddLine(ImVec2(x, p.y), ImVec2(x, p.y + fh * 0.3f), col);
      dl->AddText(ImVec2(std::min(x - ImGui::CalcTextSize(label.c_str()).x * 0.5f, x0 + barW - ImGui::CalcTextSize(label.c_str()).x),
                         p.y + fh * 0.3f),
                  col, label.c_str());
    }
    const char* title = "GPU memory (GB, 1 GB = 10^9 bytes)";
    dl->AddText(ImVec2(x0 + (barW - ImGui::CalcTextSize(title).x) * 0.5f, p.y + fh * 1.4f), col, title);
    ImGui::Dummy(ImVec2(labelW + barW, fh * 2.7f));
  }
  // Legend, wrapping to the panel width.
  for (std::size_t c = 0; c < std::size(kComponents); ++c) {
    const float itemW = fh * 1.5f + ImGui::CalcTextSize(kComponents[c].label).x + fh;
    if (c) sameLineIfFits(itemW);
    ImGui::ColorButton(kComponents[c].key, ImGui::ColorConvertU32ToFloat4(kComponents[c].color), ImGuiColorEditFlags_NoTooltip,
                       ImVec2(fh, fh));
    ImGui::SameLine();
    ImGui::TextUnformatted(kComponents[c].label);
  }
  ImGui::PushTextWrapPos(0.0f);
  ImGui::TextDisabled(
      "Hatched: paged optimizer states (bitsandbytes: tensors of 1e5+ values, in CUDA unified memory). They are on the "
      "GPU while it fits and are prefetched to it before every optimizer step; only when the GPU runs short does the "
      "driver move them to CPU RAM (\"min\"). Paging lets a run survive memory spikes; it does not shrink the steady state.");
  ImGui::PopTextWrapPos();

  if (beginFitTable("mem", 4, int(std::size(kComponents)) + 4)) {
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
        const MemoryComponent* comp = r.find(style.key);
        return comp ? gb(comp->bytes) : std::string("-");
      });
    row("GPU peak", [](const MemoryReport& r) { return gb(r.gpuPeakBytes); });
    row("pageable", [](const MemoryReport& r) { return gb(r.pageableBytes); });
    row("GPU min", [](const MemoryReport& r) { return gb(r.gpuMinBytes); });
    row("trainable", [](const MemoryReport& r) {
      char b[64];
      std::snprintf(b, sizeof b, "%.1f M, %.2f%%", double(r.trainableParams) / 1e6, r.trainablePercent);
      return std::string(b);
    });
    ImGui::EndTable();
  }
  ImGui::PushTextWrapPos(0.0f);
  if (m.activations == ActivationModel::Seed) {
    ImGui::TextDisabled("Activations: the seed's assumption (as large as the weights); no logits.");
  } else {
    const ActivationDetail& d = reports[2].activation;
    ImGui::TextDisabled(
        "Activations: %s (s = sequence, b = batch, h = hidden, i = MLP width, a = heads), %s per layer for QLoRA; logits "
        "b x s x vocab in 16 bits plus their fp32 copy for the loss, %s. %s Korthikanti et al.'s sbh(34 + 5as/h) is "
        "for a GPT layer (4h GeLU MLP, dropout); LLaMA's layer (SwiGLU, RMSNorm, no dropout) is 16sbh + 8sbi + 2as^2b. "
        "Not counted: backward temporaries, the loss's own fp32 temporaries.",
        d.formula.c_str(), gb(d.perLayer).c_str(), gb(d.logits).c_str(),
        m.checkpointing ? "With checkpointing: every layer's input plus the larger of one recomputed layer and the logits."
                        : "Without checkpointing: every layer plus the logits.");
  }
  ImGui::PopTextWrapPos();
  ImGui::Separator();
  seedTableView(m);
}

}  // namespace qviz::ui
