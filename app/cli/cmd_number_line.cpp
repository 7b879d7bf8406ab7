// `qviz number-line --seed-claims [--json]`: the seed document's ten number-line mappings and its
// two grid lists, quoted exactly as it writes them, each with the nearest level on its grid
// without zero and a verdict (right, wrong, tie, typo) computed by core/quant/levels.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/cli.hpp"
#include "cli/cli11_util.hpp"
#include "quant/levels.hpp"

namespace qviz::cli {
namespace {
using namespace qviz::core;
using Json = nlohmann::ordered_json;
constexpr const char* kSub = "number-line";
constexpr const char* kSource = "002_41507a2da57fd43f.txt";

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string nearestText(const CheckedClaim& c) {
  return c.tieOther ? num(c.nearest.level) + " or " + num(*c.tieOther) : num(c.nearest.level);
}
}  // namespace

int runNumberLine(int argc, char** argv) {
  CLI::App app{"The seed document's number-line mappings, quoted verbatim and checked", kSub};
  bool json = false, claims = false;
  app.add_flag("--seed-claims", claims, "the seed's ten mappings and its grid lists, each with a verdict");
  app.add_flag("--json", json, "print JSON instead of a table");
  if (auto rc = parseArgs(app, argc, argv)) return *rc;
  if (!claims) return badInput(kSub, "nothing to do: pass --seed-claims");

  const auto checked = checkSeedClaims();
  const auto grids = checkSeedGridStatements();
  if (json) {
    Json j;
    j["source"] = kSource;
    j["grid"] = levelGridName(LevelGrid::NoZero);
    j["rule"] = "nearest level of the seed's grid without zero (2^b levels +-k/2^(b-1)); a value halfway between two "
                "levels is a tie";
    j["claims"] = Json::array();
    for (const auto& c : checked) {
      Json cj;
      cj["bits"] = c.claim.bits;
      cj["value"] = c.claim.value;
      cj["value_text"] = c.claim.valueText;
      cj["claimed"] = c.claim.claimedText;
      cj["claimed_value"] = c.claimedValue ? Json(*c.claimedValue) : Json(nullptr);
      cj["nearest"] = c.nearest.level;
      cj["tie_with"] = c.tieOther ? Json(*c.tieOther) : Json(nullptr);
      cj["verdict"] = claimVerdictName(c.verdict);
      cj["note"] = c.note;
      j["claims"].push_back(cj);
    }
    j["grids"] = Json::array();
    for (const auto& g : grids) {
      Json gj;
      gj["bits"] = g.statement.bits;
      gj["claimed"] = g.statement.text;
      gj["levels_written"] = g.written;
      gj["levels"] = g.expected;
      gj["verdict"] = g.typo ? "typo" : "right";
      gj["note"] = g.note;
      j["grids"].push_back(gj);
    }
    std::printf("%s\n", j.dump(2).c_str());
    return kExitOk;
  }
  std::printf("The seed document's number-line mappings (%s), quoted as written, checked on its\n"
              "grid without zero (2^b levels +-k/2^(b-1)) by round to nearest:\n",
              kSource);
  std::printf("%-4s  %-6s  %-8s  %-10s  %-7s  %s\n", "bits", "value", "claimed", "nearest", "verdict", "note");
  for (const auto& c : checked) {
    const std::string claimed = std::string("\"") + c.claim.claimedText + "\"";
    std::printf("%-4d  %-6s  %-8s  %-10s  %-7s  %s\n", c.claim.bits, c.claim.valueText, claimed.c_str(),
                nearestText(c).c_str(), claimVerdictName(c.verdict), c.note.c_str());
  }
  std::printf("The grids as the seed lists them:\n");
  for (const auto& g : grids)
    std::printf("%d-bit  \"%s\"  %s: %s\n", g.statement.bits, g.statement.text, g.typo ? "typo" : "right",
                g.note.c_str());
  return kExitOk;
}

}  // namespace qviz::cli
