// Image quantization panel: the controls of the uniform quantizer, the original and quantized
// views (side by side, split, error heatmap, flicker), zoom/pan and a pixel inspector.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "ui/gpu_engine.hpp"
#include "ui/derived.hpp"
#include "ui/panels.hpp"
#include "ui/plot.hpp"
#include "ui/shader_watch.hpp"
#include "ui/widgets.hpp"

namespace qviz::ui {
using namespace qviz::core;

namespace {
const char* kRoundingLabels[] = {"nearest (round half to even)", "truncate (floor)", "stochastic (hash of x, y, c, seed)",
                                 "seed: the original app's formula", "user shader (shaders/user/quantizer.glsl, GPU)",
                                 "drop (v >> (depth - bits))"};
const char* kDitherLabels[] = {"none", "ordered (Bayer 8x8)", "Floyd-Steinberg (CPU only)"};
const char* kPathLabels[] = {"GPU compute", "GPU fragment", "CPU reference"};
const char* kChannelLabels[] = {"R bits", "G bits", "B bits"};
const char* kViewLabels[] = {"Side by side", "Split", "Error", "Flicker"};

void controls(const AppState& s, Commands& cmd) {
  const UniformSettings& q = s.doc.quant;
  const int maxBits = s.derived.image.empty() ? 8 : s.derived.image.bitDepth();
  bool perChannel = q.channelBits[0] > 0;
  ImGui::PushItemWidth(ImGui::GetFontSize() * 14);
  if (!perChannel) {
    int bits = q.bits;
    if (ImGui::SliderInt("bits", &bits, 1, maxBits, bitsFormat(bits)))
      cmd.edit("set bits", [bits](Document& d) { d.quant.bits = bits; });
  } else {
    for (int c = 0; c < 3; ++c) {
      int b = q.bitsFor(c);
      if (ImGui::SliderInt(kChannelLabels[c], &b, 1, maxBits, bitsFormat(b)))
        cmd.edit("set channel bits", [c, b](Document& d) { d.quant.channelBits[std::size_t(c)] = b; });
    }
  }
  ImGui::SameLine();
  if (ImGui::Checkbox("per channel", &perChannel))
    cmd.edit("per-channel bits", [perChannel](Document& d) {
      d.quant.channelBits = perChannel ? std::array<int, 3>{d.quant.bits, d.quant.bits, d.quant.bits}
                                       : std::array<int, 3>{0, 0, 0};
    });
  int rounding = int(q.rounding);
  if (ImGui::Combo("rounding", &rounding, kRoundingLabels, 6))
    cmd.edit("set rounding", [rounding](Document& d) {
      d.quant.rounding = Rounding(rounding);
      if (d.quant.rounding != Rounding::Nearest) d.quant.dither = Dither::None;
    });
  int dither = int(q.dither);
  if (ImGui::Combo("dither", &dither, kDitherLabels, 3))
    cmd.edit("set dither", [dither](Document& d) {
      d.quant.dither = Dither(dither);
      if (d.quant.dither != Dither::None) d.quant.rounding = Rounding::Nearest;
    });
  if (q.rounding == Rounding::Stochastic) {
    int seed = int(q.seed);
    if (ImGui::InputInt("seed", &seed)) cmd.edit("set seed", [seed](Document& d) { d.quant.seed = std::uint32_t(std::max(0, seed)); });
  }
  bool gray = q.gray;
  if (ImGui::Checkbox("grayscale (integer luma)", &gray)) cmd.edit("grayscale", [gray](Document& d) { d.quant.gray = gray; });
  ImGui::SameLine();
  int path = int(s.doc.path);
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
  const bool userOnGpu = q.rounding == Rounding::User && s.derived.view.onGpu();
  if (ImGui::BeginCombo("path", computePathLabel(s.doc.path, userOnGpu))) {
    for (int i = 0; i < 3; ++i)
      if (ImGui::Selectable(kPathLabels[i], i == path)) cmd.edit("set path", [i](Document& d) { d.path = ComputePath(i); });
    ImGui::EndCombo();
  }
  if (userOnGpu && s.doc.path == ComputePath::Cpu && ImGui::IsItemHovered())
    ImGui::SetTooltip("the user shader has no CPU version: it runs on the GPU whatever the path says");
  ImGui::PopItemWidth();
  ImGui::PushTextWrapPos(0.0f);  // the notes below wrap to the panel (presenter mode doubles the font)
  if (q.rounding == Rounding::Seed)
    ImGui::TextColored(ImVec4(1, 0.75f, 0.3f, 1),
                       "The original app's formula floor(x/256*(2^b-1))/(2^b-1)*255: it never reaches white, "
                       "8 bits is not the identity, and 1 bit is all black.");
  if (q.rounding == Rounding::Drop) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.6f, 0.8f, 1, 1));
    ImGui::TextWrapped("Bit dropping: code = v >> (depth - bits), shown on the same levels as the other modes. "
                       "It is not truncation: it cuts the range into 2^bits equal bins, and its code differs from "
                       "floor(v*(L-1)/max) for 120 to 127 of the 256 byte values; at 1 and 7 bits it equals nearest.");
    ImGui::PopStyleColor();
  }
  if (q.rounding == Rounding::User) {
    ImGui::TextColored(ImVec4(0.6f, 0.8f, 1, 1), "userQuantize(x, bits) from %s runs on the GPU; edit it in the "
                                                 "Shaders panel or any editor, the image follows on save.",
                       s.doc.userShaderFile.c_str());
    if (ImGui::SmallButton("Shaders panel")) cmd.action("open shaders panel", [](AppState& st) { st.ui.open.shaders = true; });
  }
  if (q.dither == Dither::FloydSteinberg)
    ImGui::TextColored(ImVec4(0.6f, 0.8f, 1, 1), "Floyd-Steinberg diffuses each error to later pixels: it is serial, so "
                                                 "it runs on the CPU whatever the path.");
  ImGui::PopTextWrapPos();
  int view = int(s.doc.view);
  for (int i = 0; i < 4; ++i) {
    if (i) ImGui::SameLine();
    if (ImGui::RadioButton(kViewLabels[i], view == i)) cmd.edit("set view", [i](Document& d) { d.view = ViewMode(i); });
  }
  if (s.doc.view == ViewMode::Error) {
    ImGui::SameLine();
    float gain = s.doc.errorGain;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
    if (ImGui::SliderFloat("gain", &gain, 1.0f, 64.0f, "x%.0f", ImGuiSliderFlags_Logarithmic))
      cmd.edit("error gain", [gain](Document& d) { d.errorGain = gain; });
    ImGui::SameLine();
    bool sgn = s.doc.errorSigned;
    if (ImGui::Checkbox("signed", &sgn)) cmd.edit("signed error", [sgn](Document& d) { d.errorSigned = sgn; });
  }
}

// Where the inspector's tooltip goes: beside the cursor and inside the image panel (`panelMin` to
// `panelMax`, below its title bar), so it never covers another panel's title bar or plot. Right of
// and below the cursor when that fits, else left of or above it.
ImVec2 inspectorPosition(ImVec2 mouse, ImVec2 size, ImVec2 panelMin, ImVec2 panelMax) {
  const float gap = ImGui::GetFontSize() * 1.2f;
  ImVec2 p(mouse.x + gap, mouse.y + gap);
  if (p.x + size.x > panelMax.x) p.x = mouse.x - gap - size.x;
  if (p.y + size.y > panelMax.y) p.y = mouse.y - gap - size.y;
  p.x = std::max(panelMin.x, std::min(p.x, panelMax.x - size.x));
  p.y = std::max(panelMin.y, std::min(p.y, panelMax.y - size.y));
  return p;
}

void inspector(const AppState& s, ImVec2 px) {
  const QuantizedView& v = s.derived.view;
  if (v.reference.empty()) return;
  // Floyd-Steinberg depends on every earlier pixel: only its CPU result can be inspected.
  const bool fs = s.doc.quant.dither == Dither::FloydSteinberg;
  if (fs && !v.reference.sameShape(v.quantized)) return;
  const int x = int(px.x), y = int(px.y);
  if (x >= v.reference.width || y >= v.reference.height) return;
  std::vector<std::string> lines;
  char buf[160];
  std::snprintf(buf, sizeof buf, "pixel (%d, %d)", x, y);
  lines.push_back(buf);
  const char* names = v.reference.colorChannels() == 1 ? "Y" : "RGB";
  if (s.doc.quant.rounding == Rounding::User) {
    // No CPU formula for the user shader: read the few quantized bytes back from the GPU.
    const auto gpuPx = v.onGpu() && s.derived.gpu ? s.derived.gpu->quantizedPixel(x, y) : core::Result<std::vector<std::uint32_t>>(fail("no result"));
    for (int c = 0; c < v.reference.colorChannels(); ++c) {
      const std::uint32_t o = v.reference.at(x, y, c);
      if (gpuPx && std::size_t(c) < gpuPx->size())
        std::snprintf(buf, sizeof buf, "%c  original %5u   user shader %5u   error %+d", names[c], o, (*gpuPx)[std::size_t(c)],
                      int((*gpuPx)[std::size_t(c)]) - int(o));
      else std::snprintf(buf, sizeof buf, "%c  original %5u   (no user shader result)", names[c], o);
      lines.push_back(buf);
    }
  } else {
    for (int c = 0; c < v.reference.colorChannels(); ++c) {
      const std::uint32_t o = v.reference.at(x, y, c);
      const auto k = uniformConstants(s.doc.quant.bitsFor(c), v.reference.vmax());
      // The same per-sample formula the CPU core and the shaders use (no read-back needed).
      const std::uint32_t code = fs ? quantizeCode(v.quantized.at(x, y, c), k, Rounding::Nearest, Dither::None, 0, 0, 0, 0)
                                    : quantizeCode(o, k, s.doc.quant.rounding, s.doc.quant.dither, std::uint32_t(x),
                                                   std::uint32_t(y), std::uint32_t(c), s.doc.quant.seed);
      const std::uint32_t qv = fs ? v.quantized.at(x, y, c) : dequantizeCode(code, k, s.doc.quant.rounding);
      std::snprintf(buf, sizeof buf, "%c  original %5u   code %5u / %u   quantized %5u   error %+d", names[c], o, code,
                    k.levels - 1, qv, int(qv) - int(o));
      lines.push_back(buf);
    }
  }
  // The tooltip's size from its text, to place it before it is drawn.
  const ImGuiStyle& st = ImGui::GetStyle();
  ImVec2 size(0, st.WindowPadding.y * 2 + float(lines.size()) * ImGui::GetTextLineHeightWithSpacing() - st.ItemSpacing.y);
  for (const auto& l : lines) size.x = std::max(size.x, ImGui::CalcTextSize(l.c_str()).x);
  size.x += st.WindowPadding.x * 2;
  const ImVec2 wp = ImGui::GetWindowPos(), ws = ImGui::GetWindowSize();
  const ImVec2 panelMin(wp.x, wp.y + ImGui::GetFrameHeight()), panelMax(wp.x + ws.x, wp.y + ws.y);
  ImGui::SetNextWindowPos(inspectorPosition(ImGui::GetIO().MousePos, size, panelMin, panelMax));
  ImGui::BeginTooltip();
  for (const auto& l : lines) ImGui::TextUnformatted(l.c_str());
  ImGui::EndTooltip();
}
}  // namespace

template <>
void drawPanel<panelId("image")>(const AppState& s, UiState& ui, Commands& cmd) {
  controls(s, cmd);
  const QuantizedView& v = s.derived.view;
  const ImageMetrics& m = v.metrics;
  char psnr[32];
  if (m.psnrDb) std::snprintf(psnr, sizeof psnr, "%.2f dB", *m.psnrDb);
  else std::snprintf(psnr, sizeof psnr, "identical");
  if (v.fallback()) ImGui::TextColored(ImVec4(1, 0.3f, 1, 1), "no result: the user shader does not compile");
  else {
    // The figures flow onto a second line in a narrow panel (presenter mode), each one whole.
    char b[4][64];
    std::snprintf(b[0], sizeof b[0], "PSNR %s  ", psnr);
    std::snprintf(b[1], sizeof b[1], "SSIM %.4f  ", m.ssim.value_or(1.0));
    std::snprintf(b[2], sizeof b[2], "levels %u   %.2f:1  ", m.levelsUsed, m.storage.compressionRatio);
    std::snprintf(b[3], sizeof b[3], "on %s in %.1f ms", v.computedOn.c_str(), v.elapsedMs);
    plot::flowText({b[0], b[1], b[2], b[3]}, ImGui::GetStyleColorVec4(ImGuiCol_Text));
  }
  const float buttonsW = ImGui::CalcTextSize("fit 1:1").x + ImGui::GetStyle().FramePadding.x * 4 + ImGui::GetStyle().ItemSpacing.x * 2;
  if (ImGui::GetItemRectMax().x + buttonsW <= ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x) ImGui::SameLine();
  if (ImGui::SmallButton("fit")) ui.zoom = ui.panX = ui.panY = 0;
  ImGui::SameLine();
  if (ImGui::SmallButton("1:1")) {
    ui.zoom = 1;
    ui.panX = ui.panY = 0;
  }
  // Live coding: a view whose shader failed to rebuild shows the last good program's result.
  if (v.onGpu() || v.fallback()) {
    const StaleInfo stale = staleShaders(s, imageViewPrograms(s));
    // Wrapped: the error's file:line must stay readable at twice the font (presenter mode).
    ImGui::PushTextWrapPos(0.0f);
    if (v.fallback()) ImGui::TextColored(ImVec4(1, 0.3f, 1, 1), "MAGENTA: the user shader has never compiled: %s",
                                       stale.firstError.c_str());
    else if (stale.any())
      ImGui::TextColored(ImVec4(1, 0.8f, 0.35f, 1), "STALE: showing the last good shader; %s", stale.firstError.c_str());
    ImGui::PopTextWrapPos();
  }
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  ImageViewState view{ui.zoom, ui.panX, ui.panY};
  // The textures to show: the GPU engine's when the result was computed there.
  const GpuEngine* g = v.onGpu() ? s.derived.gpu.get() : nullptr;
  auto ref = [](const gpu::RgbaTexture& t) { return TexRef{t.id(), t.width(), t.height()}; };
  const TexRef original = g ? ref(g->originalTexture()) : v.original.ref();
  const TexRef result = g ? ref(g->resultTexture()) : v.result.ref();
  const TexRef error = g ? ref(g->errorTexture()) : v.error.ref();
  std::optional<ImVec2> hovered;
  switch (s.doc.view) {
    case ViewMode::SideBySide: {
      // Side by side or one above the other, whichever shows the image larger (a wide image in a
      // tall panel goes one above the other, instead of floating with empty space above and below).
      const float label = ImGui::GetTextLineHeightWithSpacing(), gap = ImGui::GetStyle().ItemSpacing.x;
      const float tw = float(std::max(1, original.width)), th = float(std::max(1, original.height));
      const float across = std::min((avail.x - gap) * 0.5f / tw, (avail.y - label) / th);
      const float stacked = std::min(avail.x / tw, (avail.y - ImGui::GetStyle().ItemSpacing.y) * 0.5f / th - label / th);
      const bool vertical = stacked > across;
      ImVec2 cell = vertical ? ImVec2(avail.x, (avail.y - ImGui::GetStyle().ItemSpacing.y) * 0.5f - label)
                             : ImVec2((avail.x - gap) * 0.5f, avail.y - label);
      // Fitted, the views are as tall as the images (the labels right above them, the room that is
      // left in one piece under both); zoomed, they take the whole cell.
      if (ui.zoom <= 0) {
        const float fit = std::max(across, stacked);
        cell = ImVec2(std::max(4.0f, std::min(cell.x, std::ceil(tw * fit))), std::max(4.0f, std::min(cell.y, std::ceil(th * fit))));
      }
      ImGui::BeginGroup();
      ImGui::TextUnformatted(s.doc.quant.gray ? "original (luma)" : "original");
      auto a = imageView("orig", original, cell, view);
      ImGui::EndGroup();
      if (!vertical) ImGui::SameLine();
      ImGui::BeginGroup();
      ImGui::Text("quantized: %d bit%s, %s", s.doc.quant.bits, s.doc.quant.bits == 1 ? "" : "s", roundingName(s.doc.quant.rounding));
      auto b = imageView("quant", result, cell, view);
      ImGui::EndGroup();
      hovered = a.hoveredPixel ? a.hoveredPixel : b.hoveredPixel;
      break;
    }
    case ViewMode::Split:
      ImGui::TextUnformatted("original | quantized   (drag the divider, or shift-drag anywhere)");
      hovered = imageView("split", original, ImGui::GetContentRegionAvail(), view, result, &ui.splitPos).hoveredPixel;
      break;
    case ViewMode::Error: {
      // The map (app/gpu/error_map.hpp), per colour channel with e = quantized - original:
      // absolute min(255, |e| gain >> shift), signed 128 + (e gain >> shift); shift 8 for 16-bit images.
      const gpu::ErrorMapSettings es = errorMapSettings(s.doc);
      const double unit = (v.reference.type == SampleType::U16 ? 256.0 : 1.0) / double(es.gain);
      ImGui::PushTextWrapPos(0.0f);
      if (s.doc.errorSigned)
        ImGui::Text("signed error x%u, each colour channel on its own: mid-grey = no error, darker = quantized below "
                    "the original, brighter = above", es.gain);
      else
        ImGui::Text("absolute error x%u, each colour channel on its own: black = no error, brighter = larger", es.gain);
      ImGui::PopTextWrapPos();
      const plot::Range range = s.doc.errorSigned ? plot::Range{-128.0 * unit, 127.0 * unit} : plot::Range{0.0, 255.0 * unit};
      plot::drawColourBarH("error scale", std::min(ImGui::GetContentRegionAvail().x, ImGui::GetFontSize() * 36), range,
                           plot::grayMap, s.doc.errorSigned ? "quantized - original" : "|quantized - original|",
                           "sample values");
      hovered = imageView("error", error, ImGui::GetContentRegionAvail(), view).hoveredPixel;
      break;
    }
    case ViewMode::Flicker: {
      const bool showOriginal = std::fmod(ui.now, 1.2) < 0.6;
      ImGui::Text("flicker: now showing %s", showOriginal ? "ORIGINAL" : "QUANTIZED");
      hovered = imageView("flicker", showOriginal ? original : result, ImGui::GetContentRegionAvail(), view).hoveredPixel;
      break;
    }
  }
  if (hovered) inspector(s, *hovered);
}

}  // namespace qviz::ui
