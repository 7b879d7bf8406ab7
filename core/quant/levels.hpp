// Number-line data for the explorer: the level grids in [-1, 1] (the seed document's grid without
// zero, the symmetric grid with zero, NF4, FP4), the nearest-level mapping of any value, and the
// seed document's example values and claims checked against that mapping. Pure data, no drawing.
#pragma once
#include <string>
#include <vector>

#include "util/result.hpp"

namespace qviz::core {

enum class LevelGrid : unsigned char {
  NoZero,    // the seed's grid: 2^(b-1) positive levels k/2^(b-1), k = 1..2^(b-1), mirrored (2^b levels)
  WithZero,  // symmetric with zero: k/(2^(b-1)-1), k = -(2^(b-1)-1)..(2^(b-1)-1) (2^b - 1 levels; 1 bit: {0})
  NF4,       // the 16 NF4 code values
  FP4,       // bitsandbytes FP4: 15 distinct values (+0 and -0 are one point on the line)
};
const char* levelGridName(LevelGrid g);  // "no-zero", "with-zero", "nf4", "fp4"
bool parseLevelGrid(const std::string& s, LevelGrid& out);

// Sorted ascending. bits 1..8 for NoZero/WithZero; NF4/FP4 need bits = 4.
Result<std::vector<double>> levelGrid(LevelGrid g, int bits);

struct NearestLevel {
  int index = 0;        // into the sorted grid
  double level = 0;
  double error = 0;     // level - value
  bool tie = false;     // the value lies exactly halfway between two levels
};
// Nearest level of a sorted grid. Values beyond the ends map to the end levels. Ties go to the
// level farther from zero (round half away from zero; rounding half to even on the level index
// would have no meaning on these grids); a tie between -a and +a (the value 0 on the grid without
// zero) goes to +a.
NearestLevel nearestLevel(const std::vector<double>& sortedLevels, double value);

// The seed document's example values: -0.75, -0.7, -0.2, 0.05, 0.45.
const std::vector<double>& seedExampleValues();

struct ExampleMapping {
  double value = 0;
  NearestLevel nearest;
};
// Each seed example value on one grid.
Result<std::vector<ExampleMapping>> mapSeedExamples(LevelGrid g, int bits);

// A mapping the seed document states (value -> level on a grid).
struct SeedClaim {
  double value = 0;
  int bits = 0;
  LevelGrid grid = LevelGrid::NoZero;
  double claimed = 0;
};
struct CheckedClaim {
  SeedClaim claim;
  NearestLevel nearest;
  bool documentWrong = false;  // claimed != nearest level
};
const std::vector<SeedClaim>& seedDocumentClaims();
std::vector<CheckedClaim> checkSeedClaims();

}  // namespace qviz::core
