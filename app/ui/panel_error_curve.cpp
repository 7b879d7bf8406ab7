// Error against bits panel: PSNR and SSIM of every rounding mode and dither at every depth on the
// current image, computed by the CPU reference core on a worker (ui/error_curve_job.hpp), with the
// current setting marked. Hover a point for its values; click it to use that setting.
// The axes are drawn by a small local helper; ui/plot.hpp (the shared plotting helper, on another
// branch) should replace it on merge.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "metrics/error_curve.hpp"
#include "ui/error_curve_job.hpp"
#include "ui/panels.hpp"

namespace qviz::ui {
using namespace qviz::core;

namespace {
// One colour per curve (errorCurveModes() order); the two dithers are drawn dashed.
const ImU32 kColours[] = {
    IM_COL32(90, 170, 255, 255),  IM_COL32(255, 150, 60, 255),  IM_COL32(110, 210, 110, 255),
    IM_COL32(240, 90, 90, 255),   IM_COL32(195, 135, 255, 255), IM_COL32(240, 215, 80, 255),
    IM_COL32(80, 225, 225, 255),
};
bool dashed(CurveMode m) { return m.dither != Dither::None; }

// 1, 2 or 5 x 10^k: the smallest such step that gives at most maxTicks ticks over `range`.
double niceStep(double range, int maxTicks) {
  if (!(range > 0)) return 1;
  const double raw = range / std::max(1, maxTicks - 1);
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= raw * (1 - 1e-9)) return m * p;
  return 10 * p;
}
int decimalsFor(double step) { return step >= 1 ? 0 : int(std::ceil(-std::log10(step) - 1e-9)); }

struct Plot {
  ImVec2 min, max;  // the data area
  double xlo, xhi, ylo, yhi;
  float sx(double x) const { return min.x + float((x - xlo) / (xhi - xlo)) * (max.x - min.x); }
  float sy(double y) const { return max.y - float((y - ylo) / (yhi - ylo)) * (max.y - min.y); }
};

void dashedLine(ImDrawList* dl, ImVec2 a, ImVec2 b, ImU32 c, float thick, float dash) {
  const float dx = b.x - a.x, dy = b.y - a.y, len = std::sqrt(dx * dx + dy * dy);
  if (len <= 0) return;
  for (float t = 0; t < len; t += 2 * dash) {
    const float t1 = std::min(len, t + dash);
    dl->AddLine(ImVec2(a.x + dx * t / len, a.y + dy * t / len), ImVec2(a.x + dx * t1 / len, a.y + dy * t1 / len), c, thick);
  }
}

// Frame, grid, ticks with labels, the y title above the plot and "bits" under the x labels.
// Returns the data area inside the margins of the item rectangle [p0, p0 + size).
Plot axes(ImDrawList* dl, ImVec2 p0, ImVec2 size, int maxBits, double ylo, double yhi, double ystep,
          const char* yTitle) {
  const float fs = ImGui::GetFontSize(), lh = ImGui::GetTextLineHeight();
  const int dec = decimalsFor(ystep);
  char buf[32];
  float labelW = 0;
  for (double v = std::ceil(ylo / ystep - 1e-9) * ystep; v <= yhi + ystep * 1e-9; v += ystep) {
    std::snprintf(buf, sizeof buf, "%.*f", dec, std::abs(v) < ystep * 1e-9 ? 0.0 : v);
    labelW = std::max(labelW, ImGui::CalcTextSize(buf).x);
  }
  Plot p;
  p.min = ImVec2(p0.x + labelW + fs * 0.6f, p0.y + lh * 1.3f);
  p.max = ImVec2(p0.x + size.x - fs * 0.8f, p0.y + size.y - lh * 2.3f);
  p.xlo = 0.5;
  p.xhi = maxBits + 0.5;
  p.ylo = ylo;
  p.yhi = yhi;
  const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text), faint = IM_COL32(255, 255, 255, 28),
              frame = IM_COL32(255, 255, 255, 90);
  dl->AddRectFilled(p.min, p.max, IM_COL32(22, 22, 27, 255));
  dl->AddText(ImVec2(p0.x, p0.y), text, yTitle);
  for (double v = std::ceil(ylo / ystep - 1e-9) * ystep; v <= yhi + ystep * 1e-9; v += ystep) {
    const float y = p.sy(v);
    dl->AddLine(ImVec2(p.min.x, y), ImVec2(p.max.x, y), faint);
    dl->AddLine(ImVec2(p.min.x - fs * 0.25f, y), ImVec2(p.min.x, y), frame);
    std::snprintf(buf, sizeof buf, "%.*f", dec, std::abs(v) < ystep * 1e-9 ? 0.0 : v);
    const ImVec2 ts = ImGui::CalcTextSize(buf);
    dl->AddText(ImVec2(p.min.x - fs * 0.35f - ts.x, y - ts.y * 0.5f), text, buf);
  }
  // A label at every bit when they fit, else at every second one (1, 3, 5... for 16-bit images).
  const float perBit = (p.max.x - p.min.x) / float(maxBits);
  const int every = perBit >= ImGui::CalcTextSize("16").x * 1.8f ? 1 : 2;
  for (int b = 1; b <= maxBits; ++b) {
    const float x = p.sx(b);
    dl->AddLine(ImVec2(x, p.max.y), ImVec2(x, p.max.y + fs * 0.25f), frame);
    if ((b - 1) % every) continue;
    dl->AddLine(ImVec2(x, p.min.y), ImVec2(x, p.max.y), faint);
    std::snprintf(buf, sizeof buf, "%d", b);
    const ImVec2 ts = ImGui::CalcTextSize(buf);
    dl->AddText(ImVec2(x - ts.x * 0.5f, p.max.y + fs * 0.3f), text, buf);
  }
  const ImVec2 bs = ImGui::CalcTextSize("bits per sample");
  dl->AddText(ImVec2((p.min.x + p.max.x - bs.x) * 0.5f, p.max.y + fs * 0.3f + lh), text, "bits per sample");
  dl->AddRect(p.min, p.max, frame);
  return p;
}

struct Hit {
  std::size_t mode = 0;
  int bits = 0;
  float dist2 = 1e30f;
};

// One plot of PSNR (which = 0) or SSIM (which = 1) for every curve. Returns the point under the
// mouse, if any.
std::optional<Hit> curvePlot(const char* id, ImVec2 size, const ErrorCurves& c, int which,
                             std::optional<std::size_t> currentMode, int currentBits, std::optional<std::size_t> highlight) {
  ImGui::PushID(id);
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton("plot", size);
  const bool hovered = ImGui::IsItemHovered();
  ImGui::PopID();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const auto& modes = errorCurveModes();
  auto value = [&](const CurvePoint& p) -> std::optional<double> {
    if (which == 0) return p.hasMse ? p.psnrDb : std::nullopt;
    return p.hasSsim ? p.ssim : std::nullopt;
  };
  // The y range from the values computed so far. PSNR: from the depths below the image's own (its
  // last depth is the identity or close to it, 100+ dB, which would flatten every other point); a
  // point above the scale sits on the top edge, a filled triangle, an identical one a hollow one.
  double lo = 1e300, hi = -1e300;
  bool identical = false, above = false;
  for (const auto& curve : c.points)
    for (std::size_t i = 0; i < curve.size(); ++i) {
      const CurvePoint& p = curve[i];
      if (which == 0 && p.hasMse && !p.psnrDb) identical = true;
      if (which == 0 && c.maxBits > 1 && int(i) + 1 == c.maxBits) continue;
      if (auto v = value(p)) {
        lo = std::min(lo, *v);
        hi = std::max(hi, *v);
      }
    }
  double ylo, yhi, step;
  const float plotH = size.y - ImGui::GetTextLineHeight() * 3.6f;
  const int maxTicks = std::clamp(int(plotH / (ImGui::GetTextLineHeight() * 1.25f)) + 1, 3, 11);
  if (which == 0) {
    if (lo > hi) {  // nothing computed yet
      lo = 0;
      hi = 50;
    }
    step = niceStep(hi - std::min(0.0, lo), maxTicks);
    ylo = std::min(0.0, std::floor(lo / step) * step);
    yhi = std::ceil(hi / step) * step;
    if (yhi - hi < step * 0.15) yhi += step;  // room on top for the marks on the edge
  } else {
    ylo = lo <= hi ? std::min(0.0, std::floor(lo * 10) / 10) : 0.0;
    yhi = 1.0;
    step = niceStep(yhi - ylo, maxTicks);
  }
  const Plot p = axes(dl, p0, size, c.maxBits, ylo, yhi, step, which == 0 ? "PSNR (dB), higher is better" : "SSIM (1 = identical)");
  const float fs = ImGui::GetFontSize(), r = std::max(2.5f, fs * 0.2f), thick = std::max(1.5f, fs * 0.12f);
  dl->PushClipRect(ImVec2(p.min.x - r * 2, p.min.y - r * 2), ImVec2(p.max.x + r * 2, p.max.y + r * 2), true);
  // The current depth: a vertical band.
  if (currentBits >= 1 && currentBits <= c.maxBits) {
    const float x = p.sx(currentBits), half = (p.sx(2) - p.sx(1)) * 0.3f;
    dl->AddRectFilled(ImVec2(x - half, p.min.y), ImVec2(x + half, p.max.y), IM_COL32(255, 255, 255, 18));
  }
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  Hit best;
  for (std::size_t m = 0; m < modes.size(); ++m) {
    const ImU32 col = kColours[m % std::size(kColours)];
    const bool hl = highlight == m;
    const float t = hl ? thick * 2.2f : thick;
    std::optional<ImVec2> prev;
    for (int b = 1; b <= c.maxBits; ++b) {
      const CurvePoint& pt = c.points[m][std::size_t(b - 1)];
      std::optional<ImVec2> at;
      const std::optional<double> v = value(pt);
      const bool offScale = which == 0 && v && *v > yhi;  // (SSIM: at most 1, up to float rounding)
      if (v) at = ImVec2(p.sx(b), p.sy(std::min(*v, yhi)));
      else if (which == 0 && pt.hasMse) at = ImVec2(p.sx(b), p.sy(yhi));  // identical: on the top edge
      above = above || offScale;
      if (!at) {
        prev.reset();
        continue;
      }
      if (prev) {
        if (dashed(modes[m])) dashedLine(dl, *prev, *at, col, t, fs * 0.45f);
        else dl->AddLine(*prev, *at, col, t);
      }
      const ImVec2 t0(at->x, at->y - r * 1.6f), t1(at->x - r * 1.4f, at->y + r), t2(at->x + r * 1.4f, at->y + r);
      if (which == 0 && !pt.psnrDb) {
        dl->AddTriangle(t0, t1, t2, col, thick);  // no error: PSNR is infinite
      } else if (offScale) {
        dl->AddTriangleFilled(t0, t1, t2, col);  // above the scale (hover for the value)
      } else {
        dl->AddCircleFilled(*at, hl ? r * 1.4f : r, col);
      }
      if (currentMode == m && currentBits == b) {
        dl->AddCircle(*at, r * 2.4f, IM_COL32(255, 255, 255, 255), 0, thick);
        dl->AddCircle(*at, r * 3.2f, IM_COL32(0, 0, 0, 200), 0, thick * 0.8f);
      }
      if (hovered) {
        const float dx = at->x - mouse.x, dy = at->y - mouse.y, d2 = dx * dx + dy * dy;
        if (d2 < best.dist2) best = {m, b, d2};
      }
      prev = at;
    }
  }
  dl->PopClipRect();
  if (identical || above) {
    const char* note = identical && above ? "on the top edge: hollow = identical, filled = higher (hover)"
                       : identical        ? "hollow triangles on the top edge: identical, no error"
                                          : "filled triangles on the top edge: higher (hover)";
    const ImVec2 ts = ImGui::CalcTextSize(note);
    if (ts.x < p.max.x - p.min.x - fs)
      dl->AddText(ImVec2(p.min.x + fs * 0.4f, p.min.y + fs * 0.3f), ImGui::GetColorU32(ImGuiCol_TextDisabled), note);
  }
  if (which == 1 && !c.points.empty() && c.points[0][0].hasSsim && !c.points[0][0].ssim) {
    const char* note = "SSIM needs at least 11x11 pixels";
    dl->AddText(ImVec2(p.min.x + fs, (p.min.y + p.max.y) * 0.5f), ImGui::GetColorU32(ImGuiCol_TextDisabled), note);
  }
  const float pick = fs * 0.9f;
  if (hovered && best.dist2 <= pick * pick) return best;
  return std::nullopt;
}

std::string describe(const CurvePoint& p) {
  char buf[160];
  std::string s;
  if (!p.hasMse) return "not computed yet";
  if (p.psnrDb) std::snprintf(buf, sizeof buf, "PSNR %.4f dB   MSE %.4f", *p.psnrDb, p.mse);
  else std::snprintf(buf, sizeof buf, "PSNR: none, identical to the original (MSE 0)");
  s = buf;
  if (!p.hasSsim) s += "   SSIM: computing...";
  else if (p.ssim) {
    std::snprintf(buf, sizeof buf, "   SSIM %.6f", *p.ssim);
    s += buf;
  } else s += "   SSIM: n/a (smaller than 11x11)";
  return s;
}
}  // namespace

template <>
void drawPanel<panelId("error-curve")>(const AppState& s, UiState&, Commands& cmd) {
  const Derived& d = s.derived;
  if (d.image.empty()) {
    ImGui::TextDisabled("no image");
    return;
  }
  if (d.image.type == SampleType::F32) {
    ImGui::TextDisabled("float images have no uniform quantizer curve");
    return;
  }
  if (!d.errorCurve) return;
  const ErrorCurveJob& j = *d.errorCurve;
  const ErrorCurves& c = j.curves;
  if (c.points.empty()) {
    ImGui::TextDisabled("starting...");
    return;
  }
  const auto& modes = errorCurveModes();
  const UniformSettings& q = s.doc.quant;
  const std::optional<std::size_t> currentMode = curveModeIndex(q);
  ImGui::PushTextWrapPos(0.0f);
  // The current setting, with the numbers of the Metrics panel.
  if (currentMode) {
    const CurvePoint* p = c.at(*currentMode, q.bits);
    ImGui::Text("current: %d bit%s, %s%s  --  %s", q.bits, q.bits == 1 ? "" : "s",
                curveModeLabel(modes[*currentMode]).c_str(), q.gray ? " (luma)" : "", p ? describe(*p).c_str() : "");
  } else if (q.rounding == Rounding::User) {
    ImGui::TextDisabled("current: the user shader (GPU only: no CPU curve to mark)");
  } else {
    ImGui::TextDisabled("current: per-channel depths %d/%d/%d lie on no curve (every curve uses one depth for all channels)",
                        q.bitsFor(0), q.bitsFor(1), q.bitsFor(2));
  }
  // Where the numbers come from and how far along they are.
  const std::size_t done = c.stepsDone(), total = c.steps();
  char size[64];
  std::snprintf(size, sizeof size, "%dx%d, %d channel%s", j.width, j.height, j.channels, j.channels == 1 ? "" : "s");
  if (!j.error.empty()) {
    ImGui::TextColored(ImVec4(1, 0.45f, 0.4f, 1), "cannot compute the curves: %s", j.error.c_str());
  } else if (done < total) {
    const bool ssimPhase = done >= total / 2;
    ImGui::Text("computing on the CPU (full image, %s): %s, %zu of %zu", size,
                ssimPhase ? "SSIM of every point" : "MSE and PSNR of every point", ssimPhase ? done - total / 2 : done,
                total / 2);
    if (!j.running) {
      ImGui::SameLine();
      ImGui::TextDisabled("(paused)");
    }
  } else {
    ImGui::TextDisabled("CPU reference core, full image (%s): %zu points in %.1f s", size, total / 2, j.elapsedMs / 1000.0);
  }
  ImGui::PopTextWrapPos();
  // Legend: a swatch per curve (dashed: dithered); hovering an entry highlights its curve.
  std::optional<std::size_t> highlight;
  const float fs = ImGui::GetFontSize();
  for (std::size_t m = 0; m < modes.size(); ++m) {
    const std::string label = curveModeLabel(modes[m]);
    const float w = fs * 1.8f + ImGui::CalcTextSize(label.c_str()).x;
    if (m > 0) {
      const float right = ImGui::GetItemRectMax().x + ImGui::GetStyle().ItemSpacing.x * 2 + w;
      if (right < ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x) ImGui::SameLine(0, ImGui::GetStyle().ItemSpacing.x * 2);
    }
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    ImGui::PushID(int(m));
    ImGui::InvisibleButton("legend", ImVec2(w, ImGui::GetTextLineHeight()));
    ImGui::PopID();
    if (ImGui::IsItemHovered()) highlight = m;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float y = p0.y + ImGui::GetTextLineHeight() * 0.5f, t = std::max(1.5f, fs * 0.14f);
    const ImU32 col = kColours[m];
    if (dashed(modes[m])) dashedLine(dl, ImVec2(p0.x, y), ImVec2(p0.x + fs * 1.4f, y), col, t, fs * 0.3f);
    else dl->AddLine(ImVec2(p0.x, y), ImVec2(p0.x + fs * 1.4f, y), col, t);
    dl->AddCircleFilled(ImVec2(p0.x + fs * 0.7f, y), std::max(2.5f, fs * 0.2f), col);
    dl->AddText(ImVec2(p0.x + fs * 1.8f, p0.y), highlight == m ? IM_COL32(255, 255, 255, 255) : ImGui::GetColorU32(ImGuiCol_Text),
                label.c_str());
  }
  // The two plots side by side when the panel is wide, else one above the other.
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float gap = ImGui::GetStyle().ItemSpacing.x * 2;
  const bool sideBySide = avail.x > avail.y * 1.6f;
  const float minH = ImGui::GetTextLineHeight() * 8;
  ImVec2 plotSize = sideBySide ? ImVec2((avail.x - gap) * 0.5f, std::max(minH, avail.y))
                               : ImVec2(avail.x, std::max(minH, (avail.y - ImGui::GetStyle().ItemSpacing.y) * 0.5f));
  const std::optional<std::size_t> mark = currentMode;
  std::optional<Hit> hit = curvePlot("psnr", plotSize, c, 0, mark, q.bits, highlight);
  if (sideBySide) ImGui::SameLine(0, gap);
  if (auto h2 = curvePlot("ssim", plotSize, c, 1, mark, q.bits, highlight)) hit = h2;
  if (hit) {
    const CurvePoint& p = *c.at(hit->mode, hit->bits);
    ImGui::BeginTooltip();
    ImGui::Text("%s, %d bit%s%s", curveModeLabel(modes[hit->mode]).c_str(), hit->bits, hit->bits == 1 ? "" : "s",
                q.gray ? " (luma)" : "");
    ImGui::TextUnformatted(describe(p).c_str());
    ImGui::TextDisabled("click: use this setting");
    ImGui::EndTooltip();
    if (ImGui::IsMouseClicked(ImGuiMouseButton_Left)) {
      const CurveMode m = modes[hit->mode];
      const int bits = hit->bits;
      cmd.edit("use error-curve point", [m, bits](Document& doc) {
        doc.quant.bits = bits;
        doc.quant.channelBits = {0, 0, 0};
        doc.quant.rounding = m.rounding;
        doc.quant.dither = m.dither;
      });
    }
  }
}

}  // namespace qviz::ui
