// Number-line data: level grids, nearest-level mapping with ties, the seed examples and claims.
#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "quant/blockwise.hpp"
#include "quant/levels.hpp"

using namespace qviz::core;

TEST_CASE("grids without zero, with zero, NF4 and FP4") {
  CHECK(levelGrid(LevelGrid::NoZero, 1).value() == std::vector<double>{-1, 1});
  CHECK(levelGrid(LevelGrid::NoZero, 2).value() == std::vector<double>{-1, -0.5, 0.5, 1});
  CHECK(levelGrid(LevelGrid::NoZero, 3).value() ==
        std::vector<double>{-1, -0.75, -0.5, -0.25, 0.25, 0.5, 0.75, 1});
  CHECK(levelGrid(LevelGrid::NoZero, 8)->size() == 256);
  CHECK(levelGrid(LevelGrid::WithZero, 1).value() == std::vector<double>{0});
  CHECK(levelGrid(LevelGrid::WithZero, 2).value() == std::vector<double>{-1, 0, 1});
  CHECK(levelGrid(LevelGrid::WithZero, 3).value() == std::vector<double>{-1, -2.0 / 3, -1.0 / 3, 0, 1.0 / 3, 2.0 / 3, 1});
  CHECK(levelGrid(LevelGrid::WithZero, 8)->size() == 255);
  const auto nf4 = levelGrid(LevelGrid::NF4, 4).value();
  REQUIRE(nf4.size() == 16);
  CHECK(nf4[7] == 0.0);
  CHECK(nf4[8] == double(0.07958029955625534f));
  const auto fp4 = levelGrid(LevelGrid::FP4, 4).value();
  REQUIRE(fp4.size() == 15);  // +0 and -0 are one point
  CHECK(fp4.front() == -1.0);
  CHECK(fp4[7] == 0.0);
  CHECK(fp4[8] == double(0.0625f / 12.0f));
  CHECK_FALSE(levelGrid(LevelGrid::NF4, 3).ok());
  CHECK_FALSE(levelGrid(LevelGrid::NoZero, 0).ok());
  CHECK_FALSE(levelGrid(LevelGrid::WithZero, 9).ok());
  LevelGrid g{};
  CHECK(parseLevelGrid("with-zero", g));
  CHECK(g == LevelGrid::WithZero);
  CHECK_FALSE(parseLevelGrid("zero", g));
}

TEST_CASE("nearest level: round to nearest, ties away from zero, clamping") {
  const auto g2 = levelGrid(LevelGrid::NoZero, 2).value();
  auto r = nearestLevel(g2, -0.75);
  CHECK(r.tie);
  CHECK(r.level == -1.0);
  CHECK(r.error == -0.25);
  r = nearestLevel(g2, 0.75);
  CHECK(r.tie);
  CHECK(r.level == 1.0);
  r = nearestLevel(g2, 0.0);  // tie between -0.5 and 0.5 goes to +0.5
  CHECK(r.tie);
  CHECK(r.level == 0.5);
  r = nearestLevel(g2, -0.7);
  CHECK_FALSE(r.tie);
  CHECK(r.level == -0.5);
  r = nearestLevel(g2, 3.0);
  CHECK(r.level == 1.0);
  CHECK(r.index == 3);
  r = nearestLevel(g2, -3.0);
  CHECK(r.level == -1.0);
  CHECK(r.index == 0);
}

TEST_CASE("the seed document's examples map as round-to-nearest says") {
  CHECK(seedExampleValues() == std::vector<double>{-0.75, -0.7, -0.2, 0.05, 0.45});
  // 2 bits without zero: -1, -0.5, 0.5, 1.
  const auto m2 = mapSeedExamples(LevelGrid::NoZero, 2).value();
  const double expect2[] = {-1.0, -0.5, -0.5, 0.5, 0.5};
  const bool tie2[] = {true, false, false, false, false};
  for (std::size_t i = 0; i < 5; ++i) {
    CHECK(m2[i].nearest.level == expect2[i]);
    CHECK(m2[i].nearest.tie == tie2[i]);
  }
  // 3 bits without zero: +-0.25 .. +-1.
  const auto m3 = mapSeedExamples(LevelGrid::NoZero, 3).value();
  const double expect3[] = {-0.75, -0.75, -0.25, 0.25, 0.5};
  for (std::size_t i = 0; i < 5; ++i) {
    CHECK(m3[i].nearest.level == expect3[i]);
    CHECK_FALSE(m3[i].nearest.tie);
  }
  // 2 bits with zero: -1, 0, 1.
  const auto z2 = mapSeedExamples(LevelGrid::WithZero, 2).value();
  const double expectZ[] = {-1.0, -1.0, 0.0, 0.0, 0.0};
  for (std::size_t i = 0; i < 5; ++i) CHECK(z2[i].nearest.level == expectZ[i]);
  CHECK(m3[1].nearest.error == Approx(-0.05));
}

TEST_CASE("seed claims: all ten, quoted verbatim, each with its verdict") {
  const auto& claims = seedDocumentClaims();
  REQUIRE(claims.size() == 10);
  struct Expect {
    int bits;
    double value;
    const char* claimed;
    double nearest;
    ClaimVerdict verdict;
  };
  const Expect expect[] = {
      {3, -0.75, "-0.75", -0.75, ClaimVerdict::Right}, {3, -0.7, "-0.75", -0.75, ClaimVerdict::Right},
      {3, -0.2, "-2.50", -0.25, ClaimVerdict::Typo},   {3, 0.05, "0.25", 0.25, ClaimVerdict::Right},
      {3, 0.45, "0.5", 0.5, ClaimVerdict::Right},      {2, -0.75, "-1", -1.0, ClaimVerdict::Tie},
      {2, -0.7, "-1", -0.5, ClaimVerdict::Wrong},      {2, -0.2, "-1/2", -0.5, ClaimVerdict::Right},
      {2, 0.05, "1/2", 0.5, ClaimVerdict::Right},      {2, 0.45, "1 /2", 0.5, ClaimVerdict::Right},
  };
  const auto checked = checkSeedClaims();
  REQUIRE(checked.size() == 10);
  for (std::size_t i = 0; i < 10; ++i) {
    INFO(i);
    CHECK(checked[i].claim.bits == expect[i].bits);
    CHECK(checked[i].claim.value == expect[i].value);
    CHECK(std::string(checked[i].claim.claimedText) == expect[i].claimed);
    CHECK(checked[i].nearest.level == expect[i].nearest);
    CHECK(checked[i].verdict == expect[i].verdict);
  }
  // The 2-bit -0.7 claim is "-1", not "-0.5": -0.5 is 0.2 away, -1 is 0.3 away.
  CHECK(checked[6].note == "-0.5 is nearer (0.2 away; the claimed -1 is 0.3 away)");
  CHECK(*checked[6].claimedValue == -1.0);
  // -0.75 at 2 bits: halfway, and the seed's -1 is one of the two.
  CHECK(checked[5].nearest.tie);
  REQUIRE(checked[5].tieOther.has_value());
  CHECK(*checked[5].tieOther == -0.5);
  CHECK(checked[5].note ==
        "halfway between -1 and -0.5 (0.25 from each): either is nearest; the seed takes -1 and states no rule for ties");
  CHECK(checked[2].note ==
        "\"-2.50\" is not a level of the grid (all are in [-1, 1]); the nearest level is -0.25, which it presumably means");
  CHECK(*checked[2].claimedValue == -2.5);
  CHECK(checked[0].note == "already a level");
  CHECK(checked[3].note == "nearest: 0.2 away; the next level, -0.25, is 0.3 away");
  CHECK(checked[9].note == "nearest: 0.05 away; the next level, 1, is 0.55 away; written \"1 /2\", a stray space");
  CHECK(std::string(claimVerdictName(ClaimVerdict::Tie)) == "tie");
  CHECK(std::string(claimVerdictName(ClaimVerdict::Typo)) == "typo");
}

TEST_CASE("seed claims: a verdict is computed, not stored") {
  CHECK(checkSeedClaim({2, -0.7, "-0.7", "-1/2"}).verdict == ClaimVerdict::Right);
  CHECK(checkSeedClaim({2, -0.75, "-0.75", "-1/2"}).verdict == ClaimVerdict::Tie);
  CHECK(checkSeedClaim({2, -0.75, "-0.75", "1/2"}).verdict == ClaimVerdict::Wrong);
  CHECK(checkSeedClaim({3, -0.2, "-0.2", "-0.25"}).verdict == ClaimVerdict::Right);
  CHECK(checkSeedClaim({3, -0.2, "-0.2", "0"}).verdict == ClaimVerdict::Typo);  // no zero on this grid
  CHECK(checkSeedClaim({3, -0.2, "-0.2", "minus a quarter"}).verdict == ClaimVerdict::Typo);
  CHECK(checkSeedClaim({9, -0.2, "-0.2", "-0.25"}).verdict == ClaimVerdict::Typo);
  CHECK(parseSeedNumber("1 /2") == 0.5);
  CHECK(parseSeedNumber(" -1/2 ") == -0.5);
  CHECK(parseSeedNumber("-2.50") == -2.5);
  CHECK_FALSE(parseSeedNumber("1/0"));
  CHECK_FALSE(parseSeedNumber("1e3"));
  CHECK_FALSE(parseSeedNumber("-"));
  CHECK_FALSE(parseSeedNumber(""));
  CHECK_FALSE(parseSeedNumber("1/2/3"));
}

TEST_CASE("seed grids: the 3-bit list is right, the 2-bit list has a typo") {
  const auto g = checkSeedGridStatements();
  REQUIRE(g.size() == 2);
  CHECK(g[0].statement.bits == 3);
  CHECK_FALSE(g[0].typo);
  CHECK(g[0].written == std::vector<double>{-1, -0.75, -0.5, -0.25, 0.25, 0.5, 0.75, 1});
  CHECK(g[0].note == "the 8 levels of the grid, in order");
  CHECK(g[1].statement.bits == 2);
  CHECK(std::string(g[1].statement.text) == "1, -1/2, 1/2, 1");
  CHECK(g[1].typo);
  CHECK(g[1].written == std::vector<double>{1, -0.5, 0.5, 1});
  CHECK(g[1].expected == std::vector<double>{-1, -0.5, 0.5, 1});
  CHECK(g[1].note == "entry 1 reads 1 where the grid has -1; -1 is not listed; 1 is listed twice");
}

TEST_CASE("seed claims: every quoted string is in the seed document, verbatim") {
  const std::string path = std::string(QVIZ_TEST_DATA) + "/seeds/002_41507a2da57fd43f.txt";
  std::ifstream f(path, std::ios::binary);
  REQUIRE(f);
  std::vector<std::string> lines;
  for (std::string line; std::getline(f, line) && lines.size() < 10000;) lines.push_back(line);
  // The sentence after "N-bit quantization represents ... levels such as GRID." holds the claims.
  auto gridLine = [&](int bits) -> std::size_t {
    const std::string key = std::to_string(bits) + "-bit quantization represents";
    for (std::size_t i = 0; i < lines.size(); ++i)
      if (lines[i].find(key) != std::string::npos) return i;
    return lines.size();
  };
  for (const auto& st : seedGridStatements()) {
    const std::size_t i = gridLine(st.bits);
    REQUIRE(i + 1 < lines.size());
    CHECK(lines[i].find(std::string("such as ") + st.text + ".") != std::string::npos);
  }
  for (const auto& c : seedDocumentClaims()) {
    const std::size_t i = gridLine(c.bits);
    REQUIRE(i + 1 < lines.size());
    const std::string phrase = std::string(c.valueText) + " to " + c.claimedText;
    INFO(phrase);
    const std::string& claimsLine = lines[i + 1];
    const auto at = claimsLine.find(phrase);
    REQUIRE(at != std::string::npos);
    // Whole items: preceded by a space, followed by ',' or the final '.'.
    CHECK(claimsLine[at - 1] == ' ');
    const char after = claimsLine[at + phrase.size()];
    CHECK((after == ',' || after == '.'));
    CHECK(std::stod(c.valueText) == c.value);
  }
}
