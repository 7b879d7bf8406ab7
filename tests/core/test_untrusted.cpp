// Untrusted inputs: the hostile files of tests/data/hostile (made by make_hostile.py) through the
// isolated decoder, a decoder that crashes, hangs, runs away or garbles its answer, tensor headers
// that declare more than the memory budget, and the downscaled preview for texture limits.
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "image/image_io.hpp"
#include "tensor/npy.hpp"
#include "tensor/safetensors.hpp"
#include "test_support.hpp"
#include "util/units.hpp"

#include "../test_files.hpp"

using namespace qviz::core;
namespace fs = std::filesystem;

#if defined(__SANITIZE_ADDRESS__)
#define QVIZ_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define QVIZ_TEST_ASAN 1
#endif
#endif
#ifndef QVIZ_TEST_ASAN
#define QVIZ_TEST_ASAN 0
#endif

namespace {
std::string hostile(const std::string& name) { return qviz::test::data("hostile/" + name); }

std::vector<std::uint8_t> bytesOf(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

std::string scratch(const std::string& name) { return qviz::test::scratchDir("qviz_untrusted", name); }

// Makes the isolated decoder misbehave for one scope.
struct Fault {
  explicit Fault(detail::DecoderFault f) { detail::setDecoderFaultForTesting(f); }
  ~Fault() { detail::setDecoderFaultForTesting(detail::DecoderFault::None); }
  Fault(const Fault&) = delete;
  Fault& operator=(const Fault&) = delete;
};

std::string errorOf(const Result<Image>& r) { return r ? std::string("(decoded)") : r.error(); }
}  // namespace

TEST_CASE("hostile image files: each gives its exact message", "[untrusted]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      // PNM (stb_image 2.27 overflows the heap on 16-bit PNM) is not a documented format.
      {"pnm16.png", "not a PNG, JPEG, BMP or TGA file (recognised by content, not by name)"},
      {"random.jpg", "not a PNG, JPEG, BMP or TGA file (recognised by content, not by name)"},
      {"empty.png", "the file is empty"},
      // Tiny files whose headers promise gigabytes.
      {"png_60000x60000.png", "image is 60000x60000, larger than 32768 pixels per side"},
      {"png_20000x20000_gray.png", "image has 400000000 pixels, more than the limit of 268435456"},
      {"png_16384x16384_rgba16.png", "the decoded image needs 2048 MiB, more than the 512 MiB a decoded image may use (half of the decode budget of 1024 MiB)"},
      // Issue 15.9: said "decoding needs about 768 MiB, more than the decode budget of 1024 MiB".
      {"png_16384x16384_rgb.png", "the decoded image needs 768 MiB, more than the 512 MiB a decoded image may use (half of the decode budget of 1024 MiB)"},
      {"bmp_100000x100000.bmp", "image is 100000x100000, larger than 32768 pixels per side"},
      {"tga_30000x30000.tga", "image has 900000000 pixels, more than the limit of 268435456"},
      // Within the limits but damaged: the decoder runs (in the child) and reports.
      {"png_8000x8000_short.png", "damaged PNG data (not enough pixels)"},
      {"truncated.png", "damaged PNG data (outofdata)"},
      {"jpeg_truncated.jpg", "damaged JPEG header (unknown image type)"},
      // stb_image 2.27 would write and read past its Huffman arrays on these; tables of more
      // than 256 symbols are refused before it sees them.
      {"jpeg_dht_overflow.jpg", "damaged JPEG header (bad DHT header)"},
      {"jpeg_huffman_oob.jpg", "damaged JPEG header (bad DHT header)"},
  };
  for (const auto& [name, why] : cases) {
    const std::string path = hostile(name);
    INFO(name);
    CHECK(errorOf(loadImage(path)) == "could not decode " + path + ": " + why);
    // The in-process decoder says exactly the same (the child changes where, not what).
    const auto bytes = bytesOf(path);
    CHECK(errorOf(decodeImage(bytes.data(), bytes.size(), path)) == "could not decode " + path + ": " + why);
  }
}

TEST_CASE("formats are recognised by content: a wrong extension still loads", "[untrusted]") {
  const Image j = loadImage(hostile("gray128_jpeg_named.png")).value();
  CHECK(j.width == 8);
  CHECK(j.height == 8);
  CHECK(j.channels == 1);
  CHECK(j.u8 == std::vector<std::uint8_t>(64, 128));
  const Image p = loadImage(hostile("rgb_png_named.jpg")).value();
  CHECK(p.width == 3);
  CHECK(p.height == 2);
  CHECK(p.channels == 3);
  std::vector<std::uint8_t> ramp(18);
  for (std::size_t i = 0; i < ramp.size(); ++i) ramp[i] = std::uint8_t(i);
  CHECK(p.u8 == ramp);
}

TEST_CASE("missing paths, folders and named pipes are refused at once", "[untrusted]") {
  CHECK(errorOf(loadImage("/nonexistent/qviz/x.png")) ==
        "could not decode /nonexistent/qviz/x.png: cannot open /nonexistent/qviz/x.png: No such file or directory");
  const std::string dir = scratch("paths");
  CHECK(errorOf(loadImage(dir)) == "could not decode " + dir + ": cannot read " + dir + ": not a regular file");
  const std::string fifo = dir + "/pipe.png";
  REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(errorOf(loadImage(fifo)) == "could not decode " + fifo + ": cannot read " + fifo + ": not a regular file");
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));  // no wait for a writer
  fs::remove_all(dir);
}

TEST_CASE("the isolated decoder returns exactly what the in-process one does", "[untrusted]") {
  for (const char* name : {"astronaut.png", "chelsea.png"}) {
    const auto bytes = bytesOf(qviz::test::data(name));
    const Image a = decodeImage(bytes.data(), bytes.size(), name).value();
    const Image b = decodeImageIsolated(bytes.data(), bytes.size(), name).value();
    CHECK(a == b);
  }
  // 16-bit samples and every channel count cross the pipe unchanged.
  for (int ch = 1; ch <= 4; ++ch) {
    const Image img = qviz::test::randomImage(37, 23, ch, SampleType::U16, std::uint32_t(40 + ch));
    const auto png = encodePng(img).value();
    CHECK(decodeImageIsolated(png.data(), png.size(), "mem.png").value() == img);
  }
  LoadLimits inProcess;
  inProcess.isolate = false;
  CHECK(loadImage(qviz::test::data("chelsea.png"), inProcess).value() == loadImage(qviz::test::data("chelsea.png")).value());
}

TEST_CASE("a decoder that crashes, hangs, runs away or garbles its answer becomes a message", "[untrusted]") {
  if (!decoderIsolated()) {
    WARN("no child-process decoder on this platform");
    return;
  }
  const std::string path = qviz::test::data("chelsea.png");
  const std::string prefix = "could not decode " + path + ": ";
  {
    Fault f(detail::DecoderFault::Crash);
    CHECK(errorOf(loadImage(path)) == prefix + "decoder crashed (signal 11)");
  }
  {
    Fault f(detail::DecoderFault::Hang);
    LoadLimits quick;
    quick.decodeTimeoutMs = 300;
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(errorOf(loadImage(path, quick)) == prefix + "decoder ran out of time (0.3 s)");
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    CHECK(s >= 0.3);
    CHECK(s < 2.0);
    quick.decodeTimeoutMs = 1000;
    CHECK(errorOf(loadImage(path, quick)) == prefix + "decoder ran out of time (1 s)");
  }
  {
    Fault f(detail::DecoderFault::Garble);
    CHECK(errorOf(loadImage(path)) ==
          prefix + "the decoder sent a malformed answer (bad size 1073741824x1073741824)");
  }
  if (QVIZ_TEST_ASAN || !fs::exists("/proc/self/statm")) {
    WARN("no address-space limit here (AddressSanitizer, or not Linux)");
  } else {
    Fault f(detail::DecoderFault::Exhaust);
    LoadLimits small;
    small.decodeBudgetBytes = 16 << 20;
    small.addressSpaceSlackBytes = 64 << 20;
    CHECK(errorOf(loadImage(path, small)) == prefix + "the decoder ran out of memory (over its address-space limit)");
  }
  // Back to normal: the same file decodes.
  CHECK(loadImage(path).ok());
}

TEST_CASE("tensor headers declaring more than the memory budget are refused before allocation", "[untrusted]") {
  auto npy = [](const std::string& shape) {
    const std::string out = qviz::test::npyHeaderOnly(shape);
    return std::vector<std::uint8_t>(out.begin(), out.end());
  };
  const auto tera = npy("(1099511627776,)");  // 2^40 float32: 4 TiB declared in 64 bytes
  CHECK(parseNpy(tera.data(), tera.size(), "t.npy").error() ==
        "t.npy: shape (1099511627776,) of float32 needs 4 TiB, over the memory budget of 4 GiB");
  const auto wrap = npy("(4294967296, 4294967296, 2)");  // 2^65 elements
  CHECK(parseNpy(wrap.data(), wrap.size(), "t.npy").error() ==
        "t.npy: shape (4294967296, 4294967296, 2) of float32 is larger than numpy allows: it needs more than 2^63 - 1 bytes");
  const auto bytesWrap = npy("(4611686018427387904,)");  // 2^62 elements fit, 2^64 bytes do not
  CHECK(parseNpy(bytesWrap.data(), bytesWrap.size(), "t.npy").error() ==
        "t.npy: shape (4611686018427387904,) of float32 is larger than numpy allows: it needs more than 2^63 - 1 bytes");

  // Issue 15.8: zero-size shapes numpy refuses (numpy 1.24: "array is too big") were accepted.
  // The boundary, checked with numpy: (3037000499, 3037000499, 0) of uint8 loads, of float16 not;
  // (2^61, 0) of float16 loads, of float32 not.
  const auto zeroHuge = npy("(4611686018427387904, 4611686018427387904, 0)");
  CHECK(parseNpy(zeroHuge.data(), zeroHuge.size(), "t.npy").error() ==
        "t.npy: shape (4611686018427387904, 4611686018427387904, 0) of float32 is larger than numpy allows: its "
        "non-zero dimensions need more than 2^63 - 1 bytes");
  const auto zeroF32 = npy("(2305843009213693952, 0)");
  CHECK(!parseNpy(zeroF32.data(), zeroF32.size(), "t.npy").ok());
  CHECK(tensorBytes({2305843009213693952ull, 0}, 2, "float16", 0).value() == 0);
  CHECK(tensorBytes({3037000499ull, 3037000499ull, 0}, 1, "uint8", 0).value() == 0);
  CHECK(!tensorBytes({3037000499ull, 3037000499ull, 0}, 2, "float16", 0).ok());
  CHECK(!tensorBytes({9223372036854775808ull, 0}, 1, "uint8", 0).ok());  // a dimension over 2^63 - 1
  const auto zeroOk = npy("(4, 0, 3)");
  REQUIRE(parseNpy(zeroOk.data(), zeroOk.size(), "t.npy").ok());

  // A real (sparse) 8 GiB file that matches its header: still refused, by the header alone.
  const std::string dir = scratch("tensors");
  const std::string big = dir + "/big.npy";
  {
    const auto head = npy("(2147483648,)");  // 2^31 float32 = 8 GiB
    std::ofstream(big, std::ios::binary).write(reinterpret_cast<const char*>(head.data()), std::streamsize(head.size()));
    fs::resize_file(big, head.size() + (8ull << 30));
  }
  CHECK(readNpy(big).error() == big + ": shape (2147483648,) of float32 needs 8 GiB, over the memory budget of 4 GiB");
  NpyLimits tight;
  tight.maxTensorBytes = 1 << 20;
  const auto mib2 = npy("(524288,)");  // 2 MiB of data, over a 1 MiB budget
  CHECK(parseNpy(mib2.data(), mib2.size(), "t.npy", tight).error() ==
        "t.npy: shape (524288,) of float32 needs 2 MiB, over the memory budget of 1 MiB");
  // Within the budget, the file must hold exactly what the header says.
  CHECK(parseNpy(mib2.data(), mib2.size(), "t.npy").error() == "t.npy: data is 0 bytes but shape (524288,) of float32 needs 2097152");

  // .safetensors: listing allocates nothing per tensor; loading checks the budget first.
  auto st = [](const std::string& header) {
    std::string out;
    for (int i = 0; i < 8; ++i) out += char((header.size() >> (8 * i)) & 0xff);
    return out + header;
  };
  const std::string sbig = dir + "/big.safetensors";
  {
    const std::string head = st(R"({"w": {"dtype": "F32", "shape": [65536, 32768], "data_offsets": [0, 8589934592]}})");
    std::ofstream(sbig, std::ios::binary) << head;
    fs::resize_file(sbig, head.size() + (8ull << 30));
  }
  const auto index = listSafetensors(sbig);
  REQUIRE(index.ok());
  CHECK(index->tensors.size() == 1);
  CHECK(loadSafetensor(sbig, "w").error() ==
        sbig + ": tensor 'w': shape (65536, 32768) of F32 needs 8 GiB, over the memory budget of 4 GiB");
  const std::string wrapped = st(R"({"w": {"dtype": "F32", "shape": [4294967296, 4294967296, 4], "data_offsets": [0, 4]}})") +
                              std::string(4, '\0');
  CHECK(parseSafetensor(reinterpret_cast<const std::uint8_t*>(wrapped.data()), wrapped.size(), "w").error() ==
        "safetensors data: tensor 'w': shape (4294967296, 4294967296, 4) of F32 is larger than numpy allows: it needs more than 2^63 - 1 bytes");
  fs::remove_all(dir);
}

TEST_CASE("formatBytes names sizes in binary units", "[untrusted]") {
  CHECK(formatBytes(0) == "0 bytes");
  CHECK(formatBytes(1) == "1 byte");
  CHECK(formatBytes(1023) == "1023 bytes");
  CHECK(formatBytes(1024) == "1 KiB");
  CHECK(formatBytes(1536) == "1.5 KiB");
  CHECK(formatBytes(4ull << 30) == "4 GiB");
  CHECK(formatBytes(1ull << 42) == "4 TiB");
  CHECK(formatBytes(~0ull) == "16 EiB");
}

TEST_CASE("downscaleToFit: box filter by the smallest integer factor, exact", "[untrusted]") {
  // 5x3 gray, at most 2 a side: factor 3, 2x1 out; the right block is 2 pixels wide.
  Image g = Image::make(5, 3, 1, SampleType::U8);
  g.u8 = {0, 1, 2, 10, 20,  //
          3, 4, 5, 30, 40,  //
          6, 7, 8, 50, 61};
  const Image d = downscaleToFit(g, 2);
  CHECK(d.width == 2);
  CHECK(d.height == 1);
  CHECK(d.u8 == std::vector<std::uint8_t>{4, 35});  // 36/9 = 4; 211/6 = 35.17 -> 35
  // Halves round up; 16-bit and alpha are averaged like the other channels.
  Image q = Image::make(4, 2, 2, SampleType::U16);
  q.u16 = {1, 65535, 1, 65535, 1, 0, 1, 0,  //
           2, 65535, 2, 65534, 1, 0, 2, 1};
  const Image h = downscaleToFit(q, 2);
  REQUIRE(h.sameShape(Image::make(2, 1, 2, SampleType::U16)));
  CHECK(h.u16 == std::vector<std::uint16_t>{2, 65535, 1, 0});  // 6/4 = 1.5 -> 2; 262139/4 -> 65535; 5/4 -> 1; 1/4 -> 0
  // Float samples: the plain mean.
  Image f = Image::make(2, 2, 1, SampleType::F32);
  f.f32 = {0.0f, 1.0f, 0.5f, 0.25f};
  CHECK(downscaleToFit(f, 1).f32 == std::vector<float>{0.4375f});
  // Already small enough: unchanged.
  CHECK(downscaleToFit(g, 5) == g);
  CHECK(downscaleToFit(g, 0) == g);
  // One past the limit: half size, the last block one pixel wide.
  Image wide = Image::make(16385, 1, 1, SampleType::U8);
  for (std::size_t i = 0; i < wide.u8.size(); ++i) wide.u8[i] = std::uint8_t(i % 7);
  const Image w2 = downscaleToFit(wide, 16384);
  CHECK(w2.width == 8193);
  CHECK(w2.height == 1);
  CHECK(w2.u8[0] == 1);                  // (0 + 1) / 2 rounds up
  CHECK(w2.u8[8192] == 16384 % 7);       // the lone last pixel
}

TEST_CASE("fitToTextureLimit: a preview with a notice only when the image is too large", "[untrusted]") {
  Image img = qviz::test::randomImage(20000, 3, 3, SampleType::U8, 11);
  const Image expect = downscaleToFit(img, 16384);
  CHECK(fitToTextureLimit(img, 16384, "pano.png") ==
        "pano.png is 20000x3, larger than this GPU's texture limit of 16384: showing, quantizing and measuring a "
        "10000x2 preview (box filter); qviz render works on the full image");
  CHECK(img == expect);
  Image small = qviz::test::randomImage(64, 32, 3, SampleType::U8, 12);
  const Image before = small;
  CHECK(fitToTextureLimit(small, 16384, "s.png").empty());
  CHECK(fitToTextureLimit(small, 0, "s.png").empty());  // limit unknown
  CHECK(small == before);
}

TEST_CASE("safetensors headers: nesting deeper than 4 and repeated names are refused (issue 15.4, 15.8)", "[untrusted]") {
  const std::uint64_t four = 4;
  auto err = [&](const std::string& h) { return parseSafetensorsHeader(h.data(), h.size(), four, "h").error(); };
  const std::string deep = "the header nests deeper than 4 levels (a safetensors header is a flat map of tensors)";
  // 100 MB of '[' inside a tensor: refused at the fifth bracket; the DOM once took 7.4 GB.
  std::string brackets = R"({"w": )" + std::string(100u << 20, '[');
  CHECK(err(brackets) == "h: " + deep);
  CHECK(err(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "x": [[[1]]]}})") == "h: " + deep);
  CHECK(err(R"({"__metadata__": {"a": [[[[]]]]}})") == "h: " + deep);
  // Four levels are still parsed (and then judged field by field).
  const std::string fourDeep = R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "x": [[]]}})";
  CHECK(parseSafetensorsHeader(fourDeep.data(), fourDeep.size(), four, "h").ok());
  // A name twice: nlohmann's DOM kept the last one silently.
  CHECK(err(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "w": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}})") ==
        "h: tensor 'w' appears twice in the header");
  CHECK(err(R"({"w": {"dtype": "F32", "dtype": "F16", "shape": [2], "data_offsets": [0, 4]}})") ==
        "h: key 'dtype' appears twice in one object of the header");
  CHECK(err(R"({"__metadata__": {"a": "1", "a": "2"}})") == "h: key 'a' appears twice in one object of the header");
  CHECK(err(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]})") == "h: the header is not valid JSON");
  // Text after a NUL byte was never looked at (nlohmann ends the input there).
  CHECK(err(std::string("{}\0{\"w\": [[[[[", 10)) == "h: the header is not valid JSON (a NUL byte)");
  const std::string good = R"({"__metadata__": {"a": "1"}, "w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})";
  REQUIRE(parseSafetensorsHeader(good.data(), good.size(), four, "h").ok());
}

TEST_CASE("safetensors headers: the tensor table is built from the parser's events within a 64 MiB budget (issue 15.4)",
          "[untrusted]") {
  const std::uint64_t four = 4;
  auto err = [&](const std::string& h) { return parseSafetensorsHeader(h.data(), h.size(), four, "h").error(); };
  // 300000 keys of 8 bytes: each top-level key is charged 256 + its length, so the 254201st
  // (254201 * 264 > 64 MiB) is refused, before any per-tensor check.
  std::string many = "{";
  char key[16];
  for (int i = 0; i < 300000; ++i) {
    std::snprintf(key, sizeof key, "\"k%07d\"", i);
    many += std::string(i ? "," : "") + key + ":{}";
  }
  many += "}";
  CHECK(err(many) == "h: the header's keys need more than its table budget of 64 MiB (254201 keys so far; a "
                     "safetensors header is a flat map of tensors)");
  // Metadata keys count too (an inner key: 64 + its length): after the 268 of "__metadata__", the 932065th key is refused.
  std::string meta = "{\"__metadata__\":{";
  for (int i = 0; i < 1000000; ++i) {
    std::snprintf(key, sizeof key, "\"m%07d\"", i);
    meta += std::string(i ? "," : "") + key + ":\"\"";
  }
  meta += "}}";
  CHECK(err(meta) == "h: the header's keys need more than its table budget of 64 MiB (932065 keys so far; a "
                     "safetensors header is a flat map of tensors)");
  // Values that are not kept cost nothing: a 20 MB array is judged as the tensor it is not.
  std::string ones = "{\"a\":[" + std::string(10u << 20, '1');
  for (std::size_t i = 7; i < ones.size(); i += 2) ones[i] = ',';
  ones += "1]}";
  CHECK(err(ones) == "h: tensor 'a' is not an object");
  // Shapes past 64 entries are counted, not kept.
  std::string wide = R"({"w": {"dtype": "F32", "shape": [)";
  for (int i = 0; i < 100000; ++i) wide += i ? ",1" : "1";
  wide += R"(], "data_offsets": [0, 4]}})";
  CHECK(err(wide) == "h: tensor 'w' has more than 64 dimensions");
  // A long dtype is shown by its start.
  const std::string longType = R"({"w": {"dtype": ")" + std::string(1000, 'X') + R"(", "shape": [1], "data_offsets": [0, 4]}})";
  CHECK(err(longType) == "h: tensor 'w' has unknown dtype '" + std::string(64, 'X') + "...'");
  // The table lists the tensors in name order, as before.
  const std::string two = R"({"z": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "a": {"dtype": "F32", "shape": [0], "data_offsets": [4, 4]}})";
  auto index = parseSafetensorsHeader(two.data(), two.size(), four, "h");
  REQUIRE(index.ok());
  REQUIRE(index->tensors.size() == 2);
  CHECK(index->tensors[0].name == "a");
  CHECK(index->tensors[1].name == "z");
}
