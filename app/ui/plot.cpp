// The plotting helper: 1-2-5 ticks, axes, line charts and colour bars on ImDrawList.
#include "ui/plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace qviz::ui::plot {
namespace {
constexpr ImU32 kBackground = IM_COL32(20, 20, 24, 255);
constexpr ImU32 kFrame = IM_COL32(120, 120, 130, 255);
constexpr ImU32 kGrid = IM_COL32(255, 255, 255, 22);
constexpr ImU32 kText = IM_COL32(175, 175, 180, 255);

// 10^e, exact for |e| <= 22 (a product of tens, or one division by it).
double pow10i(int e) {
  double p = 1;
  for (int i = 0; i < std::abs(e); ++i) p *= 10;
  return e >= 0 ? p : 1.0 / p;
}
// m x 10^e computed so that it is the double nearest the decimal value (0.3, not 0.30000000000000004).
double scaled(double m, int e) { return e >= 0 ? m * pow10i(e) : m / pow10i(-e); }

// Digits after the point that print v exactly, up to 10.
int decimalsOf(double v) {
  for (int d = 0; d < 10; ++d) {
    const double s = v * pow10i(d);
    if (std::fabs(s - std::round(s)) <= 1e-9 * std::max(1.0, std::fabs(s))) return d;
  }
  return 10;
}

std::map<std::string, Range>& drawnBars() {
  static std::map<std::string, Range> bars;
  return bars;
}
}  // namespace

Ticks niceTicks(double lo, double hi, int maxTicks) {
  Ticks t;
  if (!std::isfinite(lo) || !std::isfinite(hi)) return t;
  if (lo > hi) std::swap(lo, hi);
  maxTicks = std::max(2, maxTicks);
  if (lo == hi) {
    t.values = {lo};
    t.decimals = decimalsOf(lo);
    return t;
  }
  const double span = hi - lo;
  int e = int(std::floor(std::log10(span / double(maxTicks)))) - 1;
  static const double kMantissas[3] = {1, 2, 5};
  for (int guard = 0; guard < 40; ++guard, ++e) {
    for (double m : kMantissas) {
      const double step = scaled(m, e);
      const double first = std::ceil(lo / step - 1e-9), last = std::floor(hi / step + 1e-9);
      if (last - first + 1 > double(maxTicks)) continue;
      t.step = step;
      for (double i = first; i <= last; i += 1) t.values.push_back(e >= 0 ? i * step : (i * m) / pow10i(-e));
      t.decimals = std::max(0, -e);
      return t;
    }
  }
  return t;
}

Ticks logTicks(double lo, double hi, int maxTicks) {
  Ticks t;
  if (!std::isfinite(lo) || !std::isfinite(hi) || lo <= 0 || hi <= 0) return t;
  if (lo > hi) std::swap(lo, hi);
  maxTicks = std::max(2, maxTicks);
  const int e0 = int(std::ceil(std::log10(lo) - 1e-9)), e1 = int(std::floor(std::log10(hi) + 1e-9));
  const int decades = e1 - e0 + 1;
  if (decades >= 2) {
    const int stride = (decades + maxTicks - 1) / maxTicks;
    t.step = stride;
    for (int e = e0; e <= e1; e += stride) {
      t.values.push_back(pow10i(e));
      t.decimals = std::max(t.decimals, std::max(0, -e));
    }
    return t;
  }
  // Less than two powers of ten inside: 1, 2 and 5 times each power, or 1 and 5 when those are
  // too many.
  const int eLow = int(std::floor(std::log10(lo) + 1e-9));
  for (const std::vector<double>& mantissas : {std::vector<double>{1, 2, 5}, std::vector<double>{1, 5}}) {
    t = Ticks{};
    for (int e = eLow; e <= e1 + 1; ++e)
      for (double m : mantissas) {
        const double v = scaled(m, e);
        if (v >= lo * (1 - 1e-12) && v <= hi * (1 + 1e-12)) {
          t.values.push_back(v);
          t.decimals = std::max(t.decimals, std::max(0, -e));
        }
      }
    if (t.values.size() >= 2 && t.values.size() <= std::size_t(maxTicks)) return t;
  }
  return niceTicks(lo, hi, maxTicks);
}

std::string formatTick(double v, int decimals) {
  char buf[48];
  if (v != 0 && (std::fabs(v) >= 1e6 || std::fabs(v) < 1e-4)) std::snprintf(buf, sizeof buf, "%.3g", v);
  else std::snprintf(buf, sizeof buf, "%.*f", std::clamp(decimals, 0, 10), v);
  std::string s = buf;
  if (s[0] == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);
  return s;
}

std::string axisTitle(const char* label, const char* unit) {
  std::string s = label ? label : "";
  if (unit && *unit) s += std::string(" (") + unit + ")";
  return s;
}

Range dataRange(const double* values, std::size_t n) {
  Range r;
  bool any = false;
  for (std::size_t i = 0; i < n; ++i) {
    const double v = values[i];
    if (!std::isfinite(v)) continue;
    if (!any) r.lo = r.hi = v, any = true;
    r.lo = std::min(r.lo, v);
    r.hi = std::max(r.hi, v);
  }
  return r;
}

double axisFraction(double v, double lo, double hi, Scale scale) {
  switch (scale) {
    case Scale::Log10: {
      if (lo <= 0 || hi <= 0 || lo == hi) return 0.5;
      const double l = std::log10(lo), h = std::log10(hi);
      return (std::log10(std::max(v, lo)) - l) / (h - l);
    }
    case Scale::Sqrt:
      if (hi <= lo) return 0.5;
      return std::sqrt(std::max(0.0, v - lo)) / std::sqrt(hi - lo);
    case Scale::Linear:
    default:
      if (hi == lo) return 0.5;
      return (v - lo) / (hi - lo);
  }
}

Ticks axisTicks(double lo, double hi, Scale scale, int maxTicks) {
  if (scale == Scale::Log10) return logTicks(lo, hi, maxTicks);
  if (scale == Scale::Sqrt && hi > lo) {
    // Evenly spread on the axis: lo + t^2 for 1-2-5 ticks t of [0, sqrt(hi - lo)] (0, 10000, 40000).
    Ticks t = niceTicks(0, std::sqrt(hi - lo), maxTicks);
    for (double& v : t.values) v = lo + v * v;
    t.step = 0;
    t.decimals = std::min(10, t.decimals * 2);
    return t;
  }
  return niceTicks(lo, hi, maxTicks);
}

int maxTicksFor(float length, float labelSize) {
  if (!(labelSize > 0) || !(length > 0)) return 2;
  return std::clamp(int(length / (labelSize * 2.0f)) + 1, 2, 12);
}

std::vector<int> labelRows(const std::vector<float>& centres, const std::vector<float>& widths, float gap, int maxRows) {
  std::vector<int> rows(centres.size(), -1);
  std::vector<float> rowEnd(std::size_t(std::max(0, maxRows)), -1e30f);
  for (std::size_t i = 0; i < centres.size() && i < widths.size(); ++i) {
    const float left = centres[i] - widths[i] * 0.5f;
    for (std::size_t r = 0; r < rowEnd.size(); ++r)
      if (left >= rowEnd[r] + gap) {
        rows[i] = int(r);
        rowEnd[r] = left + widths[i];
        break;
      }
  }
  return rows;
}

float plotHeight(float lines, bool fill, float reserveBelow) {
  const float fs = ImGui::GetFontSize();
  const float left = ImGui::GetContentRegionAvail().y - reserveBelow;
  float h = lines * fs;
  if (fill) h = std::max(h, left);
  h = std::min(h, left);
  return std::max(h, 4.0f * fs);
}

float wrapPosition() { return ImGui::GetContentRegionMax().x; }

void flowText(const std::vector<std::string>& pieces, ImVec4 colour) {
  const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
  const float space = ImGui::CalcTextSize(" ").x;
  ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, ImVec2(space, ImGui::GetStyle().ItemSpacing.y));
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (i && ImGui::GetItemRectMax().x + space + ImGui::CalcTextSize(pieces[i].c_str()).x <= right) ImGui::SameLine();
    ImGui::TextColored(colour, "%s", pieces[i].c_str());
  }
  ImGui::PopStyleVar();
}

void flowWords(const std::string& text, ImVec4 colour) {
  std::vector<std::string> words;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t j = std::min(text.find(' ', i), text.size());
    if (j > i) words.push_back(text.substr(i, j - i));
    i = j + 1;
  }
  flowText(words, colour);
}

// ---- Axes ----

Axes::Axes(const char* id, ImVec2 size, const AxisSpec& x, const AxisSpec& y) : m_x(x), m_y(y) {
  const float fs = ImGui::GetFontSize();
  size.x = std::max(size.x, fs * 6);
  size.y = std::max(size.y, fs * 4);
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImGui::PushID(id);
  ImGui::InvisibleButton("plot", size);
  ImGui::PopID();
  const bool itemHovered = ImGui::IsItemHovered();
  m_dl = ImGui::GetWindowDrawList();

  // Vertical layout: a line for the y title on top, the tick labels and the x title below.
  const std::string yTitle = axisTitle(y.label, y.unit), xTitle = axisTitle(x.label, x.unit);
  // Titles wider than the plot wrap (at twice the font they would be cut); the margins grow with them.
  const ImVec2 yTitleSize = ImGui::CalcTextSize(yTitle.c_str(), nullptr, false, size.x);
  const ImVec2 xTitleSize = ImGui::CalcTextSize(xTitle.c_str(), nullptr, false, size.x);
  const float top = p0.y + (yTitle.empty() ? fs * 0.5f : yTitleSize.y + fs * 0.3f);
  const float bottom = p0.y + size.y - (xTitle.empty() ? fs * 1.3f : fs * 1.5f + xTitleSize.y);
  const int yMax = y.maxTicks > 0 ? y.maxTicks : maxTicksFor(bottom - top, fs * 0.8f);
  const Ticks yt = axisTicks(y.lo, y.hi, y.scale, yMax);
  float labelW = 0;
  if (y.ticks)
    for (double v : yt.values) labelW = std::max(labelW, ImGui::CalcTextSize(formatTick(v, yt.decimals).c_str()).x);
  m_min = ImVec2(p0.x + labelW + fs * 0.6f, top);
  m_max = ImVec2(p0.x + size.x - fs * 0.8f, bottom);

  // x ticks: as many as their labels allow.
  int xMax = x.maxTicks;
  if (xMax <= 0) {
    const Ticks guess = axisTicks(x.lo, x.hi, x.scale, 10);
    float w = fs;
    for (double v : guess.values) w = std::max(w, ImGui::CalcTextSize(formatTick(v, guess.decimals).c_str()).x);
    xMax = maxTicksFor(m_max.x - m_min.x, w * 0.75f + fs * 0.5f);
  }
  const Ticks xt = axisTicks(x.lo, x.hi, x.scale, xMax);

  m_dl->AddRectFilled(m_min, m_max, kBackground);
  // y ticks (labels that would overlap the previous one are left out).
  float lastY = 1e30f;
  for (double v : y.ticks ? yt.values : std::vector<double>{}) {
    const float py = sy(v);
    if (py < m_min.y - 1 || py > m_max.y + 1) continue;
    if (y.grid) m_dl->AddLine(ImVec2(m_min.x, py), ImVec2(m_max.x, py), kGrid);
    m_dl->AddLine(ImVec2(m_min.x - fs * 0.3f, py), ImVec2(m_min.x, py), kFrame);
    if (lastY - py < fs * 1.05f) continue;
    const std::string s = formatTick(v, yt.decimals);
    const ImVec2 ts = ImGui::CalcTextSize(s.c_str());
    m_dl->AddText(ImVec2(m_min.x - fs * 0.4f - ts.x, std::clamp(py - ts.y * 0.5f, p0.y, m_max.y - ts.y * 0.5f)), kText, s.c_str());
    lastY = py;
  }
  float lastRight = -1e30f;
  for (double v : x.ticks ? xt.values : std::vector<double>{}) {
    const float px = sx(v);
    if (px < m_min.x - 1 || px > m_max.x + 1) continue;
    if (x.grid) m_dl->AddLine(ImVec2(px, m_min.y), ImVec2(px, m_max.y), kGrid);
    m_dl->AddLine(ImVec2(px, m_max.y), ImVec2(px, m_max.y + fs * 0.3f), kFrame);
    const std::string s = formatTick(v, xt.decimals);
    const float w = ImGui::CalcTextSize(s.c_str()).x;
    const float lx = std::clamp(px - w * 0.5f, p0.x, p0.x + size.x - w);
    if (lx < lastRight + fs * 0.5f) continue;
    m_dl->AddText(ImVec2(lx, m_max.y + fs * 0.3f), kText, s.c_str());
    lastRight = lx + w;
  }
  if (!yTitle.empty()) m_dl->AddText(ImGui::GetFont(), fs, ImVec2(p0.x, p0.y), kText, yTitle.c_str(), nullptr, size.x);
  if (!xTitle.empty()) {
    const float w = xTitleSize.x;
    m_dl->AddText(ImGui::GetFont(), fs, ImVec2(std::max(p0.x, std::min((m_min.x + m_max.x - w) * 0.5f, p0.x + size.x - w)), m_max.y + fs * 1.45f),
                  kText, xTitle.c_str(), nullptr, size.x);
  }
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  m_hovered = itemHovered && mouse.x >= m_min.x && mouse.x <= m_max.x && mouse.y >= m_min.y && mouse.y <= m_max.y;
  m_dl->PushClipRect(m_min, m_max, true);
}

Axes::~Axes() { end(); }

void Axes::end() {
  if (m_ended) return;
  m_ended = true;
  m_dl->PopClipRect();
  m_dl->AddRect(m_min, m_max, kFrame);
}

float Axes::sx(double x) const {
  return m_min.x + float(axisFraction(x, m_x.lo, m_x.hi, m_x.scale)) * (m_max.x - m_min.x);
}
float Axes::sy(double y) const {
  return m_max.y - float(axisFraction(y, m_y.lo, m_y.hi, m_y.scale)) * (m_max.y - m_min.y);
}
double Axes::dataX(float screenX) const {
  const double f = double((screenX - m_min.x) / std::max(1.0f, m_max.x - m_min.x));
  if (m_x.scale == Scale::Log10 && m_x.lo > 0 && m_x.hi > 0)
    return std::pow(10.0, std::log10(m_x.lo) + f * (std::log10(m_x.hi) - std::log10(m_x.lo)));
  return m_x.lo + f * (m_x.hi - m_x.lo);
}
float Axes::mouseX() const { return std::clamp(ImGui::GetIO().MousePos.x, m_min.x, m_max.x); }

void Axes::line(const std::vector<double>& xs, const std::vector<double>& ys, ImU32 colour, float thickness) {
  if (ys.size() < 2) {
    if (ys.size() == 1) m_dl->AddCircleFilled(at(xs.empty() ? 0.0 : xs[0], ys[0]), thickness * 1.5f, colour);
    return;
  }
  std::vector<ImVec2> pts;
  pts.reserve(ys.size());
  for (std::size_t i = 0; i < ys.size(); ++i) {
    if (!std::isfinite(ys[i])) continue;
    pts.push_back(at(i < xs.size() ? xs[i] : double(i), ys[i]));
  }
  // One polyline per 4096 points keeps ImGui's 16-bit index buffers happy.
  for (std::size_t i = 0; i + 1 < pts.size(); i += 4095)
    m_dl->AddPolyline(pts.data() + i, int(std::min<std::size_t>(4096, pts.size() - i)), colour, 0, thickness);
}

void Axes::hLine(double y, ImU32 colour, const char* label, float thickness) {
  const float py = sy(y);
  m_dl->AddLine(ImVec2(m_min.x, py), ImVec2(m_max.x, py), colour, thickness);
  if (label && *label) {
    const ImVec2 ts = ImGui::CalcTextSize(label);
    const float ly = py - ts.y - 2 < m_min.y ? py + 2 : py - ts.y - 2;
    m_dl->AddText(ImVec2(m_max.x - ts.x - 4, ly), colour, label);
  }
}

void Axes::vLine(double x, ImU32 colour, float thickness) {
  const float px = sx(x);
  m_dl->AddLine(ImVec2(px, m_min.y), ImVec2(px, m_max.y), colour, thickness);
}

void Axes::legend(const std::vector<std::pair<std::string, ImU32>>& entries) {
  if (entries.empty()) return;
  const float fs = ImGui::GetFontSize();
  float w = 0;
  for (const auto& e : entries) w = std::max(w, ImGui::CalcTextSize(e.first.c_str()).x);
  const ImVec2 a(m_max.x - w - fs * 2.0f, m_min.y + fs * 0.3f);
  const ImVec2 b(m_max.x - fs * 0.3f, a.y + float(entries.size()) * fs * 1.15f + fs * 0.3f);
  m_dl->AddRectFilled(a, b, IM_COL32(20, 20, 24, 210), 3.0f);
  float yy = a.y + fs * 0.15f;
  for (const auto& e : entries) {
    m_dl->AddLine(ImVec2(a.x + fs * 0.3f, yy + fs * 0.55f), ImVec2(a.x + fs * 1.2f, yy + fs * 0.55f), e.second, 2.5f);
    m_dl->AddText(ImVec2(a.x + fs * 1.5f, yy), kText, e.first.c_str());
    yy += fs * 1.15f;
  }
}

void lineChart(const char* id, ImVec2 size, const std::vector<Series>& series, const AxisSpec& x, const AxisSpec& y) {
  Axes ax(id, size, x, y);
  std::vector<std::pair<std::string, ImU32>> names;
  static const std::vector<double> kNone;
  for (const Series& s : series) {
    if (!s.y) continue;
    ax.line(s.x ? *s.x : kNone, *s.y, s.colour, s.thickness);
    if (!s.name.empty()) names.emplace_back(s.name, s.colour);
  }
  if (names.size() > 1) ax.legend(names);
  if (!ax.hovered()) return;
  const double mx = ax.dataX(ax.mouseX());
  ax.drawList()->AddLine(ImVec2(ax.mouseX(), ax.min().y), ImVec2(ax.mouseX(), ax.max().y), IM_COL32(255, 255, 255, 90));
  ImGui::BeginTooltip();
  bool first = true;
  for (const Series& s : series) {
    if (!s.y || s.y->empty()) continue;
    // The point nearest the mouse in x.
    std::size_t best = 0;
    double bestD = 1e300;
    for (std::size_t i = 0; i < s.y->size(); ++i) {
      const double xi = s.x && i < s.x->size() ? (*s.x)[i] : double(i);
      if (std::fabs(xi - mx) < bestD) bestD = std::fabs(xi - mx), best = i;
    }
    const double xb = s.x && best < s.x->size() ? (*s.x)[best] : double(best);
    if (first) ImGui::Text("%s %g", axisTitle(x.label, x.unit).c_str(), xb);
    first = false;
    ImGui::ColorButton("##c", ImGui::ColorConvertU32ToFloat4(s.colour), ImGuiColorEditFlags_NoTooltip,
                       ImVec2(ImGui::GetFontSize() * 0.7f, ImGui::GetFontSize() * 0.7f));
    ImGui::SameLine();
    ImGui::Text("%s%s%.6g %s", s.name.c_str(), s.name.empty() ? "" : ": ", (*s.y)[best], y.unit);
  }
  ImGui::EndTooltip();
}

// ---- Colour bars ----

ImU32 grayMap(float t) {
  const int v = int(std::lround(std::clamp(t, 0.0f, 1.0f) * 255.0f));
  return IM_COL32(v, v, v, 255);
}

namespace {
void stripV(ImDrawList* dl, ImVec2 a, ImVec2 b, ColourMap map) {
  const int n = 64;
  for (int i = 0; i < n; ++i) {
    const float y0 = b.y - (b.y - a.y) * float(i) / n, y1 = b.y - (b.y - a.y) * float(i + 1) / n;
    const ImU32 c0 = map(float(i) / n), c1 = map(float(i + 1) / n);
    dl->AddRectFilledMultiColor(ImVec2(a.x, y1), ImVec2(b.x, y0), c1, c1, c0, c0);
  }
}
void stripH(ImDrawList* dl, ImVec2 a, ImVec2 b, ColourMap map) {
  const int n = 64;
  for (int i = 0; i < n; ++i) {
    const float x0 = a.x + (b.x - a.x) * float(i) / n, x1 = a.x + (b.x - a.x) * float(i + 1) / n;
    const ImU32 c0 = map(float(i) / n), c1 = map(float(i + 1) / n);
    dl->AddRectFilledMultiColor(ImVec2(x0, a.y), ImVec2(x1, b.y), c0, c1, c1, c0);
  }
}
// A colour bar's ticks: 1-2-5 ones, or its two ends when fewer than two of those fall inside.
Ticks barTicks(Range range, int maxTicks) {
  Ticks t = niceTicks(range.lo, range.hi, maxTicks);
  if (t.values.size() >= 2 || !(range.hi > range.lo)) return t;
  t.values = {range.lo, range.hi};
  t.step = range.hi - range.lo;
  // Enough decimals to tell the ends apart (3 significant digits of the larger end).
  const double mag = std::max(std::fabs(range.lo), std::fabs(range.hi));
  t.decimals = std::clamp(2 - int(std::floor(std::log10(mag))), 0, 10);
  return t;
}

float tickLabelWidth(const Ticks& t) {
  float w = 0;
  for (double v : t.values) w = std::max(w, ImGui::CalcTextSize(formatTick(v, t.decimals).c_str()).x);
  return w;
}
}  // namespace

float colourBarWidth(Range range, const char* label, const char* unit) {
  const float fs = ImGui::GetFontSize();
  const Ticks t = barTicks(range, 6);
  const float bar = fs * 1.0f + fs * 0.4f + tickLabelWidth(t) + fs * 0.3f;
  return std::max(bar, ImGui::CalcTextSize(axisTitle(label, unit).c_str()).x + fs * 0.3f);
}

void drawColourBar(const char* id, float height, Range range, ColourMap map, const char* label, const char* unit) {
  drawnBars()[id] = range;
  const float fs = ImGui::GetFontSize();
  const float width = colourBarWidth(range, label, unit);
  height = std::max(height, fs * 5);
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImGui::PushID(id);
  ImGui::InvisibleButton("colourbar", ImVec2(width, height));
  ImGui::PopID();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const std::string title = axisTitle(label, unit);
  dl->AddText(p0, kText, title.c_str());
  const ImVec2 a(p0.x, p0.y + fs * 1.4f), b(p0.x + fs, p0.y + height - fs * 0.6f);
  stripV(dl, a, b, map);
  dl->AddRect(a, b, kFrame);
  const Ticks t = barTicks(range, maxTicksFor(b.y - a.y, fs * 1.1f));
  float lastY = 1e30f;
  for (double v : t.values) {
    const float y = b.y - float(axisFraction(v, range.lo, range.hi, Scale::Linear)) * (b.y - a.y);
    dl->AddLine(ImVec2(b.x, y), ImVec2(b.x + fs * 0.3f, y), kFrame);
    if (lastY - y < fs * 1.05f) continue;
    dl->AddText(ImVec2(b.x + fs * 0.4f, y - fs * 0.5f), kText, formatTick(v, t.decimals).c_str());
    lastY = y;
  }
}

void drawColourBarH(const char* id, float width, Range range, ColourMap map, const char* label, const char* unit) {
  drawnBars()[id] = range;
  const float fs = ImGui::GetFontSize();
  const std::string title = axisTitle(label, unit);
  // The title left of the strip, or above it when that leaves the strip under 8 text heights.
  const bool above = width < ImGui::CalcTextSize(title.c_str()).x + fs * 0.6f + fs * 8;
  const float titleW = above ? 0.0f : ImGui::CalcTextSize(title.c_str()).x + fs * 0.6f;
  width = std::max(width, fs * 6);
  ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImGui::PushID(id);
  ImGui::InvisibleButton("colourbar", ImVec2(width, fs * (above ? 3.3f : 2.1f)));
  ImGui::PopID();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddText(ImGui::GetFont(), fs, ImVec2(p0.x, p0.y + fs * 0.1f), kText, title.c_str(), nullptr, width);
  if (above) p0.y += fs * 1.2f;
  // Half a label of room at both ends, so the end labels stay inside.
  const Ticks guess = barTicks(range, 8);
  const float half = tickLabelWidth(guess) * 0.5f;
  const ImVec2 a(p0.x + titleW + half, p0.y + fs * 0.15f), b(p0.x + width - half - 2, p0.y + fs * 0.95f);
  stripH(dl, a, b, map);
  dl->AddRect(a, b, kFrame);
  const Ticks t = barTicks(range, maxTicksFor(b.x - a.x, tickLabelWidth(guess) * 0.75f + fs * 0.5f));
  float lastRight = -1e30f;
  for (double v : t.values) {
    const float x = a.x + float(axisFraction(v, range.lo, range.hi, Scale::Linear)) * (b.x - a.x);
    dl->AddLine(ImVec2(x, b.y), ImVec2(x, b.y + fs * 0.25f), kFrame);
    const std::string s = formatTick(v, t.decimals);
    const float w = ImGui::CalcTextSize(s.c_str()).x;
    if (x - w * 0.5f < lastRight + fs * 0.4f) continue;
    dl->AddText(ImVec2(x - w * 0.5f, b.y + fs * 0.2f), kText, s.c_str());
    lastRight = x + w * 0.5f;
  }
}

std::optional<Range> drawnColourBar(const std::string& id) {
  const auto it = drawnBars().find(id);
  if (it == drawnBars().end()) return std::nullopt;
  return it->second;
}

}  // namespace qviz::ui::plot
