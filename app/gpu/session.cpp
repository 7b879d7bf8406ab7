// GpuSession: opening a headless context and its shader library.
#include "gpu/session.hpp"

#include <filesystem>

namespace qviz::gpu {

Result<std::unique_ptr<GpuSession>> GpuSession::openHeadless(const SessionOptions& options) {
  const std::string dir = options.shaderDir.empty() ? ShaderLibrary::defaultDir() : options.shaderDir;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return core::fail("the shader directory " + dir + " does not exist");
  ContextOptions co;
  co.debug = options.debug;
  co.forceFragment = options.forceFragment;
  auto ctx = GpuContext::createHeadless(co);
  if (!ctx) return core::fail(ctx.error());
  std::unique_ptr<GpuSession> s(new GpuSession());
  s->m_context = std::move(*ctx);
  s->m_shaders = std::make_unique<ShaderLibrary>(dir);
  return s;
}

}  // namespace qviz::gpu
