// AppState's constructor and destructor; Derived::releaseGl and setWake.
#include "ui/app_state.hpp"

#include "ui/equal_bits_model.hpp"
#include "ui/error_curve_job.hpp"
#include "ui/gpu_engine.hpp"
#include "ui/qlora_session.hpp"

namespace qviz::ui {

// Out of line: QloraSession, ErrorCurveJob and EqualBitsJob are only forward-declared in the header.
AppState::AppState() {
  derived.errorCurve = std::make_unique<ErrorCurveJob>();
  derived.equalBits = std::make_unique<EqualBitsJob>();
}
AppState::~AppState() = default;

void Derived::releaseGl() {
  view = {};
  compare = {};
  levels.clear();
  levelsRevision = ~0ull;
  levelsInputs.reset();
  qloraTiles = {};
  gpu.reset();
}

void Derived::setWake(std::function<void()> fn) {
  wake = std::move(fn);
  metricsWorker->setWake(wake);
  compareWorker->setWake(wake);
  if (qlora) qlora->setWake(wake);
  if (errorCurve) setErrorCurveWake(*errorCurve, wake);
  if (equalBits) setEqualBitsWake(*equalBits, wake);
  setWeightsWake(weights, wake);
}

}  // namespace qviz::ui
