// The real `qviz` binary: quantize-tensor (files, summary fields, reference equality, refusals,
// --force) and memory (PEFT line, JSON fields, seed table).
#include <catch2/catch.hpp>
#include <cstring>
#include <limits>
#include <vector>
#include <nlohmann/json.hpp>

#include "cli/cli_harness.hpp"
#include "quant/blockwise.hpp"
#include "tensor/npy.hpp"

using namespace qviz::test;
using Json = nlohmann::json;

namespace {
std::string safetensorsFile(const std::string& header, const std::string& data) {
  std::string out;
  const std::uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out += char((n >> (8 * i)) & 0xff);
  return out + header + data;
}
}  // namespace

TEST_CASE("quantize-tensor: nf4 double-quant writes every file, equal to the reference") {
  const std::string dir = freshDir("qt_nf4_dq") + "/out";
  const auto r = runQviz({"quantize-tensor", dataPath("vectors/normal_4096.npy"), "--format", "nf4", "--blocksize", "64",
                          "--double-quant", "--out-dir", dir});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  for (const char* f : {"codes.npy", "packed.npy", "absmax.npy", "dequant.npy", "qabsmax.npy", "absmax2.npy",
                        "absmax_dq.npy", "summary.json"})
    CHECK(fileExists(dir + "/" + f));
  // Same bytes as the reference files (both are numpy-style version 1.0 headers padded to 64).
  const std::string ref = dataPath("vectors/normal_4096.nf4.bs64.dq/");
  for (const char* f : {"codes.npy", "packed.npy", "absmax.npy", "qabsmax.npy", "absmax_dq.npy", "dequant.npy"}) {
    INFO(f);
    const std::string a = readText(dir + "/" + f), b = readText(ref + f);
    const auto ha = a.find('\n'), hb = b.find('\n');
    REQUIRE(ha != std::string::npos);
    CHECK(a.substr(ha + 1) == b.substr(hb + 1));  // data sections
  }
  const auto j = Json::parse(readText(dir + "/summary.json"));
  for (const char* key : {"format", "blocksize", "double_quant", "n", "shape", "bits_per_param", "offset", "mse", "rmse",
                          "max_abs_error", "sqnr_db", "backend", "elapsed_ms"})
    CHECK(j.contains(key));
  CHECK(j["format"] == "nf4");
  CHECK(j["blocksize"] == 64);
  CHECK(j["double_quant"] == true);
  CHECK(j["n"] == 4096);
  CHECK(j["shape"] == Json::array({4096}));
  CHECK(double(j["offset"]) == Approx(2.673933744430542).epsilon(1e-7));
  CHECK(double(j["bits_per_param"]) == Approx(4.140625));  // 4 + (64*8 + 32 + 32) / 4096
  CHECK(double(j["sqnr_db"]) > 15.0);
  CHECK(j["backend"] == "cpu");
}

TEST_CASE("quantize-tensor: refuses to overwrite without --force, never the input") {
  const std::string dir = freshDir("qt_force");
  const std::vector<std::string> args = {"quantize-tensor", dataPath("vectors/normal_4096.npy"), "--format", "q4_0",
                                         "--out-dir", dir};
  REQUIRE(runQviz(args).exitCode == 0);
  const auto again = runQviz(args);
  CHECK(again.exitCode == 2);
  CHECK(again.err.find("exists (use --force") != std::string::npos);
  CHECK(std::count(again.err.begin(), again.err.end(), '\n') == 1);
  auto forced = args;
  forced.push_back("--force");
  CHECK(runQviz(forced).exitCode == 0);
  const auto j = Json::parse(readText(dir + "/summary.json"));
  CHECK(j["blocksize"] == 32);
  CHECK(double(j["bits_per_param"]) == 4.5);
  CHECK(j["offset"].is_null());
  CHECK(fileExists(dir + "/packed.npy"));
  // The input itself as an output file: refused even with --force.
  const std::string in = dir + "/codes.npy";
  const auto self = runQviz({"quantize-tensor", in, "--format", "int8", "--out-dir", dir, "--force"});
  CHECK(self.exitCode == 2);
  CHECK(self.err.find("is the input") != std::string::npos);
}

TEST_CASE("quantize-tensor: every format runs and reports its bits per parameter") {
  const std::string base = freshDir("qt_formats");
  const std::pair<const char*, double> formats[] = {{"nf4", 4.5},   {"fp4", 4.5},      {"int8", 8.5},     {"int4", 4.5},
                                                    {"int2", 2.5},  {"uint4", 5.0},    {"uint8", 9.0},    {"fp8-e4m3", 8.5},
                                                    {"fp8-e5m2", 8.5}, {"q8_0", 8.5}, {"q4_0", 4.5}};
  for (const auto& [fmt, bpp] : formats) {
    INFO(fmt);
    const std::string dir = base + "/" + fmt;
    const auto r = runQviz({"quantize-tensor", dataPath("vectors/normal_4096.npy"), "--format", fmt, "--out-dir", dir});
    INFO(r.err);
    REQUIRE(r.exitCode == 0);
    const auto j = Json::parse(readText(dir + "/summary.json"));
    CHECK(double(j["bits_per_param"]) == bpp);
    CHECK(double(j["mse"]) >= 0.0);
  }
  CHECK(fileExists(base + "/uint4/zero_point.npy"));
  CHECK_FALSE(fileExists(base + "/int8/packed.npy"));
}

TEST_CASE("quantize-tensor: safetensors input and bad input exit 2 with one line") {
  const std::string dir = freshDir("qt_bad");
  std::string data;
  for (int i = 0; i < 64; ++i) {
    const float f = float(i) - 31.5f;
    data.append(reinterpret_cast<const char*>(&f), 4);
  }
  const std::string header = R"({"a": {"dtype": "F32", "shape": [8, 8], "data_offsets": [0, 256]},)"
                             R"( "b": {"dtype": "F32", "shape": [64], "data_offsets": [0, 0]}})";
  writeBytes(dir + "/m.safetensors", safetensorsFile(R"({"a": {"dtype": "F32", "shape": [8, 8], "data_offsets": [0, 256]}})", data));
  writeBytes(dir + "/two.safetensors", safetensorsFile(header, data));
  auto r = runQviz({"quantize-tensor", dir + "/m.safetensors", "--format", "fp4", "--blocksize", "32", "--out-dir", dir + "/o1"});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  auto j = Json::parse(readText(dir + "/o1/summary.json"));
  CHECK(j["shape"] == Json::array({8, 8}));
  CHECK(j["tensor"] == "a");
  // Several tensors and no --tensor; a shape that lies; NaN; bad options.
  auto check2 = [&](const std::vector<std::string>& args, const std::string& needle) {
    const auto rr = runQviz(args);
    INFO(rr.err);
    CHECK(rr.exitCode == 2);
    CHECK(rr.err.find(needle) != std::string::npos);
    CHECK(std::count(rr.err.begin(), rr.err.end(), '\n') == 1);
  };
  check2({"quantize-tensor", dir + "/two.safetensors", "--format", "nf4", "--out-dir", dir + "/o2"}, "does not match");
  writeBytes(dir + "/two.safetensors",
             safetensorsFile(R"({"a": {"dtype": "F32", "shape": [32], "data_offsets": [0, 128]}, "b": {"dtype": "F32", "shape": [32], "data_offsets": [128, 256]}})", data));
  check2({"quantize-tensor", dir + "/two.safetensors", "--format", "nf4", "--out-dir", dir + "/o2"}, "--tensor");
  REQUIRE(runQviz({"quantize-tensor", dir + "/two.safetensors", "--tensor", "b", "--format", "nf4", "--out-dir", dir + "/o2"}).exitCode == 0);
  std::string nan = data;
  const float qnan = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(nan.data() + 4 * 17, &qnan, 4);
  writeBytes(dir + "/nan.safetensors", safetensorsFile(R"({"a": {"dtype": "F32", "shape": [64], "data_offsets": [0, 256]}})", nan));
  check2({"quantize-tensor", dir + "/nan.safetensors", "--format", "nf4", "--out-dir", dir + "/o3"}, "value 17");
  const std::string fortranHeader = "{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }\n";
  writeBytes(dir + "/fortran.npy", std::string("\x93NUMPY\x01\x00", 8) + char(fortranHeader.size()) + '\0' +
                                       fortranHeader + std::string(4, '\0'));
  check2({"quantize-tensor", dir + "/fortran.npy", "--format", "nf4", "--out-dir", dir + "/o4"}, "Fortran");
  check2({"quantize-tensor", dataPath("vectors/normal_4096.npy"), "--format", "nf5", "--out-dir", dir + "/o5"}, "unknown --format");
  check2({"quantize-tensor", dataPath("vectors/normal_4096.npy"), "--format", "nf4", "--blocksize", "48", "--out-dir", dir + "/o5"}, "power of two");
  check2({"quantize-tensor", dataPath("vectors/normal_4096.npy"), "--format", "q8_0", "--blocksize", "64", "--out-dir", dir + "/o5"}, "blocks of 32");
  check2({"quantize-tensor", dataPath("vectors/normal_4096.npy"), "--format", "int8", "--double-quant", "--out-dir", dir + "/o5"}, "double quantization");
  check2({"quantize-tensor", dataPath("vectors/normal_4096.npy"), "--format", "nf4", "--backend", "cuda", "--out-dir", dir + "/o5"}, "--backend");
  check2({"quantize-tensor", dir + "/missing.npy", "--format", "nf4", "--out-dir", dir + "/o5"}, "missing.npy");
  CHECK_FALSE(fileExists(dir + "/o5"));
}

TEST_CASE("memory: PEFT counts, JSON fields and the seed table") {
  auto r = runQviz({"memory", "--preset", "llama-7b", "--method", "lora", "--rank", "8", "--targets", "q,v"});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  CHECK(r.out.find("trainable params: 4,194,304 || all params: 6,742,609,920 || trainable%: 0.0622") != std::string::npos);
  r = runQviz({"memory", "--preset", "llama-7b", "--method", "qlora", "--rank", "64", "--targets", "all-linear", "--json"});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  const auto j = Json::parse(r.out);
  CHECK(j["trainable_params"] == 159907840);
  CHECK(j["total_params"] == 6738415616ull + 159907840ull);
  CHECK(double(j["trainable_percent"]) == Approx(100.0 * 159907840 / (6738415616.0 + 159907840)));
  std::vector<std::string> names;
  for (const auto& c : j["components"]) {
    names.push_back(c["name"]);
    CHECK(c.contains("bytes"));
    CHECK(c.contains("pageable_bytes"));
  }
  CHECK(names == std::vector<std::string>{"weights", "quant_constants", "adapters", "gradients", "optimizer_states", "activations"});
  CHECK(j["settings"]["adapter_precision"] == "fp32");  // PEFT's default
  CHECK(double(j["components"][2]["bytes"]) == 159907840.0 * 4);
  CHECK(double(j["pageable_bytes"]) == 0.0);
  CHECK(double(j["gpu_min_bytes"]) == double(j["gpu_peak_bytes"]));
  r = runQviz({"memory", "--method", "qlora", "--rank", "64", "--targets", "all-linear", "--paged", "--json"});
  REQUIRE(r.exitCode == 0);
  const auto p = Json::parse(r.out);
  CHECK(double(p["components"][4]["bytes"]) == 159907840.0 * 8);
  CHECK(double(p["components"][4]["pageable_bytes"]) == 159907840.0 * 8);
  CHECK(double(p["gpu_peak_bytes"]) - double(p["gpu_min_bytes"]) == 159907840.0 * 8);

  // qlora.py's settings: the GPU peak of about 6.02 GB, 1.28 GB of it pageable.
  r = runQviz({"memory", "--qlora-py", "--json"});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  const auto q = Json::parse(r.out);
  CHECK(double(q["gpu_peak_bytes"]) == 6017540992.0);
  CHECK(double(q["gpu_min_bytes"]) == 4738278272.0);
  CHECK(double(q["pageable_bytes"]) == 1279262720.0);
  CHECK(q["settings"]["adapter_precision"] == "bf16");
  CHECK(q["settings"]["upcast"] == "norms");
  CHECK(double(q["activation_detail"]["logits_bytes"]) == 512.0 * 32000 * 6);
  // Options after --qlora-py override it; r=8 on q,v leaves nothing to page.
  r = runQviz({"memory", "--qlora-py", "--rank", "8", "--targets", "q,v", "--adapter-precision", "fp32", "--json"});
  REQUIRE(r.exitCode == 0);
  const auto q8 = Json::parse(r.out);
  CHECK(q8["settings"]["rank"] == 8);
  CHECK(q8["settings"]["adapter_precision"] == "fp32");
  CHECK(double(q8["pageable_bytes"]) == 0.0);
  CHECK(q8["trainable_params"] == 4194304);
  r = runQviz({"memory", "--qlora-py", "--no-checkpointing", "--no-paged", "--json"});
  REQUIRE(r.exitCode == 0);
  const auto qn = Json::parse(r.out);
  CHECK(qn["settings"]["checkpointing"] == false);
  CHECK(double(qn["pageable_bytes"]) == 0.0);
  CHECK(double(qn["components"][5]["bytes"]) == 32 * 95879168.0 + 98304000.0);
  // Full fine-tuning: 16 bytes per parameter by default, 12 with --training pure.
  r = runQviz({"memory", "--method", "full", "--activations", "seed", "--json"});
  REQUIRE(r.exitCode == 0);
  const auto f = Json::parse(r.out);
  CHECK(f["components"][1]["name"] == "master_weights");
  CHECK(double(f["gpu_peak_bytes"]) == 6738415616.0 * (16 + 2));  // + the seed's activations (= weights)
  r = runQviz({"memory", "--method", "full", "--training", "pure", "--activations", "seed", "--json"});
  REQUIRE(r.exitCode == 0);
  CHECK(double(Json::parse(r.out)["gpu_peak_bytes"]) == 6738415616.0 * (12 + 2));
  r = runQviz({"memory", "--method", "qlora", "--upcast", "all", "--json"});
  REQUIRE(r.exitCode == 0);
  CHECK(double(Json::parse(r.out)["components"][0]["bytes"]) == 6476005376.0 * 0.5 + (262144000.0 + 266240) * 4);

  r = runQviz({"memory", "--seed-table"});
  REQUIRE(r.exitCode == 0);
  CHECK(r.out.find("98.0") != std::string::npos);
  CHECK(r.out.find("24.5") != std::string::npos);
  CHECK(r.out.find("-75%") != std::string::npos);
  CHECK(r.out.find("real saving: 94.4%") != std::string::npos);
  CHECK(r.out.find("\"The 4-bit quantized gradients use four bits to represent each gradient,") != std::string::npos);
  r = runQviz({"memory", "--seed-table", "--json"});
  REQUIRE(r.exitCode == 0);
  const auto s = Json::parse(r.out);
  CHECK(double(s["seed_table"]["fp16_total_gb"]) == 98.0);
  CHECK(double(s["seed_table"]["four_bit_total_gb"]) == 24.5);
  CHECK(double(s["seed_table"]["reduction_percent"]) == 75.0);
  CHECK(double(s["seed_table"]["real_qlora_bytes"]) == 6017540992.0);
  CHECK(double(s["seed_table"]["real_full_bytes"]) == 108047171584.0);
  CHECK(s["seed_table"]["rows"].size() == 5);
  CHECK(s["seed_table"]["rows"][1]["seed_fp16_gb"].is_null());
  CHECK(s["qlora"]["trainable_params"] == 159907840);
  CHECK(double(s["full"]["gpu_peak_bytes"]) == 108047171584.0);

  // Custom sizes and refusals.
  r = runQviz({"memory", "--hidden", "1024", "--intermediate", "4096", "--layers", "2", "--vocab", "1000", "--heads", "8",
               "--method", "full", "--json"});
  REQUIRE(r.exitCode == 0);
  CHECK(Json::parse(r.out)["total_params"] == 2 * (4 * 1024 * 1024 + 3 * 1024 * 4096 + 2 * 1024) + 1024 + 2 * 1000 * 1024);
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"memory", "--preset", "llama-8b"}, {"memory", "--method", "dora"},
        {"memory", "--targets", "q,x"}, {"memory", "--optimizer", "lion"}, {"memory", "--rank", "0"},
        {"memory", "--training", "half"}, {"memory", "--upcast", "some"}, {"memory", "--activations", "formula"}}) {
    const auto rr = runQviz(bad);
    CHECK(rr.exitCode == 2);
    CHECK(std::count(rr.err.begin(), rr.err.end(), '\n') == 1);
  }
}

namespace {
// 2 * 4 Mi + 4097 values (the CLI quantizes 4 Mi values at a time: two full steps, then a last
// one with a partial block and an odd length), as a float32 .npy.
std::vector<float> streamedInput(const std::string& path) {
  const std::size_t n = 2 * (std::size_t(1) << 22) + 4097;
  std::vector<float> x(n);
  std::uint32_t state = 12345;
  for (auto& v : x) {
    state = state * 1664525u + 1013904223u;
    v = (float(state >> 8) / float(1 << 24) - 0.5f) * (1.0f + float(state & 7));
  }
  REQUIRE(qviz::core::writeNpy(path, qviz::core::tensorFromFloats({n}, x.data(), n)).ok());
  return x;
}
std::string npyData(const std::string& path) {
  auto t = qviz::core::readNpy(path);
  REQUIRE(t.ok());
  return std::string(t->bytes.begin(), t->bytes.end());
}
template <typename T>
std::string bytesOf(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}
}  // namespace

TEST_CASE("quantize-tensor streams block range by block range: every file equals the whole-tensor quantizer (issue 15.6)") {
  using namespace qviz::core;
  const std::string dir = freshDir("qt_streamed");
  const std::vector<float> x = streamedInput(dir + "/x.npy");
  struct Case {
    const char* format;
    int blocksize;
    bool dq;
  };
  for (const Case& c : {Case{"nf4", 64, true}, Case{"uint4", 4096, false}, Case{"q4_0", 32, false}, Case{"fp8-e4m3", 128, false}}) {
    INFO(c.format);
    BlockwiseSettings s;
    REQUIRE(parseTensorFormat(c.format, s.format));
    s.blocksize = c.blocksize;
    s.doubleQuant = c.dq;
    auto q = quantizeBlockwise(x.data(), x.size(), s);
    REQUIRE(q.ok());
    std::vector<float> deq(x.size());
    dequantizeBlockwise(*q, deq.data());
    const FormatStats stats = formatStats(x.data(), deq.data(), x.size(), s);
    const std::string out = dir + "/" + c.format;
    std::vector<std::string> args = {"quantize-tensor", dir + "/x.npy", "--format", c.format, "--out-dir", out};
    if (std::string(c.format) != "q4_0") args.insert(args.end(), {"--blocksize", std::to_string(c.blocksize)});
    if (c.dq) args.push_back("--double-quant");
    const auto r = runQviz(args);
    INFO(r.err);
    REQUIRE(r.exitCode == 0);
    CHECK(npyData(out + "/codes.npy") == bytesOf(q->codes));
    CHECK(npyData(out + "/absmax.npy") == bytesOf(q->absmax));
    CHECK(npyData(out + "/dequant.npy") == bytesOf(deq));
    if (!q->packed.empty()) CHECK(npyData(out + "/packed.npy") == bytesOf(q->packed));
    if (!q->zeroPoint.empty()) CHECK(npyData(out + "/zero_point.npy") == bytesOf(q->zeroPoint));
    if (c.dq) {
      CHECK(npyData(out + "/qabsmax.npy") == bytesOf(q->qabsmax));
      CHECK(npyData(out + "/absmax2.npy") == bytesOf(q->absmax2));
      CHECK(npyData(out + "/absmax_dq.npy") == bytesOf(q->absmaxDq));
    }
    const auto j = Json::parse(readText(out + "/summary.json"));
    CHECK(j["n"] == x.size());
    CHECK(j["blocks"] == q->absmax.size());
    CHECK(double(j["mse"]) == stats.mse);
    CHECK(double(j["max_abs_error"]) == stats.maxAbsError);
    CHECK(double(j["sqnr_db"]) == stats.sqnrDb);
    if (c.dq) CHECK(double(j["offset"]) == double(q->offset));
  }
}

TEST_CASE("quantize-tensor streamed: a refusal names the index and block of the whole tensor, nothing is written") {
  using namespace qviz::core;
  const std::string dir = freshDir("qt_streamed_refused");
  std::vector<float> x = streamedInput(dir + "/x.npy");
  struct Case {
    const char* format;
    std::size_t at;
    float value;
  };
  for (const Case& c : {Case{"nf4", 2 * (std::size_t(1) << 22) + 7, std::numeric_limits<float>::quiet_NaN()},
                        Case{"int8", (std::size_t(1) << 22) + 3, std::numeric_limits<float>::infinity()},
                        Case{"q8_0", (std::size_t(1) << 22) + 64, 1e7f}, Case{"q4_0", 2 * (std::size_t(1) << 22) + 40, -1e6f}}) {
    INFO(c.format);
    std::vector<float> y = x;
    y[c.at] = c.value;
    REQUIRE(writeNpy(dir + "/y.npy", tensorFromFloats({y.size()}, y.data(), y.size())).ok());
    BlockwiseSettings s;
    REQUIRE(parseTensorFormat(c.format, s.format));
    auto whole = quantizeBlockwise(y.data(), y.size(), s);
    REQUIRE_FALSE(whole.ok());
    const auto r = runQviz({"quantize-tensor", dir + "/y.npy", "--format", c.format, "--out-dir", dir + "/out"});
    CHECK(r.exitCode == 2);
    CHECK(r.err == "qviz quantize-tensor: error: " + dir + "/y.npy: " + whole.error() + "\n");
    CHECK_FALSE(fileExists(dir + "/out"));
  }
}
