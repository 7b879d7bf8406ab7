// kPanels with their draw functions.
#include "ui/panels.hpp"

#include <cstring>
#include <utility>

namespace qviz::ui {

namespace {
template <std::size_t... I>
std::vector<PanelEntry> makeTable(std::index_sequence<I...>) {
  return {PanelEntry{kPanels[I], &drawPanel<I>}...};
}
}  // namespace

const std::vector<PanelEntry>& panelTable() {
  static const std::vector<PanelEntry> table = makeTable(std::make_index_sequence<kPanelCount>{});
  return table;
}

const PanelEntry* findPanel(const char* name) {
  for (const auto& p : panelTable())
    if (!std::strcmp(p.name, name)) return &p;
  return nullptr;
}

}  // namespace qviz::ui
