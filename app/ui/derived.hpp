// updateDerived: the one place that recomputes what is stale after commands changed the document
// (image loading, quantization, metrics, histograms, textures, level tiles). Main thread only.
#pragma once
#include "ui/app_state.hpp"

namespace qviz::ui {

void updateDerived(AppState& s);

// Per-pixel error visualisation used by the error view: mean error over colour channels times
// gain / vmax; absolute -> heat ramp, signed -> blue (darker than the original) / red (brighter).
std::vector<std::uint8_t> errorMapRgba8(const core::Image& reference, const core::Image& quantized, float gain,
                                        bool signedMap);

}  // namespace qviz::ui
