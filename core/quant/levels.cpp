// Level grids, nearest-level mapping and the seed document's claims (see levels.hpp).
#include "quant/levels.hpp"

#include <algorithm>
#include <charconv>
#include <cctype>
#include <cmath>
#include <cstdio>

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

// The seed document's mappings, quoted from tests/data/seeds/002_41507a2da57fd43f.txt:
//   3-bit: "-0.75 to -0.75, -0.7 to -0.75, -0.2 to -2.50, 0.05 to 0.25, and 0.45 to 0.5."
//   2-bit: "-0.75 to -1, -0.7 to -1, -0.2 to -1/2, 0.05 to 1/2, and 0.45 to 1 /2."
const std::vector<SeedClaim>& seedDocumentClaims() {
  static const std::vector<SeedClaim> claims = {
      {3, -0.75, "-0.75", "-0.75"}, {3, -0.7, "-0.7", "-0.75"}, {3, -0.2, "-0.2", "-2.50"},
      {3, 0.05, "0.05", "0.25"},    {3, 0.45, "0.45", "0.5"},   {2, -0.75, "-0.75", "-1"},
      {2, -0.7, "-0.7", "-1"},      {2, -0.2, "-0.2", "-1/2"},  {2, 0.05, "0.05", "1/2"},
      {2, 0.45, "0.45", "1 /2"},
  };
  return claims;
}

const char* claimVerdictName(ClaimVerdict v) {
  switch (v) {
    case ClaimVerdict::Right: return "right";
    case ClaimVerdict::Wrong: return "wrong";
    case ClaimVerdict::Tie: return "tie";
    case ClaimVerdict::Typo: return "typo";
  }
  return "?";
}

namespace {
std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

// A plain decimal: optional '-', digits, optionally '.' and digits. Nothing else (no exponent,
// no '+', no spaces).
std::optional<double> parseDecimal(const std::string& s) {
  std::size_t i = 0, digits = 0;
  if (i < s.size() && s[i] == '-') ++i;
  for (; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i) ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    for (; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i) ++digits;
  }
  if (digits == 0 || i != s.size() || s.size() > 32) return std::nullopt;
  double v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}
}  // namespace

std::optional<double> parseSeedNumber(const std::string& text) {
  const std::string t = trim(text);
  const auto slash = t.find('/');
  if (slash == std::string::npos) return parseDecimal(t);
  const auto n = parseDecimal(trim(t.substr(0, slash)));
  const auto d = parseDecimal(trim(t.substr(slash + 1)));
  if (!n || !d || *d <= 0) return std::nullopt;
  return *n / *d;
}

CheckedClaim checkSeedClaim(const SeedClaim& c) {
  CheckedClaim r;
  r.claim = c;
  r.claimedValue = parseSeedNumber(c.claimedText);
  auto grid = levelGrid(LevelGrid::NoZero, c.bits);
  if (!grid) {
    r.verdict = ClaimVerdict::Typo;
    r.note = grid.error();
    return r;
  }
  const std::vector<double>& g = *grid;
  r.nearest = nearestLevel(g, c.value);
  const double d = std::fabs(r.nearest.level - c.value);
  if (r.nearest.tie)
    for (double l : g)
      if (l != r.nearest.level && std::fabs(l - c.value) == d) r.tieOther = l;
  const std::string quoted = std::string("\"") + c.claimedText + "\"";
  const bool onGrid = r.claimedValue && std::find(g.begin(), g.end(), *r.claimedValue) != g.end();
  if (!onGrid) {
    r.verdict = ClaimVerdict::Typo;
    r.note = quoted + (r.claimedValue ? " is not a level of the grid (all are in [-1, 1])" : " is not a number") +
             "; the nearest level is " + num(r.nearest.level) + ", which it presumably means";
    return r;
  }
  const double claimed = *r.claimedValue;
  if (r.tieOther && (claimed == r.nearest.level || claimed == *r.tieOther)) {
    const double lo = std::min(r.nearest.level, *r.tieOther), hi = std::max(r.nearest.level, *r.tieOther);
    r.verdict = ClaimVerdict::Tie;
    r.note = "halfway between " + num(lo) + " and " + num(hi) + " (" + num(d) +
             " from each): either is nearest; the seed takes " + num(claimed) + " and states no rule for ties";
  } else if (claimed == r.nearest.level) {
    r.verdict = ClaimVerdict::Right;
    if (d == 0) {
      r.note = "already a level";
    } else {
      double next = 0, nextD = 1e300;
      for (double l : g)
        if (l != claimed && std::fabs(l - c.value) < nextD) {
          nextD = std::fabs(l - c.value);
          next = l;
        }
      r.note = "nearest: " + num(d) + " away; the next level, " + num(next) + ", is " + num(nextD) + " away";
    }
  } else {
    r.verdict = ClaimVerdict::Wrong;
    r.note = num(r.nearest.level) + " is nearer (" + num(d) + " away; the claimed " + num(claimed) + " is " +
             num(std::fabs(claimed - c.value)) + " away)";
  }
  if (std::string(c.claimedText).find(' ') != std::string::npos) r.note += "; written " + quoted + ", a stray space";
  return r;
}

std::vector<CheckedClaim> checkSeedClaims() {
  std::vector<CheckedClaim> out;
  for (const SeedClaim& c : seedDocumentClaims()) out.push_back(checkSeedClaim(c));
  return out;
}

// The seed's lists of its grids, verbatim ("... represents eight discrete levels such as ...").
const std::vector<SeedGridStatement>& seedGridStatements() {
  static const std::vector<SeedGridStatement> g = {
      {3, "-1, -0.75, -0.5, -0.25, 0.25, 0.5, 0.75, and 1"},
      {2, "1, -1/2, 1/2, 1"},
  };
  return g;
}

std::vector<CheckedGridStatement> checkSeedGridStatements() {
  std::vector<CheckedGridStatement> out;
  for (const SeedGridStatement& st : seedGridStatements()) {
    CheckedGridStatement c;
    c.statement = st;
    const std::string text = st.text;
    std::size_t start = 0;
    while (start <= text.size()) {
      const auto comma = text.find(',', start);
      std::string item = trim(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (item.rfind("and ", 0) == 0) item = trim(item.substr(4));
      const auto v = parseSeedNumber(item);
      c.written.push_back(v ? *v : std::nan(""));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    auto grid = levelGrid(LevelGrid::NoZero, st.bits);
    if (grid) c.expected = *grid;
    c.typo = c.written != c.expected;  // a NaN entry never compares equal
    if (!c.typo) {
      c.note = "the " + std::to_string(c.expected.size()) + " levels of the grid, in order";
    } else {
      std::string why;
      for (std::size_t k = 0; k < std::max(c.written.size(), c.expected.size()); ++k) {
        const bool hasW = k < c.written.size(), hasE = k < c.expected.size();
        if (hasW && hasE && c.written[k] == c.expected[k]) continue;
        if (!why.empty()) why += "; ";
        why += "entry " + std::to_string(k + 1) + (hasW ? " reads " + num(c.written[k]) : " is missing") +
               (hasE ? " where the grid has " + num(c.expected[k]) : ", beyond the grid's levels");
      }
      for (double e : c.expected)
        if (std::find(c.written.begin(), c.written.end(), e) == c.written.end()) why += "; " + num(e) + " is not listed";
      for (std::size_t k = 0; k < c.written.size(); ++k)
        if (std::count(c.written.begin(), c.written.begin() + std::ptrdiff_t(k), c.written[k]) == 1)
          why += "; " + num(c.written[k]) + " is listed twice";
      c.note = why;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace qviz::core
