// Inputs the fuzzers (tests/fuzz) once failed on, kept in tests/fuzz/regressions/ and replayed
// here through the same functions, so the ordinary test run (and a QVIZ_SANITIZE build, with the
// sanitizers' reports) catches a regression. scripts/fuzz.sh also replays them first.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "image/image_io.hpp"
#include "tensor/npy.hpp"
#include "tensor/safetensors.hpp"
#include "util/fs.hpp"

using namespace qviz::core;

namespace {
std::vector<std::uint8_t> load(const std::string& rel) {
  auto bytes = readFile(std::string(QVIZ_SOURCE_DIR) + "/" + rel, 1 << 20);
  INFO(rel);
  REQUIRE(bytes.ok());
  return std::move(bytes).value();
}
}  // namespace

TEST_CASE("fuzz regression: a JPEG Huffman table with more than 256 symbols is refused before stb_image", "[fuzz]") {
  // stb_image 2.27 wrote past its Huffman tables on this file (UBSan: index 257 out of bounds).
  const auto bad = load("tests/fuzz/regressions/image-jpeg-dht-overflow.jpg");
  const auto r = decodeImage(bad.data(), bad.size(), "dht.jpg");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error() == "could not decode dht.jpg: damaged JPEG header (bad DHT header)");

  // The same defect made from a good file: one table's 16 code counts raised to 32 symbols each.
  auto jpg = load("tests/fuzz/corpus/image/baseline.jpg");
  REQUIRE(decodeImage(jpg.data(), jpg.size(), "good.jpg").ok());
  std::size_t dht = 0;
  while (dht + 1 < jpg.size() && !(jpg[dht] == 0xFF && jpg[dht + 1] == 0xC4)) ++dht;
  REQUIRE(dht + 21 < jpg.size());
  for (std::size_t k = 0; k < 16; ++k) jpg[dht + 5 + k] = 32;
  const auto r2 = decodeImage(jpg.data(), jpg.size(), "bad.jpg");
  REQUIRE_FALSE(r2.ok());
  CHECK(r2.error().find("bad DHT header") != std::string::npos);

  // Real photos and progressive files are unaffected.
  const auto rocket = load("assets/images/rocket.jpg");
  CHECK(decodeImage(rocket.data(), rocket.size(), "rocket.jpg").ok());
  const auto progressive = load("tests/fuzz/corpus/image/progressive.jpg");
  CHECK(decodeImage(progressive.data(), progressive.size(), "progressive.jpg").ok());
}

TEST_CASE("fuzz regression: an empty float32 .npy converts to no values", "[fuzz]") {
  // toFloat32 passed the empty tensor's null buffer to memcpy (UBSan: null pointer argument).
  const auto b = load("tests/fuzz/regressions/npy-empty-float32.npy");
  const auto t = parseNpy(b.data(), b.size(), "empty.npy");
  REQUIRE(t.ok());
  CHECK(t->count() == 0);
  CHECK(toFloat32(*t).empty());
}

TEST_CASE("fuzz regression: a safetensors header with a NUL byte is refused", "[fuzz]") {
  // "{}" then a NUL: nlohmann's lexer stopped there, so the nested, repeated text after it was
  // never checked (the harness's depth invariant failed).
  const auto b = load("tests/fuzz/regressions/safetensors-nul-hides-text.json");
  CHECK(parseSafetensorsHeader(reinterpret_cast<const char*>(b.data()), b.size(), 4096, "h").error() ==
        "h: the header is not valid JSON (a NUL byte)");
}

TEST_CASE("a top-down BMP (negative height) decodes with its rows in order", "[fuzz]") {
  // Found while building the fuzz corpus: stb_image's info call reports the height as -3, which
  // decodeImage refused as "invalid image dimensions".
  const auto b = load("tests/fuzz/corpus/image/bgra32_v5.bmp");
  const auto r = decodeImage(b.data(), b.size(), "top-down.bmp");
  REQUIRE(r.ok());
  CHECK(r->width == 4);
  CHECK(r->height == 3);
  REQUIRE(r->channels == 4);
  // Pixel (x, y) is (60x, 80y, 30xy, 255 - 40x), row 0 at the top.
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 4; ++x) {
      CHECK(r->at(x, y, 0) == std::uint32_t(60 * x));
      CHECK(r->at(x, y, 1) == std::uint32_t(80 * y));
      CHECK(r->at(x, y, 2) == std::uint32_t(30 * x * y));
      CHECK(r->at(x, y, 3) == std::uint32_t(255 - 40 * x));
    }
}

TEST_CASE("fuzz regression: a JPEG that trips stb_image's Huffman assert is just damaged", "[fuzz]") {
  // With asserts on (any build without NDEBUG), stb_image aborted the process on this file.
  const auto b = load("tests/fuzz/regressions/image-jpeg-huffman-assert.jpg");
  const auto r = decodeImage(b.data(), b.size(), "assert.jpg");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error() == "could not decode assert.jpg: damaged JPEG data (unknown marker)");
}

TEST_CASE("fuzz regression: a JPEG scan that names an undefined Huffman table reads no garbage", "[fuzz]") {
  // The first (progressive AC) scan uses AC table 1 before any DHT defines it: stb_image 2.27
  // decoded with uninitialised heap memory and read ~16 million entries before its symbol table
  // (UBSan: index -16711432 out of bounds). Its allocations now start zeroed.
  const auto b = load("tests/fuzz/regressions/image-jpeg-undefined-huffman-table.jpg");
  const auto r = decodeImage(b.data(), b.size(), "table.jpg");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().rfind("could not decode table.jpg: damaged JPEG data (", 0) == 0);
}
