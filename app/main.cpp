// `qviz`: with a subcommand, the headless CLI; otherwise the explorer window.
#include <cstdio>
#include <cstring>
#include <string>

#include "cli/cli.hpp"
#include "ui/explorer.hpp"

namespace {
void printUsage() {
  std::puts("usage: qviz [IMAGE]            open the explorer (default image: assets/images/astronaut.png)");
  std::puts("       qviz SUBCOMMAND [...]   headless tools; `qviz SUBCOMMAND --help` for options\n");
  for (const auto& s : qviz::cli::subcommands()) std::printf("  %-16s %s\n", s.name, s.summary);
}
}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2) {
    if (const auto* sub = qviz::cli::findSubcommand(argv[1])) return sub->run(argc - 1, argv + 1);
    if (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
      printUsage();
      return 0;
    }
  }
  qviz::ui::ExplorerOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--frames" && i + 1 < argc) options.frames = std::atoi(argv[++i]);
    else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "qviz: error: unknown option '%s' (qviz --help)\n", a.c_str());
      return 2;
    } else options.imagePath = a;
  }
  return qviz::ui::runExplorer(options);
}
