// .npy and .safetensors: round trips, the reference files, and refusals of crafted bad bytes
// (Fortran order, big-endian, object arrays, other dtypes, lying sizes, hostile headers).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <unistd.h>

#include "tensor/npy.hpp"
#include "tensor/safetensors.hpp"
#include "tensor/source.hpp"
#include "test_support.hpp"
#include "../test_files.hpp"

using namespace qviz::core;

namespace {
std::vector<std::uint8_t> bytesOf(const std::string& s) { return std::vector<std::uint8_t>(s.begin(), s.end()); }

// A version-1 .npy with the given header dict text (padded like numpy) and raw data.
std::vector<std::uint8_t> npy(const std::string& dict, const std::string& data, int major = 1) {
  std::string header = dict;
  const std::size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += char(major);
  out += char(0);
  out += char(header.size() & 0xff);
  out += char((header.size() >> 8) & 0xff);
  if (major > 1) out += std::string(2, '\0');
  return bytesOf(out + header + data);
}

Result<Tensor> parse(const std::vector<std::uint8_t>& b) { return parseNpy(b.data(), b.size(), "t.npy"); }

// A .safetensors file from a header text and a data section.
std::vector<std::uint8_t> st(const std::string& header, const std::string& data, std::uint64_t lenOverride = 0) {
  const std::uint64_t n = lenOverride ? lenOverride : header.size();
  std::string out;
  for (int i = 0; i < 8; ++i) out += char((n >> (8 * i)) & 0xff);
  return bytesOf(out + header + data);
}

std::string floatsBytes(std::initializer_list<float> v) {
  std::string s;
  for (float f : v) s.append(reinterpret_cast<const char*>(&f), 4);
  return s;
}

std::string workDir() {
  static const std::string dir = qviz::test::scratchDir("qviz_tensor_io", "files");
  return dir;
}
}  // namespace

TEST_CASE("npy reads the reference vectors") {
  auto t = readNpy(qviz::test::data("vectors/normal_4096.npy"));
  REQUIRE(t.ok());
  CHECK(t->dtype == DType::F32);
  CHECK(t->shape == std::vector<std::size_t>{4096});
  auto c = readNpy(qviz::test::data("vectors/normal_4096.nf4.bs64/codes.npy"));
  REQUIRE(c.ok());
  CHECK(c->dtype == DType::U8);
  CHECK(c->count() == 4096);
}

TEST_CASE("npy round trips every dtype and shape, versions 1-3") {
  const std::vector<float> v = {1.5f, -2.0f, 0.0f, 3.25f, 7.0f, -0.5f};
  const Tensor t = tensorFromFloats({2, 3}, v.data(), v.size());
  const auto enc = encodeNpy(t).value();
  CHECK(enc.size() % 64 == 24);  // header padded to 64 bytes, then 24 data bytes
  auto back = parse(enc);
  REQUIRE(back.ok());
  CHECK(back->shape == std::vector<std::size_t>{2, 3});
  CHECK(toFloat32(*back) == v);
  // Scalar, 3-D, zero-size.
  const float one = 4.0f;
  auto s = parse(encodeNpy(tensorFromFloats({}, &one, 1)).value());
  REQUIRE(s.ok());
  CHECK(s->shape.empty());
  CHECK(s->count() == 1);
  auto z = parse(encodeNpy(tensorFromFloats({0, 5}, nullptr, 0)).value());
  REQUIRE(z.ok());
  CHECK(z->count() == 0);
  // float16, uint8, int8 written by hand.
  const std::string half = std::string("\x00\x3c\x00\xc0", 4);  // 1.0, -2.0
  auto h = parse(npy("{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", half));
  REQUIRE(h.ok());
  CHECK(toFloat32(*h) == std::vector<float>{1.0f, -2.0f});
  auto i8 = parse(npy("{'descr': '|i1', 'fortran_order': False, 'shape': (2, 1), }", "\xff\x05"));
  REQUIRE(i8.ok());
  CHECK(toFloat32(*i8) == std::vector<float>{-1.0f, 5.0f});
  auto u8 = parse(npy("{\"descr\": \"|u1\", \"fortran_order\": False, \"shape\": (3,)}", "abc"));
  REQUIRE(u8.ok());
  CHECK(u8->bytes == bytesOf("abc"));
  for (int major : {2, 3}) {
    auto vv = parse(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", floatsBytes({2.5f}), major));
    REQUIRE(vv.ok());
    CHECK(toFloat32(*vv) == std::vector<float>{2.5f});
  }
  // File round trip through writeNpy.
  const std::string path = workDir() + "/rt.npy";
  REQUIRE(writeNpy(path, t).ok());
  auto f = readNpy(path);
  REQUIRE(f.ok());
  CHECK(toFloat32(*f) == v);
  CHECK_FALSE(encodeNpy(Tensor{DType::BF16, {1}, {0, 0}}).ok());
}

TEST_CASE("npy refusals never misread") {
  const std::string four = floatsBytes({1.0f});
  auto err = [&](const std::string& dict, const std::string& data) {
    auto r = parse(npy(dict, data));
    REQUIRE_FALSE(r.ok());
    return r.error();
  };
  CHECK(err("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", four).find("Fortran") != std::string::npos);
  CHECK(err("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", four).find("big-endian") != std::string::npos);
  CHECK(err("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", std::string(8, '\0')).find("object") != std::string::npos);
  CHECK(err("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", std::string(8, '\0')).find("unsupported dtype") != std::string::npos);
  CHECK(err("{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }", four).find("unsupported dtype") != std::string::npos);
  CHECK(err("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", four).find("structured") != std::string::npos);
  CHECK(err("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", four).find("needs 8") != std::string::npos);
  CHECK(err("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", four + "x").find("bytes") != std::string::npos);
  CHECK_FALSE(parse(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", four)).ok());
  CHECK_FALSE(parse(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 16), }", four)).ok());
  CHECK_FALSE(parse(npy("{'descr': '<f4', 'fortran_order': False, }", four)).ok());
  CHECK_FALSE(parse(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", four)).ok());
  CHECK_FALSE(parse(npy("['descr']", four)).ok());
  CHECK_FALSE(parse(bytesOf("\x93NUMPZ\x01\x00\x00\x00")).ok());
  CHECK_FALSE(parse(bytesOf("\x93NUMPY\x04\x00\x10\x00")).ok());
  // Header length beyond the file.
  auto b = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", four);
  b[8] = 0xff;
  b[9] = 0xff;
  CHECK_FALSE(parse(b).ok());
  // Truncated everywhere: never crashes, never succeeds.
  const auto good = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", four);
  for (std::size_t cut = 0; cut < good.size(); ++cut) CHECK_FALSE(parseNpy(good.data(), cut).ok());
}

TEST_CASE("fp16 and bf16 conversions") {
  CHECK(halfToFloat(0x3c00) == 1.0f);
  CHECK(halfToFloat(0x7bff) == 65504.0f);
  CHECK(halfToFloat(0x0001) == std::ldexp(1.0f, -24));
  CHECK(std::isinf(halfToFloat(0x7c00)));
  CHECK(floatToHalf(1.0f) == 0x3c00);
  CHECK(floatToHalf(65504.0f) == 0x7bff);
  CHECK(floatToHalf(65520.0f) == 0x7c00);  // ties to even: overflow
  CHECK(floatToHalf(1.0f + std::ldexp(1.0f, -11)) == 0x3c00);  // tie -> even
  CHECK(floatToHalf(1.0f + 3 * std::ldexp(1.0f, -11)) == 0x3c02);
  CHECK(floatToHalf(std::ldexp(1.0f, -25)) == 0x0000);
  CHECK(floatToHalf(std::ldexp(1.5f, -25)) == 0x0001);
  for (std::uint32_t h = 0; h < 0x7c00; ++h) REQUIRE(floatToHalf(halfToFloat(std::uint16_t(h))) == h);
  CHECK(bfloat16ToFloat(0x3f80) == 1.0f);
  CHECK(bfloat16ToFloat(0xc000) == -2.0f);
}

TEST_CASE("non-finite inputs are refused with the first index") {
  std::vector<float> x(10, 1.0f);
  CHECK(checkFinite(x.data(), x.size()).ok());
  x[7] = std::numeric_limits<float>::quiet_NaN();
  x[9] = std::numeric_limits<float>::infinity();
  auto st = checkFinite(x.data(), x.size());
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().find("value 7") != std::string::npos);
  CHECK(st.error().find("NaN") != std::string::npos);
}

TEST_CASE("safetensors lists and loads F32, F16, BF16") {
  const std::string data = floatsBytes({1.0f, 2.0f, 3.0f, 4.0f}) + std::string("\x00\x3c\x00\xc0", 4) +
                           std::string("\x80\x3f\x00\xc0", 4);
  const std::string header =
      R"({"__metadata__": {"format": "pt"}, "w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},)"
      R"( "h": {"dtype": "F16", "shape": [2], "data_offsets": [16, 20]},)"
      R"( "b": {"dtype": "BF16", "shape": [2], "data_offsets": [20, 24]}, "i": {"dtype": "I64", "shape": [0], "data_offsets": [24, 24]}})";
  const auto file = st(header + "   ", data);
  auto w = parseSafetensor(file.data(), file.size(), "w");
  REQUIRE(w.ok());
  CHECK(w->shape == std::vector<std::size_t>{2, 2});
  CHECK(toFloat32(*w) == std::vector<float>{1, 2, 3, 4});
  CHECK(toFloat32(parseSafetensor(file.data(), file.size(), "h").value()) == std::vector<float>{1, -2});
  CHECK(toFloat32(parseSafetensor(file.data(), file.size(), "b").value()) == std::vector<float>{1, -2});
  auto i = parseSafetensor(file.data(), file.size(), "i");
  REQUIRE_FALSE(i.ok());
  CHECK(i.error().find("I64") != std::string::npos);
  auto missing = parseSafetensor(file.data(), file.size(), "zz");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().find("no tensor named 'zz'") != std::string::npos);

  const std::string path = workDir() + "/m.safetensors";
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(file.data()), std::streamsize(file.size()));
  }
  auto index = listSafetensors(path);
  REQUIRE(index.ok());
  REQUIRE(index->tensors.size() == 4);
  CHECK(index->find("w")->dtype == "F32");
  CHECK(index->find("i")->supported == false);
  CHECK(toFloat32(loadSafetensor(path, "b").value()) == std::vector<float>{1, -2});
}

TEST_CASE("safetensors refuses hostile headers before allocating") {
  const std::string four = floatsBytes({1.0f});
  auto err = [](const std::vector<std::uint8_t>& f) {
    auto r = parseSafetensor(f.data(), f.size(), "w");
    REQUIRE_FALSE(r.ok());
    return r.error();
  };
  const std::string ok = R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})";
  CHECK(parseSafetensor(st(ok, four).data(), st(ok, four).size(), "w").ok());
  // Header length of 2^63 or just past the file: refused from the 8 bytes alone.
  CHECK(err(st(ok, four, 1ull << 63)).find("exceeds the limit") != std::string::npos);
  CHECK(err(st(ok, four, ok.size() + 5)).find("beyond the end") != std::string::npos);
  CHECK_FALSE(parseSafetensor(reinterpret_cast<const std::uint8_t*>("abc"), 3, "w").ok());
  // Offsets outside the data, reversed, or not matching the shape.
  CHECK(err(st(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 8]}})", four)).find("outside") != std::string::npos);
  CHECK(err(st(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}})", four)).find("outside") != std::string::npos);
  CHECK(err(st(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 18446744073709551615]}})", four)).find("outside") != std::string::npos);
  CHECK(err(st(R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}})", four)).find("does not match") != std::string::npos);
  CHECK(err(st(R"({"w": {"dtype": "F32", "shape": [4294967296, 4294967296, 4], "data_offsets": [0, 4]}})", four)).find("is larger than numpy allows") != std::string::npos);
  CHECK(err(st(R"({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})", four)).find("non-negative") != std::string::npos);
  CHECK(err(st(R"({"w": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}})", four)).find("non-negative") != std::string::npos);
  CHECK(err(st(R"({"w": {"dtype": "X9", "shape": [1], "data_offsets": [0, 4]}})", four)).find("unknown dtype") != std::string::npos);
  CHECK(err(st(R"({"w": {"shape": [1], "data_offsets": [0, 4]}})", four)).find("dtype") != std::string::npos);
  CHECK(err(st(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0]}})", four)).find("data_offsets") != std::string::npos);
  CHECK(err(st(R"({"w": 5})", four)).find("not an object") != std::string::npos);
  CHECK(err(st(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "v": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})", four)).find("overlap") != std::string::npos);
  CHECK(err(st(R"({"__metadata__": {"a": 1}})", four)).find("__metadata__") != std::string::npos);
  CHECK(err(st(R"([1, 2])", four)).find("not a JSON object") != std::string::npos);
  CHECK(err(st(R"({"w": {"dtype": "F32", )", four)).find("not valid JSON") != std::string::npos);
  // Deep nesting is rejected by the parser's own checks or parsed without recursion.
  const std::string deep = "{\"a\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
  CHECK_FALSE(parseSafetensor(st(deep, "").data(), st(deep, "").size(), "w").ok());
  // Every truncation of a good file fails cleanly.
  const auto good = st(ok, four);
  for (std::size_t cut = 0; cut < good.size(); ++cut) CHECK_FALSE(parseSafetensor(good.data(), cut, "w").ok());
}

TEST_CASE("TensorSource reads element ranges as float32 and reports a file that shrank (quantize-tensor's reader)") {
  // float16 .npy: 1, -2, 0.5, 65504.
  const std::vector<std::uint16_t> halves = {0x3c00, 0xc000, 0x3800, 0x7bff};
  std::string raw(reinterpret_cast<const char*>(halves.data()), halves.size() * 2);
  const std::string path = workDir() + "/src_f16.npy";
  REQUIRE(writeNpy(path, tensorFromBytes({2, 2}, DType::F16, reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size())).ok());
  auto src = TensorSource::openNpy(path);
  REQUIRE(src.ok());
  CHECK(src->dtype() == DType::F16);
  CHECK(src->shape() == std::vector<std::size_t>{2, 2});
  CHECK(src->count() == 4);
  std::vector<float> got(3);
  REQUIRE(src->readFloats(1, 3, got.data()).ok());
  CHECK(got == std::vector<float>{-2.0f, 0.5f, 65504.0f});
  CHECK(src->readFloats(2, 3, got.data()).error() == "element range outside the tensor");
  // The same checks as readNpy, with its messages.
  CHECK(TensorSource::openNpy(workDir() + "/missing.npy").error() ==
        "cannot open " + workDir() + "/missing.npy: No such file or directory");
  // bfloat16 safetensors: 1, -2 after a float32 tensor.
  const auto file = st(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "b": {"dtype": "BF16", "shape": [2], "data_offsets": [4, 8]}})",
                       floatsBytes({7.0f}) + std::string("\x80\x3f\x00\xc0", 4));
  const std::string stPath = workDir() + "/src.safetensors";
  {
    std::ofstream out(stPath, std::ios::binary);
    out.write(reinterpret_cast<const char*>(file.data()), std::streamsize(file.size()));
  }
  auto b = TensorSource::openSafetensor(stPath, "b");
  REQUIRE(b.ok());
  std::vector<float> two(2);
  REQUIRE(b->readFloats(0, 2, two.data()).ok());
  CHECK(two == std::vector<float>{1.0f, -2.0f});
  CHECK(TensorSource::openSafetensor(stPath, "c").error() == stPath + ": no tensor named 'c' (has: a, b)");
  // The file shrinks after it was opened: a message, not a crash (the reason for pread over mmap).
  REQUIRE(::truncate(stPath.c_str(), off_t(file.size() - 2)) == 0);
  CHECK(b->readFloats(0, 2, two.data()).error() == stPath + ": cannot read tensor 'b' (file changed while reading?)");
  REQUIRE(::truncate(path.c_str(), 70) == 0);
  CHECK(src->readFloats(0, 1, got.data()).error() == "cannot read " + path + ": the file changed while reading");
}
