// `qviz number-line --seed-claims`: the seed's ten mappings quoted verbatim, nearest levels and
// verdicts, its grid typo; bad flags exit 2.
#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cli/cli_harness.hpp"

using namespace qviz::test;
using Json = nlohmann::json;

TEST_CASE("number-line --seed-claims --json: every claim with its verdict") {
  const auto r = runQviz({"number-line", "--seed-claims", "--json"});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  const auto j = Json::parse(r.out);
  CHECK(j["source"] == "002_41507a2da57fd43f.txt");
  CHECK(j["grid"] == "no-zero");
  const auto& c = j["claims"];
  REQUIRE(c.size() == 10);
  struct Row {
    int bits;
    double value;
    const char* claimed;
    double nearest;
    const char* verdict;
  };
  const Row rows[] = {
      {3, -0.75, "-0.75", -0.75, "right"}, {3, -0.7, "-0.75", -0.75, "right"}, {3, -0.2, "-2.50", -0.25, "typo"},
      {3, 0.05, "0.25", 0.25, "right"},    {3, 0.45, "0.5", 0.5, "right"},     {2, -0.75, "-1", -1.0, "tie"},
      {2, -0.7, "-1", -0.5, "wrong"},      {2, -0.2, "-1/2", -0.5, "right"},   {2, 0.05, "1/2", 0.5, "right"},
      {2, 0.45, "1 /2", 0.5, "right"},
  };
  for (std::size_t i = 0; i < 10; ++i) {
    INFO(i);
    CHECK(c[i]["bits"] == rows[i].bits);
    CHECK(double(c[i]["value"]) == rows[i].value);
    CHECK(c[i]["claimed"] == rows[i].claimed);
    CHECK(double(c[i]["nearest"]) == rows[i].nearest);
    CHECK(c[i]["verdict"] == rows[i].verdict);
    if (i == 5)
      CHECK(double(c[i]["tie_with"]) == -0.5);
    else
      CHECK(c[i]["tie_with"].is_null());
  }
  CHECK(double(c[2]["claimed_value"]) == -2.5);
  CHECK(double(c[6]["claimed_value"]) == -1.0);
  CHECK(c[6]["note"] == "-0.5 is nearer (0.2 away; the claimed -1 is 0.3 away)");
  const auto& g = j["grids"];
  REQUIRE(g.size() == 2);
  CHECK(g[0]["bits"] == 3);
  CHECK(g[0]["verdict"] == "right");
  CHECK(g[1]["bits"] == 2);
  CHECK(g[1]["claimed"] == "1, -1/2, 1/2, 1");
  CHECK(g[1]["verdict"] == "typo");
  CHECK(g[1]["levels_written"] == Json::array({1.0, -0.5, 0.5, 1.0}));
  CHECK(g[1]["levels"] == Json::array({-1.0, -0.5, 0.5, 1.0}));
  CHECK(g[1]["note"] == "entry 1 reads 1 where the grid has -1; -1 is not listed; 1 is listed twice");
}

TEST_CASE("number-line --seed-claims: the table") {
  const auto r = runQviz({"number-line", "--seed-claims"});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  CHECK(r.err.empty());
  const char* lines[] = {
      "bits  value   claimed   nearest     verdict  note\n",
      "3     -0.75   \"-0.75\"   -0.75       right    already a level\n",
      "3     -0.2    \"-2.50\"   -0.25       typo     \"-2.50\" is not a level of the grid (all are in [-1, 1]); the "
      "nearest level is -0.25, which it presumably means\n",
      "2     -0.75   \"-1\"      -1 or -0.5  tie      halfway between -1 and -0.5 (0.25 from each): either is nearest; "
      "the seed takes -1 and states no rule for ties\n",
      "2     -0.7    \"-1\"      -0.5        wrong    -0.5 is nearer (0.2 away; the claimed -1 is 0.3 away)\n",
      "2     0.45    \"1 /2\"    0.5         right    nearest: 0.05 away; the next level, 1, is 0.55 away; written "
      "\"1 /2\", a stray space\n",
      "3-bit  \"-1, -0.75, -0.5, -0.25, 0.25, 0.5, 0.75, and 1\"  right: the 8 levels of the grid, in order\n",
      "2-bit  \"1, -1/2, 1/2, 1\"  typo: entry 1 reads 1 where the grid has -1; -1 is not listed; 1 is listed twice\n",
  };
  for (const char* line : lines) {
    INFO(line);
    CHECK(r.out.find(line) != std::string::npos);
  }
  std::size_t rowsSeen = 0;
  for (const char* verdict : {"  right  ", "  wrong  ", "  tie    ", "  typo   "}) {
    for (std::size_t at = r.out.find(verdict); at != std::string::npos; at = r.out.find(verdict, at + 1)) ++rowsSeen;
  }
  CHECK(rowsSeen == 10);
}

TEST_CASE("number-line: bad usage exits 2 with one line") {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"number-line", "--seed-claims", "--bogus"}, {"number-line", "--jsn"}, {"number-line"},
           {"number-line", "--json"}, {"number-line", "--seed-claims", "extra"}}) {
    const auto r = runQviz(args);
    INFO(args.back());
    CHECK(r.exitCode == 2);
    CHECK(r.out.empty());
    CHECK(r.err.rfind("qviz number-line: error: ", 0) == 0);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
  const auto none = runQviz({"number-line"});
  CHECK(none.err == "qviz number-line: error: nothing to do: pass --seed-claims\n");
}
