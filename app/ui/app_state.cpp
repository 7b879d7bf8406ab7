// AppState's constructor and destructor.
#include "ui/app_state.hpp"

#include "ui/gpu_engine.hpp"
#include "ui/qlora_session.hpp"

namespace qviz::ui {

// Out of line: QloraSession is only forward-declared in the header.
AppState::AppState() = default;
AppState::~AppState() = default;

}  // namespace qviz::ui
