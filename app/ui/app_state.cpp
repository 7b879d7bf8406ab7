// AppState's constructor and destructor.
#include "ui/app_state.hpp"

#include "ui/error_curve_job.hpp"
#include "ui/gpu_engine.hpp"
#include "ui/qlora_session.hpp"

namespace qviz::ui {

// Out of line: QloraSession and ErrorCurveJob are only forward-declared in the header.
AppState::AppState() { derived.errorCurve = std::make_unique<ErrorCurveJob>(); }
AppState::~AppState() = default;

}  // namespace qviz::ui
