// updateDerived dispatches to each panel's model; the computations live next to the panels:
// ui/image_model.cpp, compare_model.cpp, levels_model.cpp, error_curve_job.cpp, weights_model.cpp,
// equal_bits_model.cpp,
// qlora_session.cpp, and shader_watch.cpp for the shaders.
#include "ui/derived.hpp"

#include "ui/compare_model.hpp"
#include "ui/equal_bits_model.hpp"
#include "ui/error_curve_job.hpp"
#include "ui/image_model.hpp"
#include "ui/levels_model.hpp"
#include "ui/qlora_session.hpp"
#include "ui/shader_watch.hpp"
#include "ui/weights_model.hpp"

namespace qviz::ui {

void updateDerived(AppState& s) {
  // A reloaded shader re-runs the views (their inputs carry the shader generation).
  pollShaders(s);
  updateImageView(s);
  updateCompareView(s);
  updateLevelTiles(s);
  updateErrorCurve(s);  // only while its panel is open
  // The Equal-bits panel sweeps the Weights panel's tensor: either panel needs it (on its workers).
  // Its every-format table only for the Weights panel: Equal bits sweeps every format itself.
  if (s.ui.open.weights || s.ui.open.equalBits)
    updateWeightsPanel(s.doc.weights, s.derived.weights, s.synchronous, s.ui.open.weights);
  else pauseWeightsPanel(s.derived.weights);
  updateEqualBits(s);  // only while its panel is open
  if (s.ui.open.qlora) updateQloraView(s);
}

}  // namespace qviz::ui
