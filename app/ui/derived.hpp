// updateDerived: the one place that recomputes what is stale after commands changed the document;
// it calls each panel's model (ui/image_model.hpp, compare_model.hpp, levels_model.hpp, ...).
// Main thread only.
#pragma once
#include "gpu/error_map.hpp"
#include "ui/app_state.hpp"

namespace qviz::ui {

void updateDerived(AppState& s);

// The error view's settings from the document (gain 1..64, absolute or signed).
gpu::ErrorMapSettings errorMapSettings(const Document& d);

}  // namespace qviz::ui
