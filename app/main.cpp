// `qviz`: with a subcommand, the headless CLI; otherwise the explorer window.
#include <cstdio>
#include <cstdlib>
#include <csignal>
#include <cstring>
#include <string>

#include "cli/cli.hpp"
#include "drive/script.hpp"
#include "drive/soak.hpp"
#include "ui/explorer.hpp"
#include "ui/panels.hpp"

namespace {
void printUsage() {
  std::puts("usage: qviz [IMAGE] [--panel NAME] [--bits B] [--presenter] [--screenshot OUT.png] [--frames N]");
  std::puts("            [--bench-ui | --bench-start] [--json OUT] [--size WxH] [--no-settings] [--shader-dir DIR] [--rounding MODE]");
  std::puts("       qviz SUBCOMMAND [...]   headless tools; `qviz SUBCOMMAND --help` for options\n");
  std::puts("explorer options:");
  std::puts("  IMAGE               open this image (default: assets/images/astronaut.png)");
  std::string names;
  for (const auto& p : qviz::ui::panelTable()) names += std::string(names.empty() ? "" : ", ") + p.name;
  std::printf("  --panel NAME        open this panel: %s\n", names.c_str());
  std::puts("  --bits B            bits per sample");
  std::puts("  --weights-format F  the Weights panel's format: a name of the format table (nf4, q4_k, mxfp4, ...)");
  std::puts("  --weights-source S  its synthetic tensor: normal, heavy (0.1% outliers) or uniform");
  std::puts("  --weights-block N   the block it inspects");
  std::puts("  --presenter         presenter mode (large font)");
  std::puts("  --screenshot OUT    render --frames frames (default 5), save the window as PNG, exit");
  std::puts("  --bench-ui          drive the bits slider and pan for --frames frames (default 300), print p50/p95/max");
  std::puts("  --bench-start       start as a user would (default settings, saves nothing), report the time to the");
  std::puts("                      first frame, to settled (idle, every number shown computed) and the CPU used");
  std::puts("  --json OUT          with --bench-ui or --bench-start: write the figures as JSON");
  std::puts("  --size WxH          window size (default 1600x1000, at most 8192x8192)");
  std::puts("  --lora-steps N      with --panel qlora: train N steps before drawing (figures)");
  std::puts("  --shader-dir DIR    load shaders from DIR (e.g. a `qviz workshop init` folder); edits reload live");
  std::puts("  --rounding MODE     nearest, truncate, stochastic, seed, user (the user shader), or drop");
  std::puts("  --no-settings       start from defaults and save nothing");
  std::puts("  --soak SECONDS      drive the explorer offscreen with random actions (good and bad files, every");
  std::puts("                      control, panels, broken shaders, training, resizes); report GL errors and memory");
  std::puts("                      (with --seed N, --json OUT, --growth-bound MIB)\n");
  std::puts("subcommands:");
  for (const auto& s : qviz::cli::subcommands()) std::printf("  %-16s %s\n", s.name, s.summary);
}

int usageError(const std::string& msg) {
  std::fprintf(stderr, "qviz: error: %s (qviz --help)\n", msg.c_str());
  return 2;
}

bool parsePositive(const char* text, int& out) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (!end || *end || v <= 0 || v > 1000000) return false;
  out = int(v);
  return true;
}
}  // namespace

int main(int argc, char** argv) {
  // A reader that goes away (`qviz render ... --out /dev/stdout | head -c 8`) gives EPIPE and a
  // message instead of killing the process with its temporary files still on disk.
  std::signal(SIGPIPE, SIG_IGN);
  if (argc >= 2) {
    if (const auto* sub = qviz::cli::findSubcommand(argv[1])) return sub->run(argc - 1, argv + 1);
    if (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
      printUsage();
      return 0;
    }
  }
  qviz::ui::ExplorerOptions o;
  qviz::drive::ScriptOptions script;
  qviz::drive::SoakOptions soak;
  bool soaking = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool hasValue = i + 1 < argc;
    if (a == "--panel" && hasValue) o.panel = argv[++i];
    else if (a == "--bits" && hasValue) {
      if (!parsePositive(argv[++i], o.bits) || o.bits > 16) return usageError("--bits takes 1-16");
    } else if (a == "--presenter") o.presenter = true;
    else if (a == "--screenshot" && hasValue) script.screenshot = argv[++i];
    else if (a == "--frames" && hasValue) {
      if (!parsePositive(argv[++i], script.frames)) return usageError("--frames takes a positive number");
    } else if (a == "--bench-ui") script.benchUi = true;
    else if (a == "--bench-start") script.benchStart = o.ignoreSettings = true;
    else if (a == "--json" && hasValue) script.json = argv[++i];
    else if (a == "--no-settings") o.ignoreSettings = true;
    else if (a == "--shader-dir" && hasValue) o.shaderDir = argv[++i];
    else if (a == "--soak" && hasValue) {
      int secs = 0;
      if (!parsePositive(argv[++i], secs)) return usageError("--soak takes a number of seconds");
      soak.seconds = secs;
      soaking = true;
    } else if (a == "--seed" && hasValue) {
      int seed = 0;
      if (!parsePositive(argv[++i], seed)) return usageError("--seed takes a positive number");
      soak.seed = std::uint32_t(seed);
    } else if (a == "--growth-bound" && hasValue) {
      int mib = 0;
      if (!parsePositive(argv[++i], mib)) return usageError("--growth-bound takes MiB");
      soak.growthBoundMiB = mib;
    }
    else if (a == "--rounding" && hasValue) o.rounding = argv[++i];
    else if (a == "--weights-format" && hasValue) o.weightsFormat = argv[++i];
    else if (a == "--weights-source" && hasValue) o.weightsSource = argv[++i];
    else if (a == "--weights-block" && hasValue) {
      int b = 0;
      if (std::strcmp(argv[i + 1], "0") == 0) ++i;
      else if (!parsePositive(argv[++i], b)) return usageError("--weights-block takes a block number");
      o.weightsBlock = b;
    }
    else if (a == "--lora-steps" && hasValue) {
      if (!parsePositive(argv[++i], script.loraSteps)) return usageError("--lora-steps takes a positive number");
    }
    else if (a == "--size" && hasValue) {
      if (std::sscanf(argv[++i], "%dx%d", &o.width, &o.height) != 2 || o.width < 320 || o.height < 240)
        return usageError("--size takes WxH, e.g. 1600x1000");
      // A frame and its screenshot copies take about 12 bytes a pixel: 8192x8192 is 0.8 GB, 16384x16384 3+ GB.
      if (o.width > 8192 || o.height > 8192)
        return usageError("--size is at most 8192x8192 (the window and its screenshot would need " +
                          std::to_string((std::uint64_t(o.width) * std::uint64_t(o.height) * 12) >> 20) + " MiB)");
    } else if (!a.empty() && a[0] == '-') return usageError("unknown option '" + a + "'");
    else if (o.imagePath.empty()) o.imagePath = a;
    else return usageError("more than one image given");
  }
  if (soaking) {
    soak.json = script.json;
    return qviz::drive::runSoak(soak);
  }
  return qviz::drive::runExplorer(o, script);
}
