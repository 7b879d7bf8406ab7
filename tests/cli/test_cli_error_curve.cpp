// `qviz error-curve`: every curve and depth in JSON and CSV, each point the same PSNR and SSIM as
// `qviz render --metrics` for that setting, bad input refused with nothing written.
#include <catch2/catch.hpp>
#include <array>
#include <cmath>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/cli_harness.hpp"

using namespace qviz::test;
using Json = nlohmann::json;

namespace {
// The CSV rows as "rounding,dither,bits" -> the line's three numbers (mse, psnr, ssim; NaN for empty).
std::map<std::string, std::array<double, 3>> parseCsv(const std::string& text) {
  std::map<std::string, std::array<double, 3>> rows;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ls(line);
    for (std::string x; std::getline(ls, x, ',');) f.push_back(x);
    if (line.back() == ',') f.push_back("");
    REQUIRE(f.size() == 6);
    std::array<double, 3> v{};
    for (int i = 0; i < 3; ++i) v[std::size_t(i)] = f[std::size_t(3 + i)].empty() ? std::nan("") : std::strtod(f[std::size_t(3 + i)].c_str(), nullptr);
    rows[f[0] + "," + f[1] + "," + f[2]] = v;
  }
  return rows;
}
}  // namespace

TEST_CASE("error-curve: JSON and CSV of every mode at every depth, equal to render --metrics") {
  const std::string dir = freshDir("error_curve");
  const std::string img = dataPath("chelsea.png");
  const auto r = runQviz({"error-curve", img, "--json", dir + "/c.json", "--csv", dir + "/c.csv", "--seed", "5"});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  CHECK(r.out.find("56 points (7 curves x 8 depths)") != std::string::npos);
  const Json j = Json::parse(readText(dir + "/c.json"));
  CHECK(j["width"] == 451);
  CHECK(j["height"] == 300);
  CHECK(j["bit_depth"] == 8);
  CHECK(j["seed"] == 5);
  REQUIRE(j["curves"].size() == 7);
  const char* labels[] = {"nearest", "truncate", "stochastic", "seed", "drop", "ordered dither", "Floyd-Steinberg"};
  for (std::size_t m = 0; m < 7; ++m) {
    CHECK(j["curves"][m]["label"] == labels[m]);
    REQUIRE(j["curves"][m]["points"].size() == 8);
  }
  // 8 bits, nearest: the identity.
  CHECK(j["curves"][0]["points"][7]["mse"] == 0.0);
  CHECK(j["curves"][0]["points"][7]["psnr_db"].is_null());
  // More bits, less error, for round to nearest.
  for (int b = 1; b < 7; ++b)
    CHECK(double(j["curves"][0]["points"][b]["psnr_db"]) > double(j["curves"][0]["points"][b - 1]["psnr_db"]));
  // The CSV holds the same numbers, to the last bit.
  const auto csv = parseCsv(readText(dir + "/c.csv"));
  REQUIRE(csv.size() == 56);
  for (const auto& c : j["curves"])
    for (const auto& p : c["points"]) {
      const std::string key = std::string(c["rounding"]) + "," + std::string(c["dither"]) + "," + std::to_string(int(p["bits"]));
      INFO(key);
      REQUIRE(csv.count(key) == 1);
      const auto& v = csv.at(key);
      CHECK(v[0] == double(p["mse"]));
      if (p["psnr_db"].is_null()) CHECK(std::isnan(v[1]));
      else CHECK(v[1] == double(p["psnr_db"]));
      CHECK(v[2] == double(p["ssim"]));
    }
  // A few settings through `qviz render --metrics`: the same PSNR and SSIM exactly.
  struct Setting {
    int curve;
    int bits;
    const char* rounding;
    const char* dither;
  };
  for (const Setting s : {Setting{0, 3, "nearest", "none"}, Setting{1, 2, "truncate", "none"}, Setting{2, 4, "stochastic", "none"},
                          Setting{3, 5, "seed", "none"}, Setting{4, 6, "drop", "none"}, Setting{5, 1, "nearest", "ordered"},
                          Setting{6, 2, "nearest", "floyd-steinberg"}}) {
    INFO(s.rounding << " " << s.dither << " " << s.bits);
    const auto rr = runQviz({"render", img, "--bits", std::to_string(s.bits), "--rounding", s.rounding, "--dither", s.dither,
                             "--seed", "5", "--out", dir + "/q.png", "--metrics", dir + "/m.json"});
    INFO(rr.err);
    REQUIRE(rr.exitCode == 0);
    const Json m = Json::parse(readText(dir + "/m.json"));
    const Json& p = j["curves"][std::size_t(s.curve)]["points"][std::size_t(s.bits - 1)];
    CHECK(double(p["mse"]) == double(m["mse"]));
    CHECK(double(p["psnr_db"]) == double(m["psnr_db"]));
    CHECK(double(p["ssim"]) == double(m["ssim"]));
  }
}

TEST_CASE("error-curve: --gray, CSV on stdout without outputs") {
  const auto r = runQviz({"error-curve", dataPath("chelsea.png"), "--gray"});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  CHECK(r.out.rfind("rounding,dither,bits,mse,psnr_db,ssim\nnearest,none,1,", 0) == 0);
  const auto rows = parseCsv(r.out);
  CHECK(rows.size() == 56);
  CHECK(std::isnan(rows.at("nearest,none,8")[1]));  // identical: no PSNR
  // The luma at 2 bits: what `qviz render --gray --metrics` says.
  const std::string dir = freshDir("error_curve_gray");
  const auto g = runQviz({"render", dataPath("chelsea.png"), "--gray", "--bits", "2", "--out", dir + "/q.png", "--metrics",
                          dir + "/m.json"});
  INFO(g.err);
  REQUIRE(g.exitCode == 0);
  const Json m = Json::parse(readText(dir + "/m.json"));
  CHECK(rows.at("nearest,none,2")[1] == double(m["psnr_db"]));
  CHECK(rows.at("nearest,none,2")[2] == double(m["ssim"]));
}

TEST_CASE("error-curve: bad input exits 2 with one line and writes nothing") {
  const std::string dir = freshDir("error_curve_bad");
  auto r = runQviz({"error-curve", dir + "/missing.png", "--json", dir + "/c.json"});
  CHECK(r.exitCode == 2);
  CHECK(r.err.rfind("qviz error-curve: error: ", 0) == 0);
  CHECK(!fileExists(dir + "/c.json"));
  r = runQviz({"error-curve", dataPath("chelsea.png"), "--json", dir + "/no/such/folder/c.json"});
  CHECK(r.exitCode == 2);
  CHECK(r.err == "qviz error-curve: error: the folder of " + dir + "/no/such/folder/c.json does not exist\n");
  r = runQviz({"error-curve", dataPath("chelsea.png"), "--json", dir + "/same", "--csv", dir + "/same"});
  CHECK(r.exitCode == 2);
  CHECK(r.err == "qviz error-curve: error: --json and --csv name the same file\n");
  CHECK(!fileExists(dir + "/same"));
  writeBytes(dir + "/in.png", readText(dataPath("chelsea.png")));
  r = runQviz({"error-curve", dir + "/in.png", "--csv", dir + "/in.png"});
  CHECK(r.exitCode == 2);
  CHECK(readText(dir + "/in.png") == readText(dataPath("chelsea.png")));
}
