// The one list of panels.
#include "ui/panels.hpp"

#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

namespace qviz::ui {

namespace {
PanelFn drawFunction(bool PanelOpen::*open) {
  static const std::pair<bool PanelOpen::*, PanelFn> fns[] = {
      {&PanelOpen::image, drawImagePanel},         {&PanelOpen::levels, drawLevelsPanel},
      {&PanelOpen::metrics, drawMetricsPanel},     {&PanelOpen::histogram, drawHistogramPanel},
      {&PanelOpen::numberLine, drawNumberLinePanel}, {&PanelOpen::compare, drawComparePanel},
      {&PanelOpen::weights, drawWeightsPanel},     {&PanelOpen::memory, drawMemoryPanel},
      {&PanelOpen::qlora, drawQloraPanel},         {&PanelOpen::concepts, drawConceptsPanel},
      {&PanelOpen::shaders, drawShadersPanel},     {&PanelOpen::errorCurve, drawErrorCurvePanel},
  };
  for (const auto& [flag, fn] : fns)
    if (flag == open) return fn;
  return nullptr;
}

std::vector<PanelEntry> makeTable() {
  std::vector<PanelEntry> table;
  for (const PanelInfo& info : panelInfos()) {
    PanelEntry e{info};
    e.draw = drawFunction(info.open);
    if (!e.draw) throw std::logic_error(std::string("panel without a draw function: ") + info.name);
    table.push_back(e);
  }
  return table;
}
}  // namespace

const std::vector<PanelEntry>& panelTable() {
  static const std::vector<PanelEntry> table = makeTable();
  return table;
}

const PanelEntry* findPanel(const char* name) {
  for (const auto& p : panelTable())
    if (!std::strcmp(p.name, name)) return &p;
  return nullptr;
}

}  // namespace qviz::ui
