// kPanels (ui/panel_info.hpp) as a vector.
#include "ui/panel_info.hpp"

namespace qviz::ui {

const std::vector<PanelInfo>& panelInfos() {
  static const std::vector<PanelInfo> table(std::begin(kPanels), std::end(kPanels));
  return table;
}

}  // namespace qviz::ui
