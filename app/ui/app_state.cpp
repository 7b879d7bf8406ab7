// Names of AppState enums.
#include "ui/app_state.hpp"

#include "ui/gpu_engine.hpp"
#include "ui/qlora_session.hpp"

namespace qviz::ui {

// Out of line: QloraSession is only forward-declared in the header.
AppState::AppState() = default;
AppState::~AppState() = default;

const char* computePathName(ComputePath p) {
  switch (p) {
    case ComputePath::GpuCompute: return "gpu-compute";
    case ComputePath::GpuFragment: return "gpu-fragment";
    case ComputePath::Cpu: return "cpu";
  }
  return "?";
}

}  // namespace qviz::ui
