// updateDerived: the one place that recomputes what is stale after commands changed the document
// (image loading, quantization, metrics on a worker, histograms, textures, level tiles, weights).
// Main thread only.
#pragma once
#include "gpu/error_map.hpp"
#include "ui/app_state.hpp"

namespace qviz::ui {

void updateDerived(AppState& s);

// The error view's settings from the document (gain 1..64, absolute or signed).
gpu::ErrorMapSettings errorMapSettings(const Document& d);

}  // namespace qviz::ui
