// Runs the real `qviz` binary with arguments and captures exit code, stdout and stderr.
#pragma once
#include <string>
#include <vector>

namespace qviz::test {

struct RunResult {
  int exitCode = -1;
  std::string out;
  std::string err;
};

RunResult runQviz(const std::vector<std::string>& args, const std::vector<std::string>& env = {});
// Runs any program (argv[0] is looked up in PATH).
RunResult runProgram(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});
// A fresh empty directory under the build tree for one test.
std::string freshDir(const std::string& name);
std::string dataPath(const std::string& rel);
std::string readText(const std::string& path);
// The 1-based number of the first line of `path` that contains `needle`; -1 when none does.
int lineOf(const std::string& path, const std::string& needle);
void writeBytes(const std::string& path, const std::string& bytes);
bool fileExists(const std::string& path);

}  // namespace qviz::test
