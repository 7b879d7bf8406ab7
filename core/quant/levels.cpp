// Level grids, nearest-level mapping and the seed document's claims (see levels.hpp).
#include "quant/levels.hpp"

#include <algorithm>
#include <cmath>

#include "quant/blockwise.hpp"

namespace qviz::core {

const char* levelGridName(LevelGrid g) {
  switch (g) {
    case LevelGrid::NoZero: return "no-zero";
    case LevelGrid::WithZero: return "with-zero";
    case LevelGrid::NF4: return "nf4";
    case LevelGrid::FP4: return "fp4";
  }
  return "?";
}

bool parseLevelGrid(const std::string& s, LevelGrid& out) {
  for (LevelGrid g : {LevelGrid::NoZero, LevelGrid::WithZero, LevelGrid::NF4, LevelGrid::FP4})
    if (s == levelGridName(g)) {
      out = g;
      return true;
    }
  return false;
}

Result<std::vector<double>> levelGrid(LevelGrid g, int bits) {
  std::vector<double> levels;
  if (g == LevelGrid::NF4 || g == LevelGrid::FP4) {
    if (bits != 4) return fail(std::string(levelGridName(g)) + " is a 4-bit grid, got " + std::to_string(bits) + " bits");
    for (float v : g == LevelGrid::NF4 ? nf4Table() : fp4Table()) levels.push_back(double(v) == 0.0 ? 0.0 : double(v));
    std::sort(levels.begin(), levels.end());
    levels.erase(std::unique(levels.begin(), levels.end()), levels.end());  // FP4: +0 and -0 are one point
    return levels;
  }
  if (bits < 1 || bits > 8) return fail("level grids have 1 to 8 bits, got " + std::to_string(bits));
  const int half = 1 << (bits - 1);
  if (g == LevelGrid::NoZero) {
    for (int k = -half; k <= half; ++k)
      if (k != 0) levels.push_back(double(k) / double(half));
  } else {
    const int m = half - 1;
    if (m == 0) return std::vector<double>{0.0};  // 1 bit with zero: 2^1 - 1 = 1 level
    for (int k = -m; k <= m; ++k) levels.push_back(double(k) / double(m));
  }
  return levels;
}

NearestLevel nearestLevel(const std::vector<double>& levels, double value) {
  NearestLevel r;
  if (levels.empty()) return r;
  const auto it = std::lower_bound(levels.begin(), levels.end(), value);
  std::size_t idx;
  if (it == levels.begin()) {
    idx = 0;
  } else if (it == levels.end()) {
    idx = levels.size() - 1;
  } else {
    const std::size_t hi = std::size_t(it - levels.begin()), lo = hi - 1;
    const double dLo = value - levels[lo], dHi = levels[hi] - value;
    if (dLo == dHi) {
      r.tie = true;
      // Away from zero: the level of larger magnitude; -a vs +a goes to +a.
      idx = std::fabs(levels[lo]) > std::fabs(levels[hi]) ? lo : hi;
    } else {
      idx = dLo < dHi ? lo : hi;
    }
  }
  r.index = int(idx);
  r.level = levels[idx];
  r.error = r.level - value;
  return r;
}

const std::vector<double>& seedExampleValues() {
  static const std::vector<double> v = {-0.75, -0.7, -0.2, 0.05, 0.45};
  return v;
}

Result<std::vector<ExampleMapping>> mapSeedExamples(LevelGrid g, int bits) {
  auto grid = levelGrid(g, bits);
  if (!grid) return fail(grid.error());
  std::vector<ExampleMapping> out;
  for (double v : seedExampleValues()) out.push_back({v, nearestLevel(*grid, v)});
  return out;
}

// The seed document's own stated mappings. The document itself is not in this repository; these
// are the claims the project's design notes attribute to its 2-bit example (grid without zero:
// -1, -0.5, 0.5, 1). Each is checked, never trusted: documentWrong = (claimed != nearest).
//   0.45 -> 0.5   (0.05 from 0.5, 0.55 from 1: nearest)
//   -0.7 -> -0.5  (0.2 from -0.5, 0.3 from -1: nearest)
//   -0.75 -> -1   (exactly halfway between -1 and -0.5: a tie, resolved away from zero)
const std::vector<SeedClaim>& seedDocumentClaims() {
  static const std::vector<SeedClaim> claims = {
      {0.45, 2, LevelGrid::NoZero, 0.5},
      {-0.7, 2, LevelGrid::NoZero, -0.5},
      {-0.75, 2, LevelGrid::NoZero, -1.0},
  };
  return claims;
}

std::vector<CheckedClaim> checkSeedClaims() {
  std::vector<CheckedClaim> out;
  for (const SeedClaim& c : seedDocumentClaims()) {
    CheckedClaim cc;
    cc.claim = c;
    auto grid = levelGrid(c.grid, c.bits);
    if (grid) cc.nearest = nearestLevel(*grid, c.value);
    cc.documentWrong = !grid || cc.nearest.level != c.claimed;
    out.push_back(cc);
  }
  return out;
}

}  // namespace qviz::core
