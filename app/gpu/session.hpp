// GpuSession: a headless context plus a shader library, as the CLI, the benchmarks and the tests
// use them (the explorer wraps its window's context instead and builds the same pair).
#pragma once
#include <memory>
#include <string>

#include "gpu/context.hpp"
#include "gpu/kernel_util.hpp"
#include "gpu/shader_library.hpp"

namespace qviz::gpu {

struct SessionOptions {
  std::string shaderDir;       // empty: ShaderLibrary::defaultDir()
  bool forceFragment = false;  // as ContextOptions
  bool debug = false;          // as ContextOptions
};

class GpuSession {
public:
  // Fails with one line saying why (no EGL, no surfaceless platform, GL < 3.3, ...).
  static Result<std::unique_ptr<GpuSession>> openHeadless(const SessionOptions& options = {});

  GpuContext& context() { return *m_context; }
  ShaderLibrary& shaders() { return *m_shaders; }
  GpuEnv env() { return GpuEnv{m_context.get(), m_shaders.get(), {}}; }

private:
  GpuSession() = default;
  // Declared first: destroyed last, after every GL object of the library.
  std::unique_ptr<GpuContext> m_context;
  std::unique_ptr<ShaderLibrary> m_shaders;
};

}  // namespace qviz::gpu
