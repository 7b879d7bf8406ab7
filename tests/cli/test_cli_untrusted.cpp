// The CLI with untrusted inputs and failing outputs: hostile images and tensor headers exit 2 with
// one line, inputs are never overwritten whatever the spelling of the output path, and a full
// device, a file size limit or a read-only folder leaves the previous output byte for byte.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/cli_harness.hpp"
#include "image/image_io.hpp"

#include "../test_files.hpp"

using namespace qviz::test;
namespace fs = std::filesystem;

namespace {
std::string hostile(const std::string& name) { return dataPath("hostile/" + name); }
}  // namespace

TEST_CASE("render: hostile images exit 2 with the decoder's message, a misnamed JPEG renders", "[untrusted]") {
  const std::string dir = freshDir("untrusted_render");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"pnm16.png", "not a PNG, JPEG, BMP or TGA file (recognised by content, not by name)"},
      {"png_16384x16384_rgba16.png", "the decoded image needs 2048 MiB, more than the 512 MiB a decoded image may use (half of the decode budget of 1024 MiB)"},
      // Issue 15.9: said "decoding needs about 768 MiB, more than the decode budget of 1024 MiB".
      {"png_16384x16384_rgb.png", "the decoded image needs 768 MiB, more than the 512 MiB a decoded image may use (half of the decode budget of 1024 MiB)"},
      {"jpeg_huffman_oob.jpg", "damaged JPEG header (bad DHT header)"},
      {"empty.png", "the file is empty"},
  };
  for (const auto& [name, why] : cases) {
    const auto r = runQviz({"render", hostile(name), "--backend", "cpu", "--bits", "4", "--out", dir + "/o.png"});
    INFO(name);
    CHECK(r.exitCode == 2);
    CHECK(r.err == "qviz render: error: could not decode " + hostile(name) + ": " + why + "\n");
  }
  CHECK(!fileExists(dir + "/o.png"));
  const auto ok = runQviz({"render", hostile("gray128_jpeg_named.png"), "--backend", "cpu", "--bits", "1", "--out", dir + "/o.png"});
  INFO(ok.err);
  CHECK(ok.exitCode == 0);
  const auto img = qviz::core::loadImage(dir + "/o.png").value();
  CHECK(img.width == 8);
  CHECK(img.channels == 1);
}

TEST_CASE("render never overwrites its input, however the output path is spelled", "[untrusted]") {
  const std::string dir = freshDir("untrusted_same");
  fs::copy_file(dataPath("chelsea.png"), dir + "/a.png");
  fs::create_hard_link(dir + "/a.png", dir + "/hard.png");
  fs::create_symlink("a.png", dir + "/soft.png");
  const std::string before = readText(dir + "/a.png");
  const std::string up = dir + "/../" + fs::path(dir).filename().string() + "/a.png";
  for (const std::string& out : {dir + "/./a.png", up, dir + "/hard.png", dir + "/soft.png"}) {
    const auto r = runQviz({"render", dir + "/a.png", "--backend", "cpu", "--bits", "2", "--out", out});
    INFO(out);
    CHECK(r.exitCode == 2);
    CHECK(r.err == "qviz render: error: --out is the input image; refusing to overwrite it\n");
  }
  CHECK(readText(dir + "/a.png") == before);
}

TEST_CASE("quantize-tensor never overwrites its input and refuses over-budget headers", "[untrusted]") {
  const std::string dir = freshDir("untrusted_tensor");
  // A valid 64-value float32 .npy called codes.npy, quantized into its own folder.
  std::string npy = npyHeaderOnly("(64,)");
  for (int i = 0; i < 64; ++i) {
    const float v = float(i) / 64.0f;
    npy.append(reinterpret_cast<const char*>(&v), 4);
  }
  writeBytes(dir + "/codes.npy", npy);
  const auto r = runQviz({"quantize-tensor", dir + "/codes.npy", "--format", "nf4", "--backend", "cpu", "--out-dir", dir,
                          "--force"});
  CHECK(r.exitCode == 2);
  CHECK(r.err == "qviz quantize-tensor: error: " + dir + "/codes.npy is the input; refusing to overwrite it\n");
  CHECK(readText(dir + "/codes.npy") == npy);
  // 2^40 float32 declared in a 64-byte file.
  writeBytes(dir + "/tera.npy", npyHeaderOnly("(1099511627776,)"));
  const auto t = runQviz({"quantize-tensor", dir + "/tera.npy", "--format", "nf4", "--backend", "cpu", "--out-dir", dir + "/q"});
  CHECK(t.exitCode == 2);
  CHECK(t.err == "qviz quantize-tensor: error: " + dir +
                     "/tera.npy: shape (1099511627776,) of float32 needs 4 TiB, over the memory budget of 4 GiB\n");
}

TEST_CASE("render onto a full device, a size limit or a read-only folder: exit 2, the previous output intact",
          "[untrusted]") {
  const std::string dir = freshDir("untrusted_full");
  const std::string previous = "the previous output, kept byte for byte\n";
  const std::vector<std::string> render = {"render", dataPath("astronaut.png"), "--backend", "cpu", "--bits", "8", "--out"};
  // A file size limit of 16 KiB for the whole qviz process (EFBIG; SIGXFSZ ignored).
  {
    const std::string out = dir + "/limited.png";
    writeBytes(out, previous);
    std::vector<std::string> argv = {"sh", "-c", "trap '' XFSZ; ulimit -f 32; exec \"$0\" \"$@\"", QVIZ_BIN};
    argv.insert(argv.end(), render.begin(), render.end());
    argv.push_back(out);
    const auto r = runProgram(argv);
    CHECK(r.exitCode == 2);
    CHECK(r.err == "qviz render: error: cannot write " + out + ": File too large\n");
    CHECK(readText(out) == previous);
  }
  SmallTmpfs mnt(dir + "/mnt");
  if (!mnt.mounted) {
    WARN("cannot mount a tmpfs here (not root?): only the file size limit was tested");
    return;
  }
  const std::string out = mnt.dir + "/out.png";
  writeBytes(out, previous);
  writeBytes(mnt.dir + "/filler", std::string(40 << 10, 'f'));  // astronaut.png at 8 bits needs far more than the rest
  auto args = render;
  args.push_back(out);
  const auto full = runQviz(args);
  CHECK(full.exitCode == 2);
  CHECK(full.err == "qviz render: error: cannot write " + out + ": No space left on device\n");
  CHECK(readText(out) == previous);
  REQUIRE(mnt.remountReadOnly());
  const auto ro = runQviz(args);
  CHECK(ro.exitCode == 2);
  CHECK(ro.err == "qviz render: error: cannot write " + out + ": Read-only file system\n");
  CHECK(readText(out) == previous);
  std::size_t entries = 0;
  for (const auto& e : fs::directory_iterator(mnt.dir)) entries += e.is_regular_file();
  CHECK(entries == 2);  // out.png and filler: no temporary file left behind
}

TEST_CASE("quantize-tensor and lora onto a read-only folder say so, not \"No such file or directory\"", "[untrusted]") {
  const std::string dir = freshDir("untrusted_ro_outdir");
  std::string npy = npyHeaderOnly("(64,)");
  npy.append(64 * 4, '\0');
  writeBytes(dir + "/x.npy", npy);
  SmallTmpfs mnt(dir + "/mnt");
  if (!mnt.mounted) {
    WARN("cannot mount a tmpfs here (not root?): read-only --out-dir not tested");
    return;
  }
  REQUIRE(mnt.remountReadOnly());
  const auto q = runQviz({"quantize-tensor", dir + "/x.npy", "--format", "nf4", "--backend", "cpu", "--out-dir", mnt.dir + "/new"});
  CHECK(q.exitCode == 2);
  CHECK(q.err == "qviz quantize-tensor: error: cannot create " + mnt.dir + "/new: Read-only file system\n");
  const auto l = runQviz({"lora", "--out-dir", mnt.dir + "/new", "--steps", "1"});
  CHECK(l.exitCode == 2);
  CHECK(l.err == "qviz lora: error: cannot create " + mnt.dir + "/new: Read-only file system\n");
  CHECK(!fs::exists(mnt.dir + "/new"));
}

TEST_CASE("quantize-tensor: hostile tensor headers of issue 15 exit 2, nothing changed on disk", "[untrusted]") {
  const std::string dir = freshDir("untrusted_issue15");
  auto st = [](const std::string& header) {
    std::string out;
    for (int i = 0; i < 8; ++i) out += char((header.size() >> (8 * i)) & 0xff);
    return out + header;
  };
  const std::string out = dir + "/out";
  fs::create_directory(out);
  writeBytes(out + "/summary.json", "the previous summary\n");
  struct Case {
    std::string file, bytes, why;
  };
  // 15.4: 100 MB headers whose DOM took 1.6-2.0 GB: 7.5 million tiny entries (refused by the
  // 64 MiB table budget at the 254201st key: 256 + 8 bytes each), one 50-million-element array.
  std::string tiny = "{", ones = R"({"w": [)";
  char key[16];
  for (int i = 0; tiny.size() < (100u << 20) - 20; ++i) {
    std::snprintf(key, sizeof key, "\"k%07d\"", i % 10000000);
    tiny += std::string(i ? "," : "") + key + ":{}";
  }
  tiny += "}";
  ones.reserve(100u << 20);
  while (ones.size() < (100u << 20) - 4) ones += "1,";
  ones += "1]}";
  const std::vector<Case> cases = {
      {"entries.safetensors", st(tiny),
       "the header's keys need more than its table budget of 64 MiB (254201 keys so far; a safetensors header is a flat "
       "map of tensors)"},
      {"array.safetensors", st(ones), "tensor 'w' is not an object"},
      // 15.4: 100 MB of '[' (the DOM took 7.4 GB).
      {"deep.safetensors", st(R"({"w": )" + std::string((100u << 20) - 6, '[')),
       "the header nests deeper than 4 levels (a safetensors header is a flat map of tensors)"},
      // 15.8: a repeated name (the last one was used silently).
      {"dup.safetensors",
       st(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})") +
           std::string(4, '\0'),
       "tensor 'w' appears twice in the header"},
      // 15.8: a zero-size shape numpy refuses.
      {"zero.npy", npyHeaderOnly("(4611686018427387904, 4611686018427387904, 0)"),
       "shape (4611686018427387904, 4611686018427387904, 0) of float32 is larger than numpy allows: its non-zero "
       "dimensions need more than 2^63 - 1 bytes"},
  };
  for (const auto& c : cases) {
    writeBytes(dir + "/" + c.file, c.bytes);
    std::vector<std::string> argv = {"sh", "-c", "ulimit -v 2097152; exec \"$0\" \"$@\"", QVIZ_BIN};
#if defined(__SANITIZE_ADDRESS__)
    argv = {QVIZ_BIN};  // AddressSanitizer reserves terabytes of address space: no limit there
#endif
    for (const std::string& a : {std::string("quantize-tensor"), dir + "/" + c.file, std::string("--tensor"), std::string("w"),
                                 std::string("--format"), std::string("nf4"), std::string("--out-dir"), out, std::string("--force")})
      argv.push_back(a);
    if (c.file.find(".npy") != std::string::npos) argv.erase(argv.end() - 7, argv.end() - 5);  // no --tensor for .npy
    const auto r = runProgram(argv);
    INFO(c.file << ": " << r.err);
    CHECK(r.exitCode == 2);
    CHECK(r.err == "qviz quantize-tensor: error: " + dir + "/" + c.file + ": " + c.why + "\n");
    CHECK(readText(dir + "/" + c.file) == c.bytes);
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(out)) ++entries;
    CHECK(entries == 1);
    CHECK(readText(out + "/summary.json") == "the previous summary\n");
  }
}

TEST_CASE("quantize-tensor: every hostile tensor file of tests/data/hostile/tensors.tsv exits as listed, nothing changed on disk",
          "[untrusted]") {
  const std::string dir = freshDir("untrusted_tensors_tsv");
  const std::string out = dir + "/out";
  fs::create_directory(out);
  writeBytes(out + "/summary.json", "the previous summary\n");
  std::istringstream rows(readText(hostile("tensors.tsv")));
  std::string line;
  std::size_t cases = 0;
  while (std::getline(rows, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto t1 = line.find('\t'), t2 = line.find('\t', t1 + 1);
    REQUIRE(t2 != std::string::npos);
    const std::string file = line.substr(0, t1), why = line.substr(t2 + 1);
    const int code = std::stoi(line.substr(t1 + 1, t2 - t1 - 1));
    // A copy, so that "unchanged" is checked on a file of this test's own.
    const std::string input = dir + "/" + file;
    fs::copy_file(hostile(file), input, fs::copy_options::overwrite_existing);
    const std::string before = readText(input);
    std::vector<std::string> argv = {"quantize-tensor", input, "--format", "nf4", "--out-dir", out, "--force"};
    if (file.find(".safetensors") != std::string::npos) argv.insert(argv.begin() + 2, {"--tensor", "w"});
    const auto r = runQviz(argv);
    INFO(file << ": " << r.err);
    CHECK(r.exitCode == code);
    CHECK(r.err == "qviz quantize-tensor: error: " + input + ": " + why + "\n");
    CHECK(readText(input) == before);
    CHECK(readText(hostile(file)) == before);
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(out)) ++entries;
    CHECK(entries == 1);
    CHECK(readText(out + "/summary.json") == "the previous summary\n");
    std::size_t dirEntries = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++dirEntries;
    CHECK(dirEntries == 1 + cases + 1);  // out/, the inputs so far: no temporary left beside them
    ++cases;
  }
  CHECK(cases == 18);
}
