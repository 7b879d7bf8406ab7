// The real `qviz` binary on the raw block formats: quantize-tensor's blocks.bin and dequant.npy
// against the reference vectors (tests/data/vectors/formats) byte for byte, its summary.json
// against their meta.json, the streamed chunks (MX rows that are not a multiple of 32, NVFP4's
// tensor scale over several chunks) against the core on the whole tensor, the refusals, and
// `--format all`.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cstring>
#include <set>
#include <string>
#include <vector>
#include <nlohmann/json.hpp>

#include "cli/cli_harness.hpp"
#include "data_names.hpp"
#include "quant/blockwise.hpp"
#include "quant/format_sweep.hpp"
#include "tensor/npy.hpp"

using namespace qviz::test;
using namespace qviz::core;
using Json = nlohmann::json;

namespace {
std::vector<float> npyFloats(const std::string& path) {
  auto t = readNpy(path);
  REQUIRE(t.ok());
  return toFloat32(*t);
}

// Deterministic values in [-3, 3), every 7th one small (so that some round to zero).
std::vector<float> sample(std::size_t n, std::uint32_t seed) {
  std::vector<float> x(n);
  std::uint32_t s = seed;
  for (std::size_t i = 0; i < n; ++i) {
    s = s * 1664525u + 1013904223u;
    const float v = (float(s >> 8) / 16777216.0f - 0.5f) * 6.0f;
    x[i] = i % 7 == 3 ? v * 1e-3f : v;
  }
  return x;
}

std::string writeInput(const std::string& path, const std::vector<std::size_t>& shape, const std::vector<float>& x) {
  REQUIRE(writeNpy(path, tensorFromFloats(shape, x.data(), x.size())).ok());
  return path;
}

void oneLineExit2(const RunResult& r, const std::string& needle) {
  INFO(r.err);
  CHECK(r.exitCode == 2);
  CHECK(r.err.find(needle) != std::string::npos);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

// Runs quantize-tensor on `in` with `format` and checks blocks.bin and dequant.npy against the core
// quantizing the whole tensor at once (rows of the last axis).
void checkAgainstCore(const std::string& in, const std::vector<std::size_t>& shape, const std::vector<float>& x,
                      const std::string& format, const std::string& dir) {
  INFO(format << " on " << in);
  const auto r = runQviz({"quantize-tensor", in, "--format", format, "--out-dir", dir});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  BlockwiseSettings s;
  REQUIRE(parseTensorFormat(format, s.format));
  s.rowLength = shape.back();
  std::vector<std::uint8_t> blocks;
  REQUIRE(quantizeRawBlocks(x.data(), x.size(), s, blocks).ok());
  const std::string ours = readText(dir + "/blocks.bin");
  REQUIRE(ours.size() == blocks.size());
  CHECK(std::memcmp(ours.data(), blocks.data(), blocks.size()) == 0);
  std::vector<float> deq(x.size());
  REQUIRE(dequantizeRawBlocks(blocks.data(), blocks.size(), x.size(), s, deq.data()).ok());
  const auto written = npyFloats(dir + "/dequant.npy");
  REQUIRE(written.size() == deq.size());
  CHECK(std::memcmp(written.data(), deq.data(), deq.size() * sizeof(float)) == 0);
  const auto j = Json::parse(readText(dir + "/summary.json"));
  CHECK(j["blocks_size"] == blocks.size());
  CHECK(j["n"] == x.size());
  if (formatDesc(s.format).raw.rows != RowRule::Flat) CHECK(j["row_length"] == shape.back());
  else CHECK(j["row_length"].is_null());
}
}  // namespace

// One run per format and input: test_cli "quantize-tensor: raw*" -c "q4_k" ...
TEST_CASE("quantize-tensor: raw formats write blocks.bin and dequant.npy equal to the reference vectors") {
  std::vector<std::string> names;
  for (const auto& [name, dir] : vectorNames()) names.push_back(name);
  const std::string name = GENERATE_COPY(from_range(names));
  const std::string input = GENERATE(from_range(vectorInputs()));
  INFO(name << " on " << input);
  const std::string ref = dataPath("vectors/formats/" + input + "." + vectorNames().at(name) + "/");
  const std::string out = freshDir("qt_raw_" + name + "_" + input) + "/out";
  const auto r = runQviz({"quantize-tensor", dataPath("vectors/formats/inputs/" + input + ".npy"), "--format", name,
                          "--out-dir", out});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  const auto meta = Json::parse(readText(ref + "meta.json"));
  // blocks.bin: every byte.
  CHECK(readText(out + "/blocks.bin") == readText(ref + "blocks.bin"));
  // dequant.npy: every byte, header included (numpy's 128-byte version 1.0 header), except where
  // the contract says the reference keeps a sign of zero that the blocks cannot (MXINT8: -0.0).
  const std::string deq = readText(out + "/dequant.npy"), refDeq = readText(ref + "dequant.npy");
  const bool bitwise = meta["dequant_compare"] == "bitwise";
  if (bitwise) {
    CHECK(deq == refDeq);
  } else {
    CHECK(meta["dequant_compare"] == "value (+0 == -0)");
    REQUIRE(deq.size() == refDeq.size());
    CHECK(deq.substr(0, 128) == refDeq.substr(0, 128));
    const auto a = npyFloats(out + "/dequant.npy"), b = npyFloats(ref + "dequant.npy");
    std::size_t differ = 0;
    for (std::size_t i = 0; i < a.size(); ++i) differ += a[i] == b[i] ? 0 : 1;
    CHECK(differ == 0);
  }
  // summary.json: what meta.json states that we can state ourselves.
  const auto j = Json::parse(readText(out + "/summary.json"));
  CHECK(j["format"] == name);
  CHECK(j["n"] == meta["n"]);
  CHECK(j["shape"] == meta["input_shape"]);
  for (const char* key : {"block_size", "bytes_per_block", "bits_per_weight", "n_blocks", "blocks_size", "input_sha256",
                          "blocks_sha256"}) {
    INFO(key);
    CHECK(j[key] == meta[key]);
  }
  if (bitwise) CHECK(j["dequant_sha256"] == meta["dequant_sha256"]);
  CHECK(j["header_bytes"] == (meta.contains("header_bytes") ? int(meta["header_bytes"]) : 0));
  if (meta.contains("per_tensor_scale_hex")) CHECK(j["per_tensor_scale_hex"] == meta["per_tensor_scale_hex"]);
  if (meta.contains("bits_per_weight_with_header")) CHECK(j["bits_per_param"] == meta["bits_per_weight_with_header"]);
  for (const char* key : {"mse", "rmse", "max_abs_error", "sqnr_db", "backend", "elapsed_ms"}) {
    INFO(key);
    CHECK(j.contains(key));
  }
  CHECK(j["backend"] == "cpu");
  CHECK(double(j["sqnr_db"]) > 10.0);
  // The figures are formatStats' on the reference's own dequantized values (+0 == -0 changes none).
  const auto x = npyFloats(dataPath("vectors/formats/inputs/" + input + ".npy"));
  const auto refValues = npyFloats(ref + "dequant.npy");
  BlockwiseSettings s;
  REQUIRE(parseTensorFormat(name, s.format));
  const FormatStats st = formatStats(x.data(), refValues.data(), x.size(), s);
  CHECK(double(j["rmse"]) == st.rmse);
  CHECK(double(j["sqnr_db"]) == st.sqnrDb);
  CHECK(double(j["max_abs_error"]) == st.maxAbsError);
  // Raw formats write exactly these files; q8_0 and q4_0 keep their codes and scales besides.
  const bool legacy = name == "q8_0" || name == "q4_0";
  CHECK(fileExists(out + "/codes.npy") == legacy);
  CHECK(fileExists(out + "/absmax.npy") == legacy);
  std::vector<std::string> files = j["files"];
  CHECK(std::set<std::string>(files.begin(), files.end()).count("blocks.bin") == 1);
  if (!legacy) CHECK(files == std::vector<std::string>{"blocks.bin", "dequant.npy", "summary.json"});
}

TEST_CASE("quantize-tensor: raw formats streamed in chunks give the blocks of the whole tensor") {
  const std::string dir = freshDir("qt_raw_chunks");
  // MX rows of 40 (not a multiple of 32: each row's last block padded), 2-D.
  {
    const std::vector<std::size_t> shape = {6, 40};
    const auto x = sample(240, 1);
    const std::string in = writeInput(dir + "/rows40.npy", shape, x);
    for (const char* f : {"mxfp4", "mxfp6-e2m3", "mxint8"}) checkAgainstCore(in, shape, x, f, dir + "/rows40_" + f);
  }
  // An empty tensor: blocks.bin is the header alone (nvfp4's tensor scale), or empty.
  {
    const std::string in = writeInput(dir + "/empty.npy", {0}, {});
    for (const char* f : {"nvfp4", "q4_k", "mxfp4"}) {
      INFO(f);
      const auto r = runQviz({"quantize-tensor", in, "--format", f, "--out-dir", dir + "/empty_" + f});
      INFO(r.err);
      REQUIRE(r.exitCode == 0);
      BlockwiseSettings s;
      REQUIRE(parseTensorFormat(f, s.format));
      std::vector<std::uint8_t> blocks;
      REQUIRE(quantizeRawBlocks(nullptr, 0, s, blocks).ok());
      CHECK(blocks.size() == (std::string(f) == "nvfp4" ? 4u : 0u));
      CHECK(readText(dir + "/empty_" + f + "/blocks.bin") == std::string(blocks.begin(), blocks.end()));
      const auto j = Json::parse(readText(dir + "/empty_" + f + "/summary.json"));
      CHECK(j["n_blocks"] == 0);
      CHECK(j["blocks_size"] == blocks.size());
    }
  }
  // More than one chunk (kChunkValues = 2^22 values): rows of 1008 (MX: the chunk ends at a row end),
  // rows longer than a chunk whose last block is partial, and NVFP4's tensor scale over chunks.
  const std::size_t chunk = std::size_t(1) << 22;
  {
    const std::vector<std::size_t> shape = {4162, 1008};
    const auto x = sample(4162 * 1008, 2);
    const std::string in = writeInput(dir + "/rows1008.npy", shape, x);
    checkAgainstCore(in, shape, x, "mxfp4", dir + "/rows1008_mxfp4");
    checkAgainstCore(in, shape, x, "nvfp4-1level", dir + "/rows1008_nvfp4-1level");
  }
  {
    const std::vector<std::size_t> shape = {2, chunk + 40};
    auto x = sample(2 * (chunk + 40), 3);
    const std::string in = writeInput(dir + "/longrow.npy", shape, x);
    checkAgainstCore(in, shape, x, "mxfp8-e4m3", dir + "/longrow_mxfp8");
  }
  {
    // The largest |x| in the second chunk: the tensor scale (header) must come from it.
    const std::vector<std::size_t> shape = {chunk + 256};
    auto x = sample(chunk + 256, 4);
    x[chunk + 20] = 50.0f;
    const std::string in = writeInput(dir + "/nvfp4.npy", shape, x);
    checkAgainstCore(in, shape, x, "nvfp4", dir + "/nvfp4_out");
    checkAgainstCore(in, shape, x, "q4_k", dir + "/q4k_out");
  }
}

TEST_CASE("quantize-tensor: raw formats refuse what they cannot quantize, exit 2, one line, no folder") {
  const std::string dir = freshDir("qt_raw_bad");
  const std::string in300 = writeInput(dir + "/x300.npy", {3, 100}, sample(300, 5));
  const std::string in = dataPath("vectors/formats/inputs/normal_8192.npy");
  oneLineExit2(runQviz({"quantize-tensor", in300, "--format", "q4_k", "--out-dir", dir + "/o"}),
               "q4_k quantizes the flattened tensor in blocks of 256, as ggml does, so the number of values must be a "
               "multiple of 256; this tensor has 300 (44 left over). ggml itself refuses such a tensor.");
  oneLineExit2(runQviz({"quantize-tensor", in300, "--format", "q4_1", "--out-dir", dir + "/o"}),
               "must be a multiple of 32; this tensor has 300 (12 left over)");
  const std::string in40 = writeInput(dir + "/x40.npy", {8, 40}, sample(320, 6));
  oneLineExit2(runQviz({"quantize-tensor", in40, "--format", "nvfp4", "--out-dir", dir + "/o"}),
               "nvfp4 makes blocks of 16 along the last axis, which must be a multiple of 16; it is 40");
  oneLineExit2(runQviz({"quantize-tensor", in, "--format", "q4_k", "--blocksize", "256", "--out-dir", dir + "/o"}),
               "q4_k uses blocks of 256 values, always; --blocksize does not apply");
  oneLineExit2(runQviz({"quantize-tensor", in, "--format", "mxfp4", "--blocksize", "64", "--out-dir", dir + "/o"}),
               "mxfp4 uses blocks of 32 values, always; --blocksize does not apply");
  oneLineExit2(runQviz({"quantize-tensor", in, "--format", "mxfp4", "--double-quant", "--out-dir", dir + "/o"}),
               "double quantization applies to nf4 and fp4 only, not mxfp4");
  oneLineExit2(runQviz({"quantize-tensor", in, "--format", "q4_k"}), "--out-dir is required (except with --format all)");
  oneLineExit2(runQviz({"quantize-tensor", in, "--format", "q4_k", "--out-dir", dir + "/o", "--json", dir + "/t.json"}),
               "--json applies to --format all");
  CHECK_FALSE(fileExists(dir + "/o"));
  // MX pads a partial row instead of refusing it: 8 rows of 40 quantize.
  CHECK(runQviz({"quantize-tensor", in40, "--format", "mxfp4", "--out-dir", dir + "/mx"}).exitCode == 0);
}

TEST_CASE("quantize-tensor --format all: every format's row, as core::sweepFormats measures it") {
  const std::string dir = freshDir("qt_all");
  const std::string in = dataPath("vectors/formats/inputs/heavy_8192.npy");
  const auto r = runQviz({"quantize-tensor", in, "--format", "all", "--json", dir + "/all.json"});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  const auto x = npyFloats(in);
  SweepOptions o;
  o.rowLength = x.size();
  const auto rows = sweepFormats(x.data(), x.size(), o);
  const auto j = Json::parse(readText(dir + "/all.json"));
  CHECK(j["n"] == 8192);
  CHECK(j["row_length"] == 8192);
  REQUIRE(j["rows"].size() == rows.size());
  CHECK(rows.size() == 67);
  std::size_t pareto = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Json& row = j["rows"][i];
    const SweepRow& want = rows[i];
    INFO(want.label);
    CHECK(row["label"] == want.label);
    CHECK(row["format"] == tensorFormatName(want.settings.format));
    CHECK(row["blocksize"] == effectiveBlocksize(want.settings));
    CHECK(row["double_quant"] == want.settings.doubleQuant);
    CHECK(row["ok"] == true);  // every format applies to 8192 values
    CHECK(row["error"].is_null());
    CHECK(double(row["bits_per_weight"]) == want.bitsPerWeight);
    CHECK(double(row["rmse"]) == want.rmse);
    CHECK(double(row["sqnr_db"]) == want.sqnrDb);
    CHECK(double(row["max_abs_error"]) == want.maxAbsError);
    CHECK(row["pareto"] == want.pareto);
    pareto += want.pareto ? 1 : 0;
    // The table on stdout has a line for the row.
    CHECK(r.out.find("\n" + want.label + " ") != std::string::npos);
  }
  CHECK(pareto >= 2);
  CHECK(r.out.rfind("format ", 0) == 0);

  // A tensor some formats do not apply to: their rows say why; one blocksize only with --blocksize.
  const std::string in300 = writeInput(dir + "/x300.npy", {3, 100}, sample(300, 7));
  const auto r2 = runQviz({"quantize-tensor", in300, "--format", "all", "--blocksize", "64", "--json", dir + "/300.json"});
  INFO(r2.err);
  REQUIRE(r2.exitCode == 0);
  const auto j2 = Json::parse(readText(dir + "/300.json"));
  CHECK(j2["rows"].size() == 34);  // 9 formats at blocksize 64, nf4/fp4 with dq, 23 fixed-block formats
  CHECK(j2["row_length"] == 100);
  bool sawQ4k = false;
  for (const Json& row : j2["rows"])
    if (row["label"] == "q4_k") {
      sawQ4k = true;
      CHECK(row["ok"] == false);
      CHECK(row["pareto"] == false);
      CHECK(row["rmse"].is_null());
      CHECK(row["error"] ==
            "q4_k quantizes the flattened tensor in blocks of 256, as ggml does, so the number of values must be a "
            "multiple of 256; this tensor has 300 (44 left over). ggml itself refuses such a tensor.");
    } else if (row["label"] == "mxfp4") {
      CHECK(row["ok"] == true);  // rows of 100, padded
    }
  CHECK(sawQ4k);
  CHECK(r2.out.find("q4_k") != std::string::npos);
  CHECK(r2.out.find("does not apply: q4_k quantizes the flattened tensor") != std::string::npos);

  // The table alone (no --json); refusals.
  const auto r3 = runQviz({"quantize-tensor", in300, "--format", "all"});
  CHECK(r3.exitCode == 0);
  CHECK(r3.out.find("nf4 bs64") != std::string::npos);
  oneLineExit2(runQviz({"quantize-tensor", in300, "--format", "all", "--out-dir", dir + "/o"}), "--format all writes no folder");
  oneLineExit2(runQviz({"quantize-tensor", in300, "--format", "all", "--double-quant"}), "drop --double-quant");
  oneLineExit2(runQviz({"quantize-tensor", in300, "--format", "all", "--json", dir + "/300.json"}), "exists (use --force");
  CHECK(runQviz({"quantize-tensor", in300, "--format", "all", "--json", dir + "/300.json", "--force"}).exitCode == 0);
}

TEST_CASE("quantize-tensor --help lists every format, grouped by family") {
  const auto r = runQviz({"quantize-tensor", "--help"});
  CHECK(r.exitCode == 0);
  for (const FormatDesc& d : tensorFormats()) {
    INFO(d.name);
    CHECK(r.out.find(d.name) != std::string::npos);
  }
  for (const char* group : {"bnb4: nf4, fp4", "intn: int8", "ggml: q8_0, q4_0, q4_1", "OCP MX: mxfp4", "NVIDIA: nvfp4, nvfp4-1level",
                            "all: every format"}) {
    INFO(group);
    CHECK(r.out.find(group) != std::string::npos);
  }
}
