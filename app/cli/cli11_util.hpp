// Runs a CLI11 parser with the project's exit-code conventions: --help prints and exits 0,
// any parse error is one line on stderr and exit 2.
#pragma once
#include <CLI/CLI.hpp>
#include <cstdio>
#include <optional>

#include "cli/cli.hpp"

namespace qviz::cli {

// Returns an exit code when the program should stop (help or error), nullopt to continue.
inline std::optional<int> parseArgs(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), stdout);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    return badInput(app.get_name().c_str(), e.what());
  }
  return std::nullopt;
}

}  // namespace qviz::cli
