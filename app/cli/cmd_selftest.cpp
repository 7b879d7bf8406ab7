// `qviz selftest`: runs every GPU kernel against the CPU core on built-in images, on the compute
// and fragment paths, and prints one table with the renderer. Exit 0 when everything agrees, 1 on
// any mismatch, 2 when no GL context can be made (the message says why).
#include <algorithm>
#include <cstdio>

#include "cli/cli.hpp"
#include "cli/cli11_util.hpp"
#include "gpu/selftest.hpp"
#include "gpu/session.hpp"

namespace qviz::cli {

int runSelftest(int argc, char** argv) {
  CLI::App app{"Check every GPU kernel against the CPU reference", "selftest"};
  gpu::SessionOptions options;
  options.debug = true;  // GL errors and KHR_debug errors fail the run
  std::string pathText = "all";
  app.add_option("--shader-dir", options.shaderDir, "load shaders from DIR (default: $QVIZ_SHADER_DIR or the source tree)");
  app.add_option("--gpu-path", pathText, "all | compute | fragment (fragment: behave like a GL 3.3-4.2 context)");
  if (auto rc = parseArgs(app, argc, argv)) return *rc;
  gpu::GpuPath only = gpu::GpuPath::Compute;
  if (pathText != "all" && !gpu::parseGpuPath(pathText, only))
    return badInput("selftest", "unknown --gpu-path '" + pathText + "' (all, compute, fragment)");
  options.forceFragment = pathText == "fragment";

  auto session = gpu::GpuSession::openHeadless(options);
  if (!session) return badInput("selftest", "no GPU context: " + session.error());
  gpu::GpuContext& ctx = (*session)->context();
  if (pathText == "compute")
    if (auto st = ctx.supports(gpu::GpuPath::Compute); !st) return badInput("selftest", st.error());

  gpu::SelftestReport report = gpu::runSelftest((*session)->env());
  if (pathText == "compute") {
    std::erase_if(report.rows, [](const gpu::SelftestRow& r) { return r.path != "compute"; });
  }
  std::printf("renderer: %s\n", ctx.describe().c_str());
  // The kernel column is as wide as the longest name ("blockwise iq4_nl-ntry7").
  int width = 20;
  for (const auto& r : report.rows) width = std::max(width, int(r.kernel.size()));
  std::printf("%-*s %-9s %-32s %5s  %-6s %s\n", width, "kernel", "path", "input", "cases", "result", "reference");
  for (const auto& r : report.rows) {
    std::printf("%-*s %-9s %-32s %5d  %-6s %s\n", width, r.kernel.c_str(), r.path.c_str(), r.input.c_str(), r.cases,
                r.skipped ? "skip" : r.pass ? "ok" : "FAIL", r.reference.c_str());
    if (!r.detail.empty()) std::printf("    %s\n", r.detail.c_str());
  }
  const int total = int(report.rows.size()), failed = report.failures();
  std::printf("selftest: %d of %d passed on %s\n", total - failed, total, report.renderer.c_str());
  if (failed) {
    std::fprintf(stderr, "qviz selftest: %d of %d checks disagree with the CPU reference\n", failed, total);
    return kExitCheckFailed;
  }
  return kExitOk;
}

}  // namespace qviz::cli
