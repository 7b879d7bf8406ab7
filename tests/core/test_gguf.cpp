// GGUF reading: the reference file tests/data/vectors/gguf/small.gguf against its sidecar (every
// tensor's info, the sha256 of its bytes and of its dequantized float32 values, bit for bit), every
// supported ggml type through a crafted file, and refusals of crafted hostile files (truncation at
// every byte of the header, huge counts, lying lengths, deep nesting, overflow, misalignment).
#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "quant/blockwise.hpp"
#include "tensor/gguf.hpp"
#include "test_support.hpp"
#include "util/half.hpp"
#include "util/sha256.hpp"
#include "../test_files.hpp"

using namespace qviz::core;

namespace {

// A small GGUF writer for crafted files.
struct Bytes {
  std::vector<std::uint8_t> b;
  Bytes& u8(std::uint8_t v) { b.push_back(v); return *this; }
  Bytes& u32(std::uint32_t v) { for (int k = 0; k < 4; ++k) b.push_back(std::uint8_t(v >> (8 * k))); return *this; }
  Bytes& u64(std::uint64_t v) { for (int k = 0; k < 8; ++k) b.push_back(std::uint8_t(v >> (8 * k))); return *this; }
  Bytes& str(const std::string& s) { u64(s.size()); b.insert(b.end(), s.begin(), s.end()); return *this; }
  Bytes& raw(const std::vector<std::uint8_t>& v) { b.insert(b.end(), v.begin(), v.end()); return *this; }
};

struct Kv {
  std::string key;
  std::uint32_t type;
  std::vector<std::uint8_t> value;  // encoded
};
struct Ti {
  std::string name;
  std::vector<std::uint64_t> ne;
  std::uint32_t type;
  std::uint64_t offset;
};

std::vector<std::uint8_t> gguf(const std::vector<Kv>& kvs, const std::vector<Ti>& tis, const std::vector<std::uint8_t>& data,
                               std::uint32_t version = 3, std::uint64_t align = 32) {
  Bytes w;
  w.raw({'G', 'G', 'U', 'F'}).u32(version).u64(tis.size()).u64(kvs.size());
  for (const auto& kv : kvs) w.str(kv.key).u32(kv.type).raw(kv.value);
  for (const auto& t : tis) {
    w.str(t.name).u32(std::uint32_t(t.ne.size()));
    for (auto n : t.ne) w.u64(n);
    w.u32(t.type).u64(t.offset);
  }
  while (w.b.size() % align) w.u8(0);
  return w.raw(data).b;
}

Kv u32Kv(const std::string& k, std::uint32_t v) { return {k, 4, Bytes().u32(v).b}; }
Kv strKv(const std::string& k, const std::string& v) { return {k, 8, Bytes().str(v).b}; }

Result<GgufFile> parse(const std::vector<std::uint8_t>& b) { return parseGguf(b.data(), b.size(), {}, "t.gguf"); }

void refused(const std::vector<std::uint8_t>& b, const std::string& part) {
  auto r = parse(b);
  INFO("expected a refusal containing: " << part);
  REQUIRE_FALSE(r.ok());
  INFO(r.error());
  CHECK(r.error().find(part) != std::string::npos);
  CHECK(r.error().rfind("t.gguf: ", 0) == 0);
}

std::vector<std::uint8_t> readAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::uint8_t> f32Bytes(const std::vector<float>& v) {
  std::vector<std::uint8_t> b(v.size() * 4);
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

}  // namespace

TEST_CASE("gguf: small.gguf matches its sidecar bit for bit", "[gguf]") {
  const auto side = nlohmann::json::parse(std::ifstream(qviz::test::data("vectors/gguf/small.gguf.json")));
  auto r = openGguf(qviz::test::data("vectors/gguf/small.gguf"));
  REQUIRE(r.ok());
  const GgufFile& f = *r;
  CHECK(f.fileSize == side["file_size"].get<std::uint64_t>());
  CHECK(f.version == side["gguf_version"].get<std::uint32_t>());
  CHECK(f.alignment == side["alignment"].get<std::uint64_t>());
  CHECK(f.dataOffset == side["data_offset"].get<std::uint64_t>());
  CHECK(sha256Hex(f.data, f.fileSize) == side["file_sha256"].get<std::string>());

  REQUIRE(f.metadata.size() == side["metadata"].size());
  for (std::size_t k = 0; k < f.metadata.size(); ++k) {
    const auto& m = side["metadata"][k];
    const GgufKeyValue& kv = f.metadata[k];
    INFO(kv.key);
    CHECK(kv.key == m["key"].get<std::string>());
    CHECK(std::string(ggufValueTypeName(kv.value.type)) == m["type"].get<std::string>());
    if (kv.value.type == GgufValueType::String) CHECK(kv.value.str == m["value"].get<std::string>());
    if (kv.value.type == GgufValueType::U32) CHECK(kv.value.u == m["value"].get<std::uint64_t>());
  }
  REQUIRE(f.find("general.architecture"));
  CHECK(f.find("general.architecture")->value.str == "llama");

  REQUIRE(f.tensors.size() == side["n_tensors"].get<std::size_t>());
  REQUIRE(f.tensors.size() == side["tensors"].size());
  for (std::size_t k = 0; k < f.tensors.size(); ++k) {
    const auto& s = side["tensors"][k];
    const GgufTensorInfo& t = f.tensors[k];
    INFO(t.name);
    CHECK(t.name == s["name"].get<std::string>());
    CHECK(t.typeName == s["ggml_type"].get<std::string>());
    CHECK(t.ggmlType == s["ggml_type_id"].get<std::uint32_t>());
    CHECK(t.shape == s["shape"].get<std::vector<std::size_t>>());
    CHECK(t.ne == s["ne"].get<std::vector<std::uint64_t>>());
    CHECK(t.nElements == s["n_elements"].get<std::uint64_t>());
    CHECK(t.offset == s["offset"].get<std::uint64_t>());
    CHECK(t.fileOffset == s["file_offset"].get<std::uint64_t>());
    CHECK(t.nbytes == s["nbytes"].get<std::uint64_t>());
    REQUIRE(t.supported);
    CHECK(sha256Hex(f.tensorBytes(t), t.nbytes) == s["bytes_sha256"].get<std::string>());
    std::vector<float> out(t.nElements);
    REQUIRE(dequantizeGguf(f, t, out.data()).ok());
    CHECK(sha256Hex(out.data(), out.size() * 4) == s["dequant_sha256"].get<std::string>());
    const auto first4 = s["dequant_first4"].get<std::vector<double>>();
    for (std::size_t i = 0; i < 4; ++i) CHECK(double(out[i]) == first4[i]);
  }
  CHECK(f.findTensor("blk.0.attn_q.weight")->format == TensorFormat::Q4_K);

  // An info that no longer matches its bytes is refused, not read past.
  GgufTensorInfo lying = *f.findTensor("output_norm.weight");
  lying.nElements = 512;
  std::vector<float> out(512);
  CHECK_FALSE(dequantizeGguf(f, lying, out.data()).ok());
  lying = *f.findTensor("blk.0.attn_v.weight");
  lying.nbytes += 18;
  CHECK_FALSE(dequantizeGguf(f, lying, out.data()).ok());

  // The same file as version 2 reads the same (v2 and v3 differ only in the version field).
  auto bytes = readAll(qviz::test::data("vectors/gguf/small.gguf"));
  bytes[4] = 2;
  auto v2 = parseGguf(bytes.data(), bytes.size());
  REQUIRE(v2.ok());
  CHECK(v2->version == 2);
  REQUIRE(v2->tensors.size() == f.tensors.size());
  for (std::size_t k = 0; k < f.tensors.size(); ++k) {
    CHECK(v2->tensors[k].name == f.tensors[k].name);
    CHECK(v2->tensors[k].fileOffset == f.tensors[k].fileOffset);
    CHECK(v2->tensors[k].nbytes == f.tensors[k].nbytes);
  }
}

TEST_CASE("gguf: every supported ggml type dequantizes as its core format", "[gguf]") {
  struct Case {
    std::uint32_t id;
    const char* format;  // nullptr: F32/F16/BF16
  };
  const Case cases[] = {{0, nullptr},  {1, nullptr},      {30, nullptr},     {2, "q4_0"},   {3, "q4_1"},
                        {6, "q5_0"},   {7, "q5_1"},       {8, "q8_0"},       {10, "q2_k"},  {11, "q3_k"},
                        {12, "q4_k"},  {13, "q5_k"},      {14, "q6_k"},      {20, "iq4_nl"}, {23, "iq4_xs"},
                        {39, "ggml-mxfp4"}, {40, "ggml-nvfp4"}};
  const std::size_t rows = 2, cols = 512;
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.0f, 0.02f);
  std::vector<float> x(rows * cols);
  for (auto& v : x) v = nd(rng);
  for (const Case& c : cases) {
    INFO("ggml type " << c.id);
    std::vector<std::uint8_t> data;
    std::vector<float> want(x.size());
    if (c.id == 0) {
      data = f32Bytes(x);
      want = x;
    } else if (c.id == 1 || c.id == 30) {
      for (std::size_t i = 0; i < x.size(); ++i) {
        std::uint32_t bits;
        std::memcpy(&bits, &x[i], 4);
        const std::uint16_t h = c.id == 1 ? floatToHalf(x[i]) : std::uint16_t(bits >> 16);
        data.push_back(std::uint8_t(h));
        data.push_back(std::uint8_t(h >> 8));
        const std::uint32_t back = std::uint32_t(h) << 16;
        if (c.id == 1) want[i] = halfToFloat(h);
        else std::memcpy(&want[i], &back, 4);
      }
    } else {
      const FormatDesc* d = findFormat(std::string_view(c.format));
      REQUIRE(d);
      BlockwiseSettings s;
      s.format = d->format;
      REQUIRE(quantizeRawBlocks(x.data(), x.size(), s, data).ok());
      REQUIRE(dequantizeRawBlocks(data.data(), data.size(), x.size(), s, want.data()).ok());
    }
    const auto b = gguf({u32Kv("general.alignment", 32)}, {{"w", {cols, rows}, c.id, 0}}, data);
    auto r = parse(b);
    REQUIRE(r.ok());
    const GgufTensorInfo& t = r->tensors[0];
    CHECK(t.supported);
    CHECK(t.typeName == ggmlTypeName(c.id));
    CHECK(t.nbytes == data.size());
    CHECK(t.shape == std::vector<std::size_t>{rows, cols});
    if (c.format) CHECK(t.format == findFormat(std::string_view(c.format))->format);
    std::vector<float> out(x.size());
    REQUIRE(dequantizeGguf(*r, t, out.data()).ok());
    CHECK(std::memcmp(out.data(), want.data(), out.size() * 4) == 0);
  }
}

TEST_CASE("gguf: truncation anywhere is refused with a message, never a crash", "[gguf]") {
  const auto full = readAll(qviz::test::data("vectors/gguf/small.gguf"));
  REQUIRE(full.size() == 232096);
  // Every byte of the header, the metadata, the infos and the padding; then every 61st byte.
  for (std::size_t n = 0; n < full.size(); n += (n < 700 ? 1 : 61)) {
    auto r = parseGguf(full.data(), n, {}, "t.gguf");
    INFO("prefix of " << n << " bytes");
    REQUIRE_FALSE(r.ok());
    CHECK_FALSE(r.error().empty());
    if (n >= 4 && n < 672) CHECK(r.error().find("at byte") != std::string::npos);
  }
  auto cut = parseGguf(full.data(), 10, {}, "t.gguf");
  CHECK(cut.error() == "t.gguf: the file ends inside the tensor count at byte 8 (8 bytes needed, 2 left of 10)");
  auto name = parseGguf(full.data(), 500, {}, "t.gguf");
  CHECK(name.error().find("a tensor name at byte 475 says it is 19 bytes long, but only 17 bytes are left") !=
        std::string::npos);
  auto pad = parseGguf(full.data(), 671, {}, "t.gguf");
  CHECK(pad.error().find("inside the padding before the data section") != std::string::npos);
  auto data = parseGguf(full.data(), full.size() - 1, {}, "t.gguf");
  CHECK(data.error().find("'output_norm.weight'") != std::string::npos);
  CHECK(data.error().find("past the end of the data section") != std::string::npos);
}

TEST_CASE("gguf: a crafted file with every value type, cut at every byte", "[gguf]") {
  Bytes nested;
  nested.u32(9).u64(2).u32(4).u64(2).u32(1).u32(2).u32(8).u64(1).str("x");
  Bytes strings;
  strings.u32(8).u64(3).str("a").str("bc").str("");
  const std::vector<Kv> kvs = {{"u8", 0, {7}}, {"i8", 1, {0x80}}, {"u16", 2, {7, 0}}, {"i16", 3, {0xfe, 0xff}},
                               u32Kv("u32", 7), {"i32", 5, Bytes().u32(0xfffffff9u).b}, {"f32", 6, Bytes().u32(0x40400000).b},
                               {"b", 7, {0}}, strKv("s", "text"), {"u64", 10, Bytes().u64(7).b},
                               {"i64", 11, Bytes().u64(~6ull).b}, {"f64", 12, Bytes().u64(0x3ff0000000000000ull).b},
                               {"nested", 9, nested.b}, {"tokens", 9, strings.b}, u32Kv("general.alignment", 64)};
  const auto full = gguf(kvs, {{"w", {32}, 8, 0}, {"v", {4, 2}, 0, 64}}, std::vector<std::uint8_t>(96, 0), 3, 64);
  auto r = parse(full);
  REQUIRE(r.ok());
  CHECK(r->alignment == 64);
  CHECK(r->find("u16")->value.u == 7);
  CHECK(r->find("i16")->value.i == -2);
  CHECK(r->find("i32")->value.i == -7);
  CHECK(r->find("i64")->value.i == -7);
  CHECK(r->find("f32")->value.f == 3.0);
  CHECK(r->find("nested")->value.items[1].items[0].str == "x");
  CHECK(r->find("tokens")->value.items.size() == 3);
  CHECK(r->tensors[1].shape == std::vector<std::size_t>{2, 4});
  for (std::size_t n = 0; n < full.size(); ++n) {
    auto cut = parseGguf(full.data(), n, {}, "t.gguf");
    INFO("prefix of " << n << " bytes");
    REQUIRE_FALSE(cut.ok());
    CHECK(cut.error().rfind("t.gguf: ", 0) == 0);
  }
}

TEST_CASE("gguf: versions, magic and counts", "[gguf]") {
  const std::vector<std::uint8_t> four(128, 0);
  SECTION("v2 is read, v1 and v4 refused") {
    auto v2 = parse(gguf({strKv("general.name", "x")}, {{"w", {32}, 0, 0}}, four, 2));
    REQUIRE(v2.ok());
    CHECK(v2->version == 2);
    refused(gguf({}, {}, {}, 1), "GGUF version 1");
    refused(gguf({}, {}, {}, 4), "unsupported GGUF version 4 at byte 4");
    refused(gguf({}, {}, {}, 0x03000000), "big-endian");
  }
  SECTION("magic") {
    auto b = gguf({}, {}, {});
    b[0] = 'X';
    refused(b, "not a GGUF file");
    refused({'G', 'G'}, "too short");
  }
  SECTION("huge counts") {
    auto b = gguf({}, {}, {});
    Bytes p;
    p.u64(~0ull);
    std::copy(p.b.begin(), p.b.end(), b.begin() + 8);
    refused(b, "the tensor count 18446744073709551615 at byte 8");
    b = gguf({}, {}, {});
    std::copy(p.b.begin(), p.b.end(), b.begin() + 16);
    refused(b, "the metadata count 18446744073709551615 at byte 16");
    b = gguf({}, {}, std::vector<std::uint8_t>(64, 0));
    b[16] = 100;  // 100 KV pairs cannot fit in 64 bytes
    refused(b, "cannot fit");
    GgufLimits few;
    few.maxKeyValues = 1;
    const auto two = gguf({u32Kv("a", 1), u32Kv("b", 2)}, {}, {});
    CHECK_FALSE(parseGguf(two.data(), two.size(), few).ok());
  }
  SECTION("an empty file with no tensors") {
    auto r = parse(gguf({}, {}, {}));
    REQUIRE(r.ok());
    CHECK(r->tensors.empty());
    CHECK(r->dataOffset == 32);
  }
}

TEST_CASE("gguf: hostile metadata", "[gguf]") {
  SECTION("a string length past the end") {
    Kv kv = strKv("k", "abc");
    kv.value[0] = 200;
    refused(gguf({kv}, {}, {}), "says it is 200 bytes long");
    Kv key{"", 4, Bytes().u32(1).b};
    auto b = gguf({key}, {}, {});
    b[24] = 0xff;  // the key's length
    refused(b, "a metadata key at byte 24");
  }
  SECTION("an unknown value type") {
    refused(gguf({{"k", 13, Bytes().u32(0).b}}, {}, {}), "unknown value type 13 at byte 33");
    refused(gguf({{"k", 9, Bytes().u32(77).u64(0).b}}, {}, {}), "unknown array element type 77");
  }
  SECTION("arrays nested 8 deep are read, 9 deep refused") {
    auto nested = [](int depth) {
      Bytes v;
      for (int d = 1; d < depth; ++d) v.u32(9).u64(1);
      v.u32(4).u64(2).u32(5).u32(6);  // the innermost: two uint32
      return Kv{"deep", 9, v.b};
    };
    auto r = parse(gguf({nested(8)}, {}, {}));
    REQUIRE(r.ok());
    const GgufValue* v = &r->metadata[0].value;
    for (int d = 1; d < 8; ++d) {
      REQUIRE(v->items.size() == 1);
      v = &v->items[0];
    }
    double e = 0;
    REQUIRE(v->scalarAt(1, e));
    CHECK(e == 6.0);
    refused(gguf({nested(9)}, {}, {}), "arrays nest deeper than 8 levels");
  }
  SECTION("an array longer than the file") {
    refused(gguf({{"a", 9, Bytes().u32(4).u64(1ull << 62).b}}, {}, {}), "an array at byte");
    refused(gguf({{"a", 9, Bytes().u32(8).u64(~0ull).b}}, {}, {}), "2^64");
  }
  SECTION("string arrays, every scalar type, bools") {
    Bytes arr;
    arr.u32(8).u64(2).str("a").str("bc");
    auto r = parse(gguf({{"s", 9, arr.b}, {"i8", 1, {0xff}}, {"i64", 11, Bytes().u64(~0ull).b},
                         {"f32", 6, Bytes().u32(0x3fc00000).b}, {"f64", 12, Bytes().u64(0x4004000000000000ull).b},
                         {"b", 7, {1}}},
                        {}, {}));
    REQUIRE(r.ok());
    CHECK(r->find("s")->value.items[1].str == "bc");
    CHECK(r->find("i8")->value.i == -1);
    CHECK(r->find("i64")->value.i == -1);
    CHECK(r->find("f32")->value.f == 1.5);
    CHECK(r->find("f64")->value.f == 2.5);
    CHECK(r->find("b")->value.u == 1);
    refused(gguf({{"b", 7, {2}}}, {}, {}), "neither 0 nor 1");
  }
  SECTION("a repeated key, a bad alignment") {
    refused(gguf({u32Kv("a", 1), u32Kv("a", 2)}, {}, {}), "'a' at byte 41 appears twice");
    refused(gguf({u32Kv("general.alignment", 48)}, {}, {}), "not a power of two");
    refused(gguf({strKv("general.alignment", "32")}, {}, {}), "not a uint32");
  }
  SECTION("the memory limit") {
    GgufLimits small;
    small.maxMetadataBytes = 1000;
    const auto b = gguf({{"a", 9, Bytes().u32(0).u64(2000).raw(std::vector<std::uint8_t>(2000, 0)).b}}, {}, {});
    auto r = parseGguf(b.data(), b.size(), small);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().find("memory limit") != std::string::npos);
  }
}

TEST_CASE("gguf: hostile tensor infos", "[gguf]") {
  const std::vector<std::uint8_t> data(1024, 0);
  SECTION("ne product overflow") {
    refused(gguf({}, {{"w", {1ull << 32, 1ull << 32}, 0, 0}}, data), "the element count of tensor 'w' (4294967296 x 4294967296)");
    refused(gguf({}, {{"w", {1ull << 63}, 0, 0}}, data), "more than 2^63 - 1");
  }
  SECTION("n_dims") {
    refused(gguf({}, {{"w", {1, 1, 1, 1, 1}, 0, 0}}, data), "n_dims of tensor 'w' at byte 33 is 5");
    refused(gguf({}, {{"w", {}, 0, 0}}, data), "is 0 (1..4)");
  }
  SECTION("an offset past the data, a size past the data") {
    refused(gguf({}, {{"w", {32}, 0, 2048}}, data), "past the end of the data section (1024 bytes from byte 64)");
    refused(gguf({}, {{"w", {512}, 0, 0}}, data), "2048 bytes at data offset 0");
    refused(gguf({}, {{"w", {32}, 0, ~0ull - 31}}, data), "past the end");
  }
  SECTION("misalignment, blocks, overlap, repeated names") {
    refused(gguf({}, {{"w", {32}, 0, 4}}, data), "the offset 4 of tensor 'w' at byte 49 is not a multiple of the alignment 32");
    refused(gguf({}, {{"w", {48}, 12, 0}}, data), "ne[0] = 48 of tensor 'w' (Q4_K) is not a multiple of its block of 256");
    refused(gguf({}, {{"a", {64}, 0, 0}, {"b", {32}, 0, 128}}, data), "overlap");
    refused(gguf({}, {{"a", {32}, 0, 0}, {"a", {32}, 0, 128}}, data), "'a' appears twice");
    // A custom alignment is honoured: 64 here.
    refused(gguf({u32Kv("general.alignment", 64)}, {{"w", {8}, 0, 32}}, data, 3, 64), "alignment 64");
    auto r = parse(gguf({u32Kv("general.alignment", 64)}, {{"w", {8}, 0, 64}}, data, 3, 64));
    REQUIRE(r.ok());
    CHECK(r->dataOffset % 64 == 0);
  }
  SECTION("unknown and unsupported ggml types are listed, refused on dequantize") {
    auto r = parse(gguf({}, {{"u", {32}, 99, 0}, {"q", {32}, 16, 0}, {"w", {4}, 0, 512}}, data));
    REQUIRE(r.ok());
    REQUIRE(r->tensors.size() == 3);
    const GgufTensorInfo& u = r->tensors[0];
    CHECK_FALSE(u.supported);
    CHECK(u.typeName == "type 99");
    CHECK(ggmlTypeName(99) == nullptr);
    std::vector<float> out(32);
    Status s = dequantizeGguf(*r, u, out.data());
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().find("ggml type id 99") != std::string::npos);
    CHECK(s.error().find("'u'") != std::string::npos);
    const GgufTensorInfo& q = r->tensors[1];
    CHECK(q.typeName == "IQ2_XXS");
    s = dequantizeGguf(*r, q, out.data());
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().find("IQ2_XXS (16) is not supported") != std::string::npos);
    CHECK(r->tensors[2].supported);
  }
}

TEST_CASE("gguf: only regular files are opened", "[gguf]") {
  namespace fs = std::filesystem;
  const std::string dir = qviz::test::scratchDir("qviz_gguf", "open");
  auto d = openGguf(dir);
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().find("a folder") != std::string::npos);
  const std::string fifo = dir + "/pipe.gguf";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  auto p = openGguf(fifo);  // must not block waiting for a writer
  REQUIRE_FALSE(p.ok());
  CHECK(p.error().find("a FIFO") != std::string::npos);
  auto n = openGguf("/dev/null");
  REQUIRE_FALSE(n.ok());
  CHECK(n.error().find("a device") != std::string::npos);
  auto m = openGguf(dir + "/missing.gguf");
  REQUIRE_FALSE(m.ok());
  CHECK(m.error().find("cannot open") != std::string::npos);
  const std::string empty = dir + "/empty.gguf";
  std::ofstream(empty).close();
  CHECK_FALSE(openGguf(empty).ok());
  fs::remove_all(dir);
}
