// Number-line data for the explorer: the level grids in [-1, 1] (the seed document's grid without
// zero, the symmetric grid with zero, NF4, FP4), the nearest-level mapping of any value, and the
// seed document's example values and claims checked against that mapping. Pure data, no drawing.
#pragma once
#include <optional>
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

// The seed document (tests/data/seeds/002_41507a2da57fd43f.txt, "Quantization range and levels")
// states ten mappings, five values on its 3-bit and its 2-bit grid without zero. They are quoted
// exactly as the seed writes them, typos included, and each is checked, never trusted.
struct SeedClaim {
  int bits = 0;
  double value = 0;
  const char* valueText = "";    // the value as the seed writes it
  const char* claimedText = "";  // the level the seed maps it to, verbatim
};
enum class ClaimVerdict : unsigned char {
  Right,  // the claimed level is the nearest one
  Wrong,  // another level is nearer
  Tie,    // the value is halfway between two levels and the claim is one of them
  Typo,   // the claimed text is not a level of the grid at all
};
const char* claimVerdictName(ClaimVerdict v);  // "right", "wrong", "tie", "typo"

struct CheckedClaim {
  SeedClaim claim;
  std::optional<double> claimedValue;  // the claimed text read as a number ("-1/2", "1 /2" included)
  NearestLevel nearest;                // on levelGrid(NoZero, bits), ties away from zero
  std::optional<double> tieOther;      // for a tie, the other of the two equally near levels
  ClaimVerdict verdict = ClaimVerdict::Right;
  std::string note;  // why, in one sentence
};
// Reads a seed number: a decimal ("-0.75", "-2.50") or a fraction ("-1/2"; spaces around the
// slash allowed, as in the seed's "1 /2"). nullopt for anything else.
std::optional<double> parseSeedNumber(const std::string& text);
// The verdict of one claim on the seed's grid without zero at claim.bits.
CheckedClaim checkSeedClaim(const SeedClaim& claim);
const std::vector<SeedClaim>& seedDocumentClaims();  // the ten, 3-bit first, in the seed's order
std::vector<CheckedClaim> checkSeedClaims();

// The seed's own lists of its grids, verbatim, checked against levelGrid(NoZero, bits).
struct SeedGridStatement {
  int bits = 0;
  const char* text = "";
};
struct CheckedGridStatement {
  SeedGridStatement statement;
  std::vector<double> written;   // the listed levels as read (an unreadable entry is NaN)
  std::vector<double> expected;  // levelGrid(NoZero, bits)
  bool typo = false;             // written != expected
  std::string note;
};
const std::vector<SeedGridStatement>& seedGridStatements();  // 3-bit, then 2-bit
std::vector<CheckedGridStatement> checkSeedGridStatements();

}  // namespace qviz::core
