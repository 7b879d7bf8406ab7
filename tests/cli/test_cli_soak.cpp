// `qviz --soak`: a short offscreen soak (random actions on the explorer) ends with no GL error,
// reports every kind of action and the memory figures, and writes its JSON report.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cli/cli_harness.hpp"

using namespace qviz::test;

namespace {
std::vector<std::string> llvmpipe(const std::string& cacheName) {
  return {"LIBGL_ALWAYS_SOFTWARE=1", "GALLIUM_DRIVER=llvmpipe", "MESA_SHADER_CACHE_DIR=" + freshDir(cacheName)};
}
}  // namespace

TEST_CASE("soak: 20 seconds of random actions, no GL error, a JSON report") {
  const std::string dir = freshDir("soak");
  // The growth bound is loose here: 20 s is too short for the warm-up to reach the plateau; the
  // 10-minute soak in the README measures memory.
  const auto r = runQviz({"--soak", "20", "--seed", "7", "--growth-bound", "1024", "--json", dir + "/soak.json"},
                         llvmpipe("soak_cache"));
  INFO(r.out << r.err);
  CHECK(r.exitCode == 0);
  CHECK(r.out.find("soak: GL errors 0") != std::string::npos);
  const auto j = nlohmann::json::parse(readText(dir + "/soak.json"));
  CHECK(j["gl_errors"] == 0);
  CHECK(j["actions"].get<int>() >= 40);
  CHECK(j["by_action"].size() >= 15);
  CHECK(j["rss_end_mib"].get<double>() > 0);
  // Quiet-point samples (the pauses and the end), and the envelope the bound is checked on.
  REQUIRE(j["samples"].size() >= 1);
  CHECK(j["samples"].back()["rss_mib"] == j["rss_end_mib"]);
  CHECK(j["rss_max_after_warm_mib"].get<double>() >= j["rss_end_mib"].get<double>());
  CHECK(j["rss_max_warm_mib"].get<double>() > 0);
#if !defined(__SANITIZE_ADDRESS__)  // (malloc's statistics do not see ASan's allocator)
  CHECK(j["heap_end_mib"].get<double>() > 0);
#endif
  CHECK(j["program_capacity"] == 48);
  CHECK(j["programs_end"].get<int>() <= 48);
  CHECK(r.out.find("soak: shader programs kept: ") != std::string::npos);
}

TEST_CASE("soak: a bad duration is a usage error") {
  const auto r = runQviz({"--soak", "zero"});
  CHECK(r.exitCode == 2);
  CHECK(r.err == "qviz: error: --soak takes a number of seconds (qviz --help)\n");
}
