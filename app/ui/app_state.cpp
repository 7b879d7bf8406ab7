// Names of AppState enums.
#include "ui/app_state.hpp"

namespace qviz::ui {

const char* computePathName(ComputePath p) {
  switch (p) {
    case ComputePath::GpuCompute: return "gpu-compute";
    case ComputePath::GpuFragment: return "gpu-fragment";
    case ComputePath::Cpu: return "cpu";
  }
  return "?";
}

}  // namespace qviz::ui
