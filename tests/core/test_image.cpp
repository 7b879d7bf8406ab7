// Image loading and saving: round trips in every layout, formats by content, and hostile or
// broken files refused with a clear message (never a crash, never a huge allocation).
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "image/image_io.hpp"
#include "test_support.hpp"
#include "util/fs.hpp"
#include "../test_files.hpp"

#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <stb_image_write.h>
#pragma GCC diagnostic pop

using namespace qviz::core;
namespace fs = std::filesystem;

namespace {
using Bytes = std::vector<std::uint8_t>;

void stbSink(void* ctx, void* data, int size) {
  auto* out = static_cast<Bytes*>(ctx);
  out->insert(out->end(), static_cast<std::uint8_t*>(data), static_cast<std::uint8_t*>(data) + size);
}

void be32(Bytes& b, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(std::uint8_t(v >> s));
}
void chunk(Bytes& png, const char* type, const Bytes& data) {
  be32(png, std::uint32_t(data.size()));
  Bytes body(type, type + 4);
  body.insert(body.end(), data.begin(), data.end());
  png.insert(png.end(), body.begin(), body.end());
  be32(png, std::uint32_t(crc32(0, body.data(), uInt(body.size()))));
}
// A PNG with an arbitrary header and `rawBytes` zero bytes of (compressed) image data.
Bytes craftPng(std::uint32_t w, std::uint32_t h, int depth, int colorType, std::size_t rawBytes) {
  Bytes png = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  Bytes ihdr;
  be32(ihdr, w);
  be32(ihdr, h);
  ihdr.insert(ihdr.end(), {std::uint8_t(depth), std::uint8_t(colorType), 0, 0, 0});
  chunk(png, "IHDR", ihdr);
  Bytes raw(rawBytes, 0);
  uLongf zlen = compressBound(uLong(raw.size()));
  Bytes z(zlen);
  compress2(z.data(), &zlen, raw.data(), uLong(raw.size()), 9);
  z.resize(zlen);
  chunk(png, "IDAT", z);
  chunk(png, "IEND", {});
  return png;
}
Bytes readAll(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}
std::string tempDir(const std::string& name) { return qviz::test::scratchDir("qviz_test", name); }
}  // namespace

TEST_CASE("PNG round trip keeps every layout and 16-bit samples") {
  for (SampleType t : {SampleType::U8, SampleType::U16})
    for (int ch = 1; ch <= 4; ++ch) {
      const Image img = qviz::test::randomImage(31, 17, ch, t, std::uint32_t(ch));
      const auto png = encodePng(img).value();
      const auto back = decodeImage(png.data(), png.size(), "mem.png");
      INFO("channels " << ch << " 16-bit " << (t == SampleType::U16));
      REQUIRE(back.ok());
      CHECK(back->type == t);
      CHECK(*back == img);
    }
}

TEST_CASE("sample images load with their real dimensions") {
  const Image a = loadImage(qviz::test::data("astronaut.png")).value();
  CHECK(a.width == 512);
  CHECK(a.height == 512);
  CHECK(a.channels == 3);
  CHECK(a.type == SampleType::U8);
  const Image c = loadImage(qviz::test::data("chelsea.png")).value();
  CHECK(c.width == 451);
  CHECK(c.height == 300);
}

TEST_CASE("BMP, TGA and JPEG are recognised by content, whatever their name") {
  const Image img = qviz::test::randomImage(20, 10, 3, SampleType::U8, 9);
  Bytes bmp, tga, jpg;
  stbi_write_bmp_to_func(stbSink, &bmp, img.width, img.height, 3, img.u8.data());
  stbi_write_tga_to_func(stbSink, &tga, img.width, img.height, 3, img.u8.data());
  stbi_write_jpg_to_func(stbSink, &jpg, img.width, img.height, 3, img.u8.data(), 95);
  CHECK(sniffImageFormat(bmp.data(), bmp.size()) == ImageFormat::Bmp);
  CHECK(sniffImageFormat(tga.data(), tga.size()) == ImageFormat::Tga);
  CHECK(sniffImageFormat(jpg.data(), jpg.size()) == ImageFormat::Jpeg);
  CHECK(decodeImage(bmp.data(), bmp.size(), "x.png").value() == img);
  CHECK(decodeImage(tga.data(), tga.size(), "x.jpg").value() == img);
  const Image j = decodeImage(jpg.data(), jpg.size(), "x.bmp").value();
  CHECK(j.width == 20);
  CHECK(j.height == 10);
}

TEST_CASE("broken and hostile inputs give a clear message") {
  auto expectError = [](const Bytes& b, const std::string& fragment) {
    const auto r = decodeImage(b.data(), b.size(), "bad.png");
    REQUIRE(!r.ok());
    INFO(r.error());
    CHECK(r.error().rfind("could not decode bad.png: ", 0) == 0);
    CHECK(r.error().find(fragment) != std::string::npos);
  };
  expectError({}, "empty");
  Bytes random(4096);
  std::uint32_t x = 12345;
  for (auto& b : random) b = std::uint8_t((x = x * 1664525u + 1013904223u) >> 24);
  random[0] = 0x13;  // not a signature and not a plausible TGA header
  random[2] = 0x7F;
  expectError(random, "not a PNG, JPEG, BMP or TGA");
  const std::string text = "this is a text file that someone named photo.jpg\n";
  expectError(Bytes(text.begin(), text.end()), "not a PNG, JPEG, BMP or TGA");
  // GIF, PNM and PSD are decodable by stb_image but not accepted.
  const std::string gif = "GIF89a\x01\x00\x01\x00\x00\x00\x00;";
  expectError(Bytes(gif.begin(), gif.end()), "not a PNG");
  const std::string pnm = "P6\n1 1\n65535\n\0\0\0\0\0\0";
  expectError(Bytes(pnm.begin(), pnm.end()), "not a PNG");

  const Image img = qviz::test::randomImage(64, 64, 3, SampleType::U8, 5);
  const auto png = encodePng(img).value();
  expectError(Bytes(png.begin(), png.begin() + long(png.size() / 2)), "damaged PNG");
  Bytes jpg;
  stbi_write_jpg_to_func(stbSink, &jpg, img.width, img.height, 3, img.u8.data(), 90);
  expectError(Bytes(jpg.begin(), jpg.begin() + 200), "damaged JPEG");

  expectError(craftPng(60000, 60000, 8, 2, 100), "larger than 32768 pixels per side");
  // 16384 x 16384 RGBA 16-bit: 2 GiB of pixels from a file of a few hundred bytes.
  const Bytes bomb = craftPng(16384, 16384, 16, 6, 1000);
  CHECK(bomb.size() < 1000);
  expectError(bomb, "decode budget");
  // Within the size limits, but the decoder would need more than a small budget allows.
  LoadLimits tight;
  tight.decodeBudgetBytes = 4 << 20;
  const Bytes mid = craftPng(2000, 2000, 8, 6, 2000 * (2000 * 4 + 1));
  const auto r = decodeImage(mid.data(), mid.size(), "mid.png", tight);
  REQUIRE(!r.ok());
  CHECK(r.error().find("budget") != std::string::npos);
  // The same file decodes with the default budget.
  CHECK(decodeImage(mid.data(), mid.size(), "mid.png").ok());
}

TEST_CASE("missing files and folders are reported by name") {
  const auto r = loadImage("/nonexistent/dir/x.png");
  REQUIRE(!r.ok());
  CHECK(r.error().find("/nonexistent/dir/x.png") != std::string::npos);
  const auto d = loadImage(fs::temp_directory_path().string());
  REQUIRE(!d.ok());
  CHECK(d.error().find("not a regular file") != std::string::npos);
}

TEST_CASE("saving is atomic and never overwrites an input") {
  const std::string dir = tempDir("save");
  const std::string out = dir + "/out.png";
  const Image img = qviz::test::randomImage(8, 8, 3, SampleType::U8, 2);
  REQUIRE(savePng(img, out).ok());
  const Bytes before = readAll(out);
  CHECK(loadImage(out).value() == img);
  // Refuses to write over an input, and leaves it intact.
  const auto refused = savePng(qviz::test::randomImage(8, 8, 3, SampleType::U8, 3), out, {out});
  REQUIRE(!refused.ok());
  CHECK(refused.error().find("refusing to overwrite") != std::string::npos);
  CHECK(readAll(out) == before);
  // A read-only folder: a message, the old file untouched, no temporary left behind.
  if (::geteuid() != 0) {
    ::chmod(dir.c_str(), 0555);
    CHECK(!savePng(img, out).ok());
    ::chmod(dir.c_str(), 0755);
  }
  CHECK(!savePng(img, dir + "/missing/sub/out.png").ok());
  CHECK(!savePng(img, dir).ok());  // a directory
  CHECK(readAll(out) == before);
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir)) files += e.is_regular_file();
  CHECK(files == 1);
  fs::remove_all(dir);
}

TEST_CASE("image helpers: gray, rgb, crop") {
  Image px = Image::make(2, 1, 4, SampleType::U8);
  px.u8 = {255, 255, 255, 7, 10, 200, 30, 9};
  const Image g = toGray(px);
  REQUIRE(g.channels == 2);
  CHECK(g.u8 == std::vector<std::uint8_t>{255, 7, std::uint8_t((77 * 10 + 150 * 200 + 29 * 30 + 128) >> 8), 9});
  const Image rgb = toRgb(g);
  CHECK(rgb.channels == 4);
  CHECK(rgb.u8[0] == 255);
  CHECK(rgb.u8[3] == 7);
  const Image c = crop(px, 1, 0, 5, 5);
  CHECK(c.width == 1);
  CHECK(c.u8 == std::vector<std::uint8_t>{10, 200, 30, 9});
}
