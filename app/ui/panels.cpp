// The one list of panels.
#include "ui/panels.hpp"

#include <cstring>

namespace qviz::ui {

const std::vector<PanelEntry>& panelTable() {
  static const std::vector<PanelEntry> table = {
      {"image", "Image quantization", &PanelOpen::image, drawImagePanel},
      {"levels", "Levels grid", &PanelOpen::levels, drawLevelsPanel},
      {"metrics", "Metrics", &PanelOpen::metrics, drawMetricsPanel},
      {"histogram", "Histograms", &PanelOpen::histogram, drawHistogramPanel},
      {"number-line", "Number line", &PanelOpen::numberLine, drawNumberLinePanel},
      {"compare", "GPU vs CPU", &PanelOpen::compare, drawComparePanel},
      {"weights", "Weights", &PanelOpen::weights, drawWeightsPanel},
      {"memory", "Memory", &PanelOpen::memory, drawMemoryPanel},
      {"qlora", "QLoRA", &PanelOpen::qlora, drawQloraPanel},
      {"concepts", "Concepts", &PanelOpen::concepts, drawConceptsPanel},
      {"shaders", "Shaders (live coding)", &PanelOpen::shaders, drawShadersPanel},
  };
  return table;
}

const PanelEntry* findPanel(const char* name) {
  for (const auto& p : panelTable())
    if (!std::strcmp(p.name, name)) return &p;
  return nullptr;
}

}  // namespace qviz::ui
