// JSON settings with validation of every field.
#include "ui/settings.hpp"

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "ui/panels.hpp"
#include "util/fs.hpp"

namespace qviz::ui {
namespace fs = std::filesystem;
using Json = nlohmann::json;

std::string configDir() {
  std::string base;
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) base = x;
  else if (const char* h = std::getenv("HOME"); h && *h) base = std::string(h) + "/.config";
  else base = ".";
  const std::string dir = base + "/qviz";
  std::error_code ec;
  fs::create_directories(dir, ec);
  return dir;
}

std::string settingsToJson(const AppState& s) {
  const Document& d = s.doc;
  Json j;
  j["format"] = "qviz-settings";
  j["version"] = 1;
  j["image"] = d.imagePath;
  j["bits"] = d.quant.bits;
  j["channel_bits"] = d.quant.channelBits;
  j["rounding"] = core::roundingName(d.quant.rounding);
  j["dither"] = core::ditherName(d.quant.dither);
  j["gray"] = d.quant.gray;
  j["seed"] = d.quant.seed;
  j["path"] = computePathName(d.path);
  j["level_depths"] = d.levelDepths;
  j["view"] = int(d.view);
  j["error_gain"] = d.errorGain;
  j["error_signed"] = d.errorSigned;
  Json panels = Json::object();
  for (const auto& p : panelTable()) panels[p.name] = s.ui.open.*(p.open);
  j["panels"] = panels;
  j["presenter"] = s.ui.presenter;
  j["font_scale"] = s.ui.fontScale;
  j["recent"] = s.ui.recentFiles;
  return j.dump(2) + "\n";
}

std::string settingsFromJson(const std::string& text, AppState& s) {
  const Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("format", "") != "qviz-settings")
    return "ignored the settings file: not QuantizationViz settings";
  std::string ignored;
  auto note = [&](const char* key) { ignored += ignored.empty() ? key : std::string(", ") + key; };
  Document& d = s.doc;
  auto getInt = [&](const char* key, int lo, int hi, int& out) {
    if (!j.contains(key)) return;
    if (j[key].is_number_integer() && int(j[key]) >= lo && int(j[key]) <= hi) out = j[key];
    else note(key);
  };
  if (j.contains("image")) {
    if (j["image"].is_string()) d.imagePath = j["image"];
    else note("image");
  }
  getInt("bits", 1, 16, d.quant.bits);
  if (j.contains("channel_bits")) {
    const auto& cb = j["channel_bits"];
    if (cb.is_array() && cb.size() == 3 && std::all_of(cb.begin(), cb.end(), [](const Json& v) {
          return v.is_number_integer() && int(v) >= 0 && int(v) <= 16;
        }))
      for (std::size_t i = 0; i < 3; ++i) d.quant.channelBits[i] = cb[i];
    else note("channel_bits");
  }
  if (j.contains("rounding") && !(j["rounding"].is_string() && core::parseRounding(j["rounding"], d.quant.rounding)))
    note("rounding");
  if (j.contains("dither") && !(j["dither"].is_string() && core::parseDither(j["dither"], d.quant.dither))) note("dither");
  if (d.quant.dither != core::Dither::None) d.quant.rounding = core::Rounding::Nearest;
  if (j.contains("gray")) {
    if (j["gray"].is_boolean()) d.quant.gray = j["gray"];
    else note("gray");
  }
  if (j.contains("seed")) {
    if (j["seed"].is_number_unsigned()) d.quant.seed = j["seed"];
    else note("seed");
  }
  if (j.contains("path")) {
    bool found = false;
    for (ComputePath p : {ComputePath::GpuCompute, ComputePath::GpuFragment, ComputePath::Cpu})
      if (j["path"] == computePathName(p)) d.path = p, found = true;
    if (!found) note("path");
  }
  if (j.contains("level_depths")) {
    const auto& ld = j["level_depths"];
    if (ld.is_array() && ld.size() == d.levelDepths.size() &&
        std::all_of(ld.begin(), ld.end(), [](const Json& v) { return v.is_number_integer() && int(v) >= 1 && int(v) <= 16; }))
      for (std::size_t i = 0; i < d.levelDepths.size(); ++i) d.levelDepths[i] = ld[i];
    else note("level_depths");
  }
  int view = int(d.view);
  getInt("view", 0, 3, view);
  d.view = ViewMode(view);
  if (j.contains("error_gain")) {
    if (j["error_gain"].is_number() && double(j["error_gain"]) >= 1 && double(j["error_gain"]) <= 64) d.errorGain = j["error_gain"];
    else note("error_gain");
  }
  if (j.contains("error_signed") && j["error_signed"].is_boolean()) d.errorSigned = j["error_signed"];
  if (j.contains("panels") && j["panels"].is_object())
    for (const auto& p : panelTable())
      if (j["panels"].contains(p.name) && j["panels"][p.name].is_boolean()) s.ui.open.*(p.open) = j["panels"][p.name];
  if (j.contains("presenter") && j["presenter"].is_boolean()) s.ui.presenter = j["presenter"];
  if (j.contains("font_scale")) {
    if (j["font_scale"].is_number() && double(j["font_scale"]) >= 0.5 && double(j["font_scale"]) <= 4) s.ui.fontScale = j["font_scale"];
    else note("font_scale");
  }
  if (j.contains("recent") && j["recent"].is_array())
    for (const auto& r : j["recent"])
      if (r.is_string() && s.ui.recentFiles.size() < 10) s.ui.recentFiles.push_back(r);
  return ignored.empty() ? "" : "ignored invalid settings: " + ignored;
}

std::string loadSettings(AppState& s) {
  const std::string path = configDir() + "/settings.json";
  std::error_code ec;
  if (!fs::exists(path, ec)) return "";
  auto bytes = core::readFile(path, 1 << 20);
  if (!bytes) return "ignored the settings file: " + bytes.error();
  const std::string msg = settingsFromJson(std::string(bytes->begin(), bytes->end()), s);
  return msg.empty() ? "" : msg + " (" + path + ")";
}

std::string saveSettings(const AppState& s) {
  const auto st = core::writeFileAtomic(configDir() + "/settings.json", settingsToJson(s));
  return st ? "" : st.error();
}

}  // namespace qviz::ui
