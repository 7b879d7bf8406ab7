// The headless command line: one table of subcommands, each a function in its own file.
// Exit codes: 0 success, 1 a check failed (selftest, --check), 2 bad input or usage.
#pragma once
#include <string>
#include <vector>

namespace qviz::cli {

constexpr int kExitOk = 0;
constexpr int kExitCheckFailed = 1;
constexpr int kExitBadInput = 2;

struct Subcommand {
  const char* name;
  const char* summary;
  int (*run)(int argc, char** argv);  // argv[0] is the subcommand name
};

const std::vector<Subcommand>& subcommands();
const Subcommand* findSubcommand(const std::string& name);

// Prints "qviz SUB: error: MESSAGE" on stderr and returns kExitBadInput.
int badInput(const char* sub, const std::string& message);

int runRender(int argc, char** argv);
int runBench(int argc, char** argv);
int runSelftest(int argc, char** argv);
int runLora(int argc, char** argv);
int runQuantizeTensor(int argc, char** argv);
int runMemory(int argc, char** argv);
int runWorkshop(int argc, char** argv);
int runNumberLine(int argc, char** argv);
int runErrorCurve(int argc, char** argv);

}  // namespace qviz::cli
