// posix_spawn wrapper used by the CLI tests: stdout/stderr go to files in the work directory.
#include "cli/cli_harness.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

extern char** environ;

namespace qviz::test {
namespace fs = std::filesystem;

std::string readText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int lineOf(const std::string& path, const std::string& needle) {
  std::ifstream in(path);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n)
    if (line.find(needle) != std::string::npos) return n;
  return -1;
}

void writeBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

bool fileExists(const std::string& path) { return fs::exists(path); }

std::string dataPath(const std::string& rel) { return std::string(QVIZ_TEST_DATA) + "/" + rel; }

std::string freshDir(const std::string& name) {
  const fs::path p = fs::path(QVIZ_WORK_DIR) / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

RunResult runQviz(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  std::vector<std::string> argv = {QVIZ_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  return runProgram(argv, env);
}

RunResult runProgram(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  static std::atomic<int> counter{0};
  fs::create_directories(QVIZ_WORK_DIR);
  const std::string base = std::string(QVIZ_WORK_DIR) + "/run" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  const std::string outPath = base + ".out", errPath = base + ".err";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, outPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  std::vector<std::string> argvStore = args;
  std::vector<char*> argv;
  for (auto& a : argvStore) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> envStore;
  for (char** e = environ; *e; ++e) envStore.emplace_back(*e);
  envStore.insert(envStore.end(), env.begin(), env.end());
  std::vector<char*> envp;
  for (auto& e : envStore) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  RunResult r;
  if (posix_spawnp(&pid, argvStore[0].c_str(), &actions, nullptr, argv.data(), envp.data()) == 0) {
    int status = 0;
    waitpid(pid, &status, 0);
    r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  posix_spawn_file_actions_destroy(&actions);
  r.out = readText(outPath);
  r.err = readText(errPath);
  fs::remove(outPath);
  fs::remove(errPath);
  return r;
}

}  // namespace qviz::test
