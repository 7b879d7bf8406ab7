// Number-line data: level grids, nearest-level mapping with ties, the seed examples and claims.
#include <catch2/catch.hpp>

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

TEST_CASE("seed claims are checked, not trusted") {
  const auto& claims = seedDocumentClaims();
  REQUIRE(claims.size() == 3);
  const auto checked = checkSeedClaims();
  REQUIRE(checked.size() == 3);
  for (const auto& c : checked) {
    CHECK(c.claim.bits == 2);
    CHECK(c.nearest.level == c.claim.claimed);
    CHECK_FALSE(c.documentWrong);
  }
  CHECK(checked[2].nearest.tie);  // -0.75 is halfway between -1 and -0.5
}
