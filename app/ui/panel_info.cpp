// The one list of panels.
#include "ui/panel_info.hpp"

namespace qviz::ui {

const std::vector<PanelInfo>& panelInfos() {
  static const std::vector<PanelInfo> table = {
      {"image", "Image quantization", &PanelOpen::image},
      {"levels", "Levels grid", &PanelOpen::levels},
      {"metrics", "Metrics", &PanelOpen::metrics},
      {"histogram", "Histograms", &PanelOpen::histogram},
      {"number-line", "Number line", &PanelOpen::numberLine},
      {"compare", "GPU vs CPU", &PanelOpen::compare},
      {"weights", "Weights", &PanelOpen::weights},
      {"memory", "Memory", &PanelOpen::memory},
      {"qlora", "QLoRA", &PanelOpen::qlora},
      {"concepts", "Concepts", &PanelOpen::concepts},
      {"shaders", "Shaders (live coding)", &PanelOpen::shaders},
  };
  return table;
}

}  // namespace qviz::ui
