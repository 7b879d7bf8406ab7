// The one list of panels.
#include "ui/panel_info.hpp"

namespace qviz::ui {

const std::vector<PanelInfo>& panelInfos() {
  static const std::vector<PanelInfo> table = {
      {"image", "Image quantization", &PanelOpen::image, PanelSlot::Main},
      {"levels", "Levels grid", &PanelOpen::levels, PanelSlot::Wide},
      {"error-curve", "Error against bits", &PanelOpen::errorCurve, PanelSlot::Wide},
      {"metrics", "Metrics", &PanelOpen::metrics, PanelSlot::Side},
      {"histogram", "Histograms", &PanelOpen::histogram, PanelSlot::Side},
      {"number-line", "Number line", &PanelOpen::numberLine, PanelSlot::Side},
      {"compare", "GPU vs CPU", &PanelOpen::compare, PanelSlot::Side},
      {"weights", "Weights", &PanelOpen::weights, PanelSlot::Side},
      {"memory", "Memory", &PanelOpen::memory, PanelSlot::Side},
      {"qlora", "QLoRA", &PanelOpen::qlora, PanelSlot::Wide},
      {"concepts", "Concepts", &PanelOpen::concepts, PanelSlot::Side},
      {"shaders", "Shaders (live coding)", &PanelOpen::shaders, PanelSlot::Side},
  };
  return table;
}

}  // namespace qviz::ui
