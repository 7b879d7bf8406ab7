// The one plotting helper of the explorer's panels (ImPlot is not in Debian's ImGui 1.86): "nice"
// axis ticks (1-2-5 x 10^k), axes with tick labels, an axis title with its unit and a grid, drawn
// with ImDrawList into a rectangle sized from the font and the space left; line charts and a colour
// bar for heatmaps. The tick and scale computations are pure functions, tested with exact values
// (tests/ui/test_ui_plot.cpp); everything with "draw" in it needs an ImGui frame.
#pragma once
#include <imgui.h>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace qviz::ui::plot {

// ---- Pure computations (no ImGui) ----

struct Ticks {
  double step = 0;             // distance between two ticks: 1, 2 or 5 x 10^k; on log axes the decades
                               // between ticks, 0 for 1-2-5 multiples there
  std::vector<double> values;  // the ticks inside [lo, hi], ascending (multiples of step)
  int decimals = 0;            // digits after the point that print every tick exactly ("%.*f")
};

// Ticks on [lo, hi] (either order; lo == hi gives that one value): the smallest step of the form
// 1, 2 or 5 x 10^k that puts at most maxTicks (>= 2) multiples of the step in the range.
// niceTicks(0, 255, 6) = {0, 50, 100, 150, 200, 250}, step 50.
Ticks niceTicks(double lo, double hi, int maxTicks);
// Ticks of a base-10 log axis on [lo, hi] (both > 0): the powers of ten inside (step = the decade
// count between ticks, 1 unless more than maxTicks decades), or, when fewer than two fit, the
// 1-2-5 multiples (2e-3, 5e-3, 1e-2...) of that decade range, at most maxTicks of them.
Ticks logTicks(double lo, double hi, int maxTicks);
// A tick label: fixed with `decimals` digits, or %g with 3 digits for very large or very small
// magnitudes (|v| >= 1e6 or, non-zero, < 1e-4); "-0" never appears.
std::string formatTick(double v, int decimals);
// "label (unit)", or label alone when unit is empty.
std::string axisTitle(const char* label, const char* unit);

// Smallest and largest finite value (for a colour bar's scale); {0, 0} when none is finite.
struct Range {
  double lo = 0, hi = 0;
  bool operator==(const Range& o) const { return lo == o.lo && hi == o.hi; }
};
Range dataRange(const double* values, std::size_t n);
inline Range dataRange(const std::vector<double>& v) { return dataRange(v.data(), v.size()); }

enum class Scale { Linear, Log10, Sqrt };

// Maps a data value to [0, 1] on the axis (0 = lo). Log10 clamps values <= 0 to lo; Sqrt maps
// sqrt(v - lo) / sqrt(hi - lo) (a histogram's counts from 0). A degenerate range maps to 0.5.
double axisFraction(double v, double lo, double hi, Scale scale);
// The ticks for an axis of that scale: Sqrt puts lo + t^2 for 1-2-5 ticks t of sqrt(hi - lo), evenly
// spread on the axis (0, 10000, 40000 for a count up to 50000); step is 0 there.
Ticks axisTicks(double lo, double hi, Scale scale, int maxTicks);
// How many tick labels fit along `length` pixels when each needs `labelSize` pixels (width on a
// horizontal axis, line height on a vertical one) plus a gap of one label: at least 2, at most 12.
int maxTicksFor(float length, float labelSize);

// Labels along an axis that must not overlap: label i is centred at centres[i] (ascending) and
// widths[i] wide. Each goes in the first of maxRows rows where it starts at least `gap` after the
// previous label of that row ends; -1 when no row has room (the caller shows it on hover).
std::vector<int> labelRows(const std::vector<float>& centres, const std::vector<float>& widths, float gap, int maxRows);

// ---- Sizes from the font (presenter mode doubles the font, so everything grows with it) ----

// A plot height: `lines` text lines (font size units), or all the height left when that is larger
// and `fill` is set; never more than the height left minus `reserveBelow` pixels, never under 4 lines.
float plotHeight(float lines, bool fill = true, float reserveBelow = 0);
// The wrap width for text drawn with PushTextWrapPos at the cursor: the content region's right edge
// (what ImGui::PushTextWrapPos(0) wraps at), in window coordinates.
float wrapPosition();

// ---- Drawing (inside an ImGui window) ----

// Text in pieces that are never split (a number stays whole; ImGui's wrapping breaks after a '.'),
// each on the current line while it fits, else on the next one; `colour` as for TextColored.
void flowText(const std::vector<std::string>& pieces, ImVec4 colour);
// flowText of a sentence cut at its spaces (wrapped between words only, never inside a number).
void flowWords(const std::string& text, ImVec4 colour);

struct AxisSpec {
  double lo = 0, hi = 1;
  Scale scale = Scale::Linear;
  const char* label = "";  // what is on the axis: "value", "count", "loss", "step"
  const char* unit = "";   // its unit, shown as "label (unit)": "dB", "%", "bits"; empty for none
  int maxTicks = 0;        // 0: as many as fit the length
  bool grid = true;        // faint grid lines at the ticks
  bool ticks = true;       // false: no ticks or tick labels (the caller labels a categorical axis)
};

// A plot: reserves `size` (an item: hover works as for a button), leaves a margin for the tick
// labels and the axis titles, draws the background, grid, ticks and labels, and maps data to the
// screen. Data drawn through it is clipped to the plot area; end() (or the destructor) draws the
// frame and pops the clip rectangle.
class Axes {
public:
  Axes(const char* id, ImVec2 size, const AxisSpec& x, const AxisSpec& y);
  ~Axes();
  Axes(const Axes&) = delete;
  Axes& operator=(const Axes&) = delete;

  float sx(double x) const;  // data x -> screen x
  float sy(double y) const;  // data y -> screen y
  ImVec2 at(double x, double y) const { return ImVec2(sx(x), sy(y)); }
  double dataX(float screenX) const;  // the inverse (linear and log axes)
  ImVec2 min() const { return m_min; }  // the plot area (inside the margins)
  ImVec2 max() const { return m_max; }
  ImDrawList* drawList() const { return m_dl; }
  bool hovered() const { return m_hovered; }  // the mouse is over the plot area
  float mouseX() const;                       // screen x of the mouse, clamped to the plot area

  // A polyline through (xs[i], ys[i]); xs may be empty for x = 0, 1, 2...
  void line(const std::vector<double>& xs, const std::vector<double>& ys, ImU32 colour, float thickness = 2.0f);
  void hLine(double y, ImU32 colour, const char* label = nullptr, float thickness = 1.5f);
  void vLine(double x, ImU32 colour, float thickness = 1.0f);
  // A small legend in the top right corner of the plot area.
  void legend(const std::vector<std::pair<std::string, ImU32>>& entries);
  void end();

private:
  ImDrawList* m_dl = nullptr;
  AxisSpec m_x, m_y;
  ImVec2 m_min, m_max;
  bool m_hovered = false, m_ended = false;
};

struct Series {
  const std::vector<double>* y = nullptr;
  const std::vector<double>* x = nullptr;  // nullptr: 0, 1, 2...
  ImU32 colour = IM_COL32(110, 200, 255, 255);
  std::string name;  // in the legend and the hover readout
  float thickness = 2.0f;
};

// A line chart of the series on the given axes (a hover line and readout of every series at the
// nearest x); axes' lo/hi are taken as given.
void lineChart(const char* id, ImVec2 size, const std::vector<Series>& series, const AxisSpec& x, const AxisSpec& y);

// A colour map: t in [0, 1] -> colour (e.g. heatColor from widgets.hpp).
using ColourMap = ImU32 (*)(float t);
ImU32 grayMap(float t);  // black to white

// A vertical colour bar of `map` with `range.lo` at the bottom and `range.hi` at the top, its ticks
// and title ("label (unit)") to its right; `height` pixels tall. Reserves its own width
// (colourBarWidth) as an item.
void drawColourBar(const char* id, float height, Range range, ColourMap map, const char* label, const char* unit = "");
// The width drawColourBar takes for that range and title, from the font.
float colourBarWidth(Range range, const char* label, const char* unit = "");
// A horizontal colour bar (the strip above, the tick labels under it, the title beside them),
// `width` pixels wide and about two text lines tall.
void drawColourBarH(const char* id, float width, Range range, ColourMap map, const char* label, const char* unit = "");
// The range of the colour bar drawn last with this id (tests check that the scale shown is the data's).
std::optional<Range> drawnColourBar(const std::string& id);

}  // namespace qviz::ui::plot
