// Issue 15's attacks on the writers (items 1, 2 and 5), each with its exit code and a check that
// nothing on disk changed: streams (FIFO, /dev/stdout appended to a log), links followed, other
// kinds refused, the explorer never writing over what it reads, and sets of outputs (render
// --metrics, quantize-tensor, lora, workshop init) that appear whole or not at all.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>

#include "cli/cli_harness.hpp"

#include "../test_files.hpp"

using namespace qviz::test;
namespace fs = std::filesystem;

namespace {
// Every file under dir (relative path -> contents): the "nothing changed on disk" check.
std::map<std::string, std::string> snapshot(const std::string& dir) {
  std::map<std::string, std::string> m;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const std::string rel = fs::relative(e.path(), dir).string();
    if (e.is_symlink()) m[rel] = "-> " + fs::read_symlink(e.path()).string();
    else if (e.is_regular_file()) m[rel] = readText(e.path().string());
    else m[rel] = e.is_directory() ? "(dir)" : "(special)";
  }
  return m;
}
const std::vector<std::string> kRender = {"render", dataPath("chelsea.png"), "--backend", "cpu", "--bits", "3"};
std::vector<std::string> render(const std::vector<std::string>& more) {
  auto a = kRender;
  a.insert(a.end(), more.begin(), more.end());
  return a;
}
std::string npy64() {
  std::string npy = npyHeaderOnly("(64,)");
  for (int i = 0; i < 64; ++i) {
    const float v = float(i - 32) / 8.0f;
    npy.append(reinterpret_cast<const char*>(&v), 4);
  }
  return npy;
}
}  // namespace

TEST_CASE("outputs: --out /dev/stdout appends to a >> log, a FIFO is written as a stream", "[untrusted][writers]") {
  const std::string dir = freshDir("outputs_stream");
  writeBytes(dir + "/log", "before\n");
  std::vector<std::string> argv = {"sh", "-c", "exec \"$@\" >> \"$0\"", dir + "/log", QVIZ_BIN};
  for (const auto& a : render({"--out", "/dev/stdout"})) argv.push_back(a);
  const auto r = runProgram(argv);
  INFO(r.err);
  CHECK(r.exitCode == 0);
  const std::string log = readText(dir + "/log");
  CHECK(log.substr(0, 11) == "before\n\x89PNG");
  CHECK(!fs::is_symlink(dir + "/log"));
  // In a pipe: the PNG arrives on the reader's side.
  std::vector<std::string> pipe = {"sh", "-c", "\"$@\" | od -An -c -N4 > \"$0\"", dir + "/piped", QVIZ_BIN};
  for (const auto& a : render({"--out", "/dev/stdout"})) pipe.push_back(a);
  CHECK(runProgram(pipe).exitCode == 0);
  CHECK(readText(dir + "/piped").find("P   N   G") != std::string::npos);
  // A FIFO stays a FIFO.
  REQUIRE(::mkfifo((dir + "/fifo").c_str(), 0644) == 0);
  std::vector<std::string> fifo = {"sh", "-c", "cat \"$0/fifo\" > \"$0/got\" & \"$@\"; s=$?; wait; exit $s", dir, QVIZ_BIN};
  for (const auto& a : render({"--out", dir + "/fifo"})) fifo.push_back(a);
  CHECK(runProgram(fifo).exitCode == 0);
  CHECK(readText(dir + "/got").substr(0, 4) == "\x89PNG");
  struct stat st {};
  REQUIRE(::lstat((dir + "/fifo").c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));
}

TEST_CASE("outputs: a link is followed and stays a link; a folder as --out or --metrics is refused", "[untrusted][writers]") {
  const std::string dir = freshDir("outputs_kinds");
  fs::create_directories(dir + "/real");
  writeBytes(dir + "/real/out.png", "old");
  fs::create_symlink("real/out.png", dir + "/link.png");
  const auto r = runQviz(render({"--out", dir + "/link.png"}));
  CHECK(r.exitCode == 0);
  CHECK(fs::is_symlink(dir + "/link.png"));
  CHECK(readText(dir + "/real/out.png").substr(0, 4) == "\x89PNG");
  const auto before = snapshot(dir);
  const std::string tail = ": it is a directory; an output must be a new path, a regular file, a FIFO or a character device\n";
  const auto d = runQviz(render({"--out", dir + "/real"}));
  CHECK(d.exitCode == 2);
  CHECK(d.err == "qviz render: error: cannot write " + dir + "/real" + tail);
  // The PNG would be fine, the metrics cannot be written: neither is.
  const auto m = runQviz(render({"--out", dir + "/link.png", "--metrics", dir + "/real"}));
  CHECK(m.exitCode == 2);
  CHECK(m.err == "qviz render: error: cannot write " + dir + "/real" + tail);
  CHECK(snapshot(dir) == before);
}

TEST_CASE("outputs: the explorer never writes over a file it reads", "[untrusted][writers]") {
  const std::string dir = freshDir("outputs_explorer");
  fs::copy_file(dataPath("chelsea.png"), dir + "/a.png");
  fs::create_symlink("a.png", dir + "/soft.png");
  REQUIRE(runQviz({"workshop", "init", dir + "/ws"}).exitCode == 0);
  const auto before = snapshot(dir);
  const std::vector<std::string> env = {"XDG_CONFIG_HOME=" + freshDir("outputs_explorer_cfg")};
  const auto s = runQviz({dir + "/a.png", "--screenshot", dir + "/soft.png", "--frames", "1"}, env);
  CHECK(s.exitCode == 2);
  CHECK(s.err == "qviz: error: --screenshot " + dir + "/soft.png is " + dir + "/a.png, which the explorer reads; refusing to overwrite it\n");
  const auto j = runQviz({dir + "/a.png", "--bench-ui", "--json", dir + "/a.png", "--frames", "1"}, env);
  CHECK(j.exitCode == 2);
  CHECK(j.err == "qviz: error: --json " + dir + "/a.png is " + dir + "/a.png, which the explorer reads; refusing to overwrite it\n");
  const std::string user = dir + "/ws/user/quantizer.glsl";
  const auto u = runQviz({dir + "/a.png", "--shader-dir", dir + "/ws", "--screenshot", user, "--frames", "1"}, env);
  CHECK(u.exitCode == 2);
  CHECK(u.err.find("qviz: error: --screenshot " + user + " is ") == 0);
  const auto big = runQviz({dir + "/a.png", "--size", "16384x16384", "--screenshot", dir + "/big.png"}, env);
  CHECK(big.exitCode == 2);
  CHECK(big.err == "qviz: error: --size is at most 8192x8192 (the window and its screenshot would need 3072 MiB) (qviz --help)\n");
  CHECK(snapshot(dir) == before);
}

TEST_CASE("outputs: a full disk changes nothing (quantize-tensor --force, lora, workshop init)", "[untrusted][writers]") {
  const std::string dir = freshDir("outputs_full");
  writeBytes(dir + "/t.npy", npy64());
  SmallTmpfs mnt(dir + "/mnt");
  if (!mnt.mounted) {
    WARN("cannot mount a tmpfs here (not root?)");
    return;
  }
  // A previous run's outputs, then a disk too full for the new ones.
  const std::string q = mnt.dir + "/q";
  REQUIRE(runQviz({"quantize-tensor", dir + "/t.npy", "--format", "nf4", "--out-dir", q}).exitCode == 0);
  writeBytes(mnt.dir + "/filler", std::string(52 << 10, 'f'));
  const auto before = snapshot(mnt.dir);
  std::vector<float> big(16384, 0.5f);
  std::string bigNpy = npyHeaderOnly("(16384,)");
  bigNpy.append(reinterpret_cast<const char*>(big.data()), big.size() * 4);
  writeBytes(dir + "/big.npy", bigNpy);
  const auto r = runQviz({"quantize-tensor", dir + "/big.npy", "--format", "nf4", "--out-dir", q, "--force"});
  CHECK(r.exitCode == 2);
  CHECK(r.err.find("No space left on device") != std::string::npos);
  CHECK(snapshot(mnt.dir) == before);
  // A new folder: not left behind empty or partial.
  const auto nq = runQviz({"quantize-tensor", dir + "/big.npy", "--format", "nf4", "--out-dir", mnt.dir + "/new/q"});
  CHECK(nq.exitCode == 2);
  const auto l = runQviz({"lora", "--steps", "2", "--out-dir", mnt.dir + "/lora"});
  CHECK(l.exitCode == 2);
  CHECK(l.err.find("No space left on device") != std::string::npos);
  const auto w = runQviz({"workshop", "init", mnt.dir + "/ws"});
  CHECK(w.exitCode == 2);
  CHECK(snapshot(mnt.dir) == before);
}

TEST_CASE("outputs: render --metrics onto a read-only folder leaves the PNG as it was", "[untrusted][writers]") {
  const std::string dir = freshDir("outputs_ro");
  SmallTmpfs mnt(dir + "/mnt");
  if (!mnt.mounted) {
    WARN("cannot mount a tmpfs here (not root?)");
    return;
  }
  fs::create_directories(dir + "/png");
  writeBytes(dir + "/png/o.png", "previous");
  writeBytes(mnt.dir + "/m.json", "{}");
  REQUIRE(mnt.remountReadOnly());
  const auto r = runQviz(render({"--out", dir + "/png/o.png", "--metrics", mnt.dir + "/m.json"}));
  CHECK(r.exitCode == 2);
  CHECK(r.err == "qviz render: error: cannot write " + mnt.dir + "/m.json: Read-only file system\n");
  CHECK(readText(dir + "/png/o.png") == "previous");
  CHECK(snapshot(dir + "/png") == std::map<std::string, std::string>{{"o.png", "previous"}});
}
