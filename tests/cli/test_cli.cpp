// The real `qviz` binary: exit codes, messages and JSON fields of the subcommands.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/cli_harness.hpp"
#include "image/image_io.hpp"
#include "image/image.hpp"

using namespace qviz::test;
using Json = nlohmann::json;

TEST_CASE("render: one depth writes the PNG and the metrics") {
  const std::string dir = freshDir("render_one");
  const auto r = runQviz({"render", dataPath("astronaut.png"), "--bits", "2", "--out", dir + "/q.png", "--metrics",
                          dir + "/m.json"});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  const auto m = Json::parse(readText(dir + "/m.json"));
  for (const char* key : {"width", "height", "channels", "bit_depth", "bits", "rounding", "dither", "mse", "psnr_db",
                          "ssim", "max_abs_error", "levels_used", "bits_per_sample", "stored_bytes",
                          "original_bytes", "compression_ratio", "backend", "elapsed_ms"})
    CHECK(m.contains(key));
  CHECK(m["width"] == 512);
  CHECK(m["bits"] == 2);
  CHECK(m["rounding"] == "nearest");
  CHECK(m["backend"] == "cpu");
  CHECK(double(m["mse"]) == Approx(512.895442).epsilon(1e-8));  // scikit-image reference
  CHECK(m["levels_used"] == 4);
  CHECK(m["stored_bytes"] == 512 * 512 * 6 / 8);
  CHECK(m["original_bytes"] == 512 * 512 * 3);
  CHECK(double(m["compression_ratio"]) == 4.0);
  const auto q = qviz::core::loadImage(dir + "/q.png").value();
  CHECK(q.width == 512);
  CHECK(q.channels == 3);
}

TEST_CASE("render --rounding drop keeps the top bits of every sample, 8- and 16-bit") {
  const std::string dir = freshDir("render_drop");
  const auto r = runQviz({"render", dataPath("astronaut.png"), "--bits", "3", "--rounding", "drop", "--out", dir + "/q.png",
                          "--metrics", dir + "/m.json"});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  CHECK(Json::parse(readText(dir + "/m.json"))["rounding"] == "drop");
  const auto orig = qviz::core::loadImage(dataPath("astronaut.png")).value();
  const auto q = qviz::core::loadImage(dir + "/q.png").value();
  REQUIRE(q.sameShape(orig));
  const std::uint8_t levels3[8] = {0, 36, 73, 109, 146, 182, 219, 255};  // round(k * 255/7)
  for (std::size_t i = 0; i < orig.u8.size(); ++i)
    if (q.u8[i] != levels3[orig.u8[i] >> 5]) FAIL("sample " << i << ": " << int(orig.u8[i]) << " -> " << int(q.u8[i]));
  // 16-bit: every value 0..65535 once; at 4 bits the code is v >> 12 and the level code * 4369.
  auto ramp = qviz::core::Image::make(256, 256, 1, qviz::core::SampleType::U16);
  for (std::uint32_t v = 0; v <= 65535; ++v) ramp.u16[v] = std::uint16_t(v);
  REQUIRE(qviz::core::savePng(ramp, dir + "/ramp16.png").ok());
  const auto r16 = runQviz({"render", dir + "/ramp16.png", "--bits", "4", "--rounding", "drop", "--out", dir + "/q16.png"});
  INFO(r16.err);
  REQUIRE(r16.exitCode == 0);
  const auto q16 = qviz::core::loadImage(dir + "/q16.png").value();
  REQUIRE(q16.type == qviz::core::SampleType::U16);
  REQUIRE(q16.u16.size() == 65536);
  for (std::uint32_t v = 0; v <= 65535; ++v)
    if (q16.u16[v] != (v >> 12) * 4369) FAIL("16-bit v " << v << " -> " << q16.u16[v]);
  // A misspelt mode names drop among the choices.
  const auto bad = runQviz({"render", dataPath("astronaut.png"), "--rounding", "dropp", "--out", dir + "/x.png"});
  CHECK(bad.exitCode == 2);
  CHECK(bad.err.find("drop)") != std::string::npos);
}

TEST_CASE("render: a list of depths makes the side-by-side figure") {
  const std::string dir = freshDir("render_list");
  const auto r = runQviz({"render", dataPath("chelsea.png"), "--bits", "8,4,2,1", "--out", dir + "/fig.png",
                          "--metrics", dir + "/m.json"});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  const auto fig = qviz::core::loadImage(dir + "/fig.png").value();
  CHECK(fig.width == 451 * 5);
  CHECK(fig.height == 300);
  const auto orig = qviz::core::loadImage(dataPath("chelsea.png")).value();
  // Tile 0 is the original; tile 1 (8 bits) is identical to it.
  for (int y = 0; y < 300; y += 37)
    for (int x = 0; x < 451; x += 41)
      for (int c = 0; c < 3; ++c) {
        REQUIRE(fig.at(x, y, c) == orig.at(x, y, c));
        REQUIRE(fig.at(451 + x, y, c) == orig.at(x, y, c));
        const auto v1 = fig.at(4 * 451 + x, y, c);
        REQUIRE((v1 == 0 || v1 == 255));
      }
  const auto m = Json::parse(readText(dir + "/m.json"));
  REQUIRE(m.is_array());
  REQUIRE(m.size() == 4);
  CHECK(m[0]["bits"] == 8);
  CHECK(m[0]["mse"] == 0.0);
  CHECK(m[0]["psnr_db"].is_null());
  CHECK(m[3]["levels_used"] == 2);
}

TEST_CASE("render: bad input and usage exit 2 with one line and write nothing") {
  const std::string dir = freshDir("render_bad");
  writeBytes(dir + "/text.jpg", "not an image at all\n");
  writeBytes(dir + "/empty.png", "");
  const std::vector<std::vector<std::string>> cases = {
      {"render", dir + "/text.jpg", "--bits", "4", "--out", dir + "/o.png"},
      {"render", dir + "/empty.png", "--bits", "4", "--out", dir + "/o.png"},
      {"render", dir + "/missing.png", "--bits", "4", "--out", dir + "/o.png"},
      {"render", dataPath("astronaut.png"), "--bits", "9", "--out", dir + "/o.png"},
      {"render", dataPath("astronaut.png"), "--bits", "0", "--out", dir + "/o.png"},
      {"render", dataPath("astronaut.png"), "--bits", "four", "--out", dir + "/o.png"},
      {"render", dataPath("astronaut.png"), "--rounding", "up", "--out", dir + "/o.png"},
      {"render", dataPath("astronaut.png"), "--dither", "blue", "--out", dir + "/o.png"},
      {"render", dataPath("astronaut.png"), "--rounding", "truncate", "--dither", "ordered", "--out", dir + "/o.png"},
      {"render", dataPath("astronaut.png"), "--out", dataPath("astronaut.png")},
      {"render", dataPath("astronaut.png"), "--out", dir + "/no/such/dir/o.png"},
      {"render", dataPath("astronaut.png")},
      {"render", dataPath("astronaut.png"), "--bits", "4", "--out", dir + "/o.png", "--frobnicate"},
      {"render", dataPath("astronaut.png"), "--backend", "quantum", "--out", dir + "/o.png"},
  };
  for (const auto& args : cases) {
    const auto r = runQviz(args);
    INFO(args[1] << " " << (args.size() > 3 ? args[3] : "") << ": " << r.err);
    CHECK(r.exitCode == 2);
    CHECK(r.err.rfind("qviz render: error: ", 0) == 0);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
  CHECK(!fileExists(dir + "/o.png"));
  CHECK(qviz::core::loadImage(dataPath("astronaut.png")).ok());
}

TEST_CASE("unknown subcommand options and help") {
  CHECK(runQviz({"render", "--help"}).exitCode == 0);
  const auto h = runQviz({"--help"});
  CHECK(h.exitCode == 0);
  CHECK(h.out.find("render") != std::string::npos);
  CHECK(runQviz({"--definitely-not-an-option"}).exitCode == 2);
}

TEST_CASE("bench writes the documented JSON") {
  const std::string dir = freshDir("bench");
  const auto r = runQviz({"bench", "--quick", "--filter", "_cpu_", "--json", dir + "/b.json"});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  const auto j = Json::parse(readText(dir + "/b.json"));
  CHECK(j.contains("renderer"));
  bool uniform = false, ssim = false;
  for (const auto& e : j["results"]) {
    CHECK(e.contains("name"));
    CHECK(double(e["ms"]) > 0);
    CHECK(double(e["items_per_s"]) > 0);
    CHECK(double(e["bytes_per_s"]) > 0);
    uniform = uniform || e["name"] == "uniform_cpu_4k";
    ssim = ssim || e["name"] == "ssim_cpu_1080p";
  }
  CHECK(uniform);
  CHECK(ssim);
}

TEST_CASE("bench quantize_tensor_rss: the peak memory of quantize-tensor in a child, beside the 2x + 300 MiB bound") {
  const std::string dir = freshDir("bench_rss");
  const auto r = runQviz({"bench", "--quick", "--filter", "quantize_tensor_rss", "--json", dir + "/b.json"});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  const auto j = Json::parse(readText(dir + "/b.json"));
  REQUIRE(j["results"].size() == 1);
  const auto& e = j["results"][0];
  CHECK(e["name"] == "quantize_tensor_rss_64m");  // --quick: 64 MiB of float32
  CHECK(e["input_mib"] == Approx(64.0 + 128.0 / (1 << 20)));  // with the 128-byte .npy header
  const double peak = e["peak_rss_mib"];
  CHECK(peak > 0);
  CHECK(double(e["peak_rss_per_input"]) == Approx(peak / double(e["input_mib"])));
  CHECK(double(e["bound_mib"]) == Approx(2.0 * double(e["input_mib"]) + 300.0));
  CHECK(e["within_bound"] == (peak <= double(e["bound_mib"])));
  CHECK(r.out.find("quantize_tensor_rss_64m: peak RSS ") != std::string::npos);
  CHECK(r.out.find("bound 2x + 300 MiB = 428 MiB") != std::string::npos);
}

TEST_CASE("render: hostile and damaged images exit 2 with a message naming the file") {
  const std::string dir = freshDir("render_hostile");
  const auto img = qviz::core::loadImage(dataPath("chelsea.png")).value();
  const auto png = qviz::core::encodePng(img).value();
  const std::string pngBytes(png.begin(), png.end());
  // IHDR width/height patched (stb_image does not check chunk CRCs, so the header is believed).
  std::string huge = pngBytes;
  for (int i = 0; i < 2; ++i) {
    const unsigned v = i == 0 ? 60000u : 60000u;
    huge[std::size_t(16 + 4 * i)] = char(v >> 24);
    huge[std::size_t(17 + 4 * i)] = char((v >> 16) & 255);
    huge[std::size_t(18 + 4 * i)] = char((v >> 8) & 255);
    huge[std::size_t(19 + 4 * i)] = char(v & 255);
  }
  std::string bomb = pngBytes;  // 16384 x 16384 RGBA 16-bit = 2 GiB declared in a small file
  bomb[16] = 0; bomb[17] = 0; bomb[18] = 0x40; bomb[19] = 0;
  bomb[20] = 0; bomb[21] = 0; bomb[22] = 0x40; bomb[23] = 0;
  bomb[24] = 16;
  bomb[25] = 6;
  std::string noise(5000, '\0');
  for (std::size_t i = 0; i < noise.size(); ++i) noise[i] = char((i * 2654435761u) >> 13);
  noise[0] = 0x13;
  const std::vector<std::pair<std::string, std::string>> files = {
      {"truncated.png", pngBytes.substr(0, pngBytes.size() / 3)},
      {"truncated.jpg", std::string("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00", 11)},
      {"huge.png", huge},
      {"bomb.png", bomb},
      {"noise.bmp", noise},
  };
  for (const auto& [name, bytes] : files) {
    writeBytes(dir + "/" + name, bytes);
    const auto r = runQviz({"render", dir + "/" + name, "--bits", "4", "--out", dir + "/o.png"});
    INFO(name << ": " << r.err);
    CHECK(r.exitCode == 2);
    CHECK(r.err.find("could not decode " + dir + "/" + name) != std::string::npos);
  }
  CHECK(!fileExists(dir + "/o.png"));
}

TEST_CASE("render --labels adds a label strip under unchanged tiles") {
  const std::string dir = freshDir("render_labels");
  const auto r = runQviz({"render", dataPath("chelsea.png"), "--bits", "4,1", "--labels", "--out", dir + "/fig.png"});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  const auto fig = qviz::core::loadImage(dir + "/fig.png").value();
  const auto plain = qviz::core::loadImage(dataPath("chelsea.png")).value();
  CHECK(fig.width == 451 * 3);
  CHECK(fig.height > 300);
  for (int y = 0; y < 300; y += 29)
    for (int x = 0; x < 451; x += 31) REQUIRE(fig.at(x, y, 0) == plain.at(x, y, 0));
  // The strip holds white text on a dark background.
  bool white = false;
  for (int y = 300; y < fig.height; ++y)
    for (int x = 0; x < fig.width; ++x) white = white || (fig.at(x, y, 0) == 255 && fig.at(x, y, 1) == 255);
  CHECK(white);
}

TEST_CASE("the explorer opens a real window under Xvfb and saves a screenshot") {
  const std::string dir = freshDir("xvfb");
  const std::string shot = dir + "/window.png";
  const auto r = runProgram({"xvfb-run", "-a", "-s", "-screen 0 1280x800x24", QVIZ_BIN, "--no-settings", "--size", "1200x760",
                             "--panel", "histogram", "--bits", "2", "--frames", "4", "--screenshot", shot},
                            {"XDG_CONFIG_HOME=" + dir + "/config", "LIBGL_ALWAYS_SOFTWARE=1"});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  const auto img = qviz::core::loadImage(shot).value();
  CHECK(img.width == 1200);
  CHECK(img.height == 760);
  std::set<std::uint32_t> colours;
  for (std::size_t p = 0; p < img.pixelCount() && colours.size() < 200; p += 7)
    colours.insert(img.u8[p * 3] << 16 | img.u8[p * 3 + 1] << 8 | img.u8[p * 3 + 2]);
  CHECK(colours.size() >= 200);  // a drawn UI, not a blank window
  // Scripted runs never write settings.
  CHECK(!fileExists(dir + "/config/qviz/settings.json"));
}

TEST_CASE("Ctrl-C in the terminal quits the explorer like its close button: settings and layout are saved") {
  const std::string dir = freshDir("sigint");
  // timeout sends SIGINT after 12 s (the window has been up for seconds by then) and, with
  // --preserve-status, exits with the explorer's own status.
  const auto r = runProgram({"xvfb-run", "-a", "-s", "-screen 0 1280x800x24", "timeout", "--preserve-status", "-s", "INT",
                             "12", QVIZ_BIN, "--size", "1000x700", "--bits", "3"},
                            {"XDG_CONFIG_HOME=" + dir + "/config", "LIBGL_ALWAYS_SOFTWARE=1"});
  INFO(r.err);
  CHECK(r.exitCode == 0);
  const std::string settings = readText(dir + "/config/qviz/settings.json");
  CHECK(settings.find("\"format\": \"qviz-settings\"") != std::string::npos);
  CHECK(settings.find("\"bits\": 3,") != std::string::npos);
  const std::string ini = readText(dir + "/config/qviz/imgui.ini");
  CHECK(ini.find("[Window][Image quantization]") != std::string::npos);
}

TEST_CASE("explorer usage errors exit 2 with one line") {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--panel", "nope", "--screenshot", "/tmp/x.png"}, {"--bits", "0"}, {"--size", "12"}, {"a.png", "b.png"}}) {
    const auto r = runQviz(args);
    INFO(args[0] << ": " << r.err);
    CHECK(r.exitCode == 2);
    CHECK(r.err.rfind("qviz: error: ", 0) == 0);
  }
  const auto r = runQviz({"--no-settings", "--rounding", "dropp"});
  CHECK(r.exitCode == 2);
  CHECK(r.err == "qviz: error: unknown rounding 'dropp' (nearest, truncate, stochastic, seed, user, drop)\n");
}
