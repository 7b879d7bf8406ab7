// JSON settings with validation of every field.
#include "ui/settings.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>

#include "memory/memory.hpp"
#include "ui/panel_info.hpp"
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

namespace {
const char* const kWeightSources[] = {"normal", "heavy-tailed", "uniform", "file"};
constexpr std::size_t kMaxLineValues = 256;
constexpr std::size_t kMaxUserUniforms = 64;

// Integers compared as 64-bit, so that 2^32 + 4 is not read as 4.
bool intIn(const Json& v, std::int64_t lo, std::int64_t hi) {
  return v.is_number_integer() && !(v.is_number_unsigned() && v.get<std::uint64_t>() > std::uint64_t(hi)) &&
         v.get<std::int64_t>() >= lo && v.get<std::int64_t>() <= hi;
}
// The blocksizes the panels offer: powers of two from 32 to 4096.
bool blocksizeIn(const Json& v) {
  if (!intIn(v, 32, 4096)) return false;
  const std::int64_t b = v.get<std::int64_t>();
  return (b & (b - 1)) == 0;
}
// A GLSL identifier of at most 64 characters (a user uniform's name).
bool uniformName(const std::string& n) {
  if (n.empty() || n.size() > 64 || std::isdigit(static_cast<unsigned char>(n[0]))) return false;
  return std::all_of(n.begin(), n.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

// Reads the fields of one section object ("weights", "lora", ...): each present field is taken when
// valid, otherwise noted as "section.key"; missing fields keep what the document has.
struct Section {
  const Json* obj = nullptr;
  std::string name;
  const std::function<void(const std::string&)>& note;
  const Json* at(const char* key) const {
    if (!obj || !obj->contains(key)) return nullptr;
    return &(*obj)[key];
  }
  void bad(const char* key) const { note(name + "." + key); }
  template <class T>
  void integer(const char* key, std::int64_t lo, std::int64_t hi, T& out) const {
    if (const Json* v = at(key)) {
      if (intIn(*v, lo, hi)) out = T(v->get<std::int64_t>());
      else bad(key);
    }
  }
  void blocksize(const char* key, int& out) const {
    if (const Json* v = at(key)) {
      if (blocksizeIn(*v)) out = int(v->get<std::int64_t>());
      else bad(key);
    }
  }
  void boolean(const char* key, bool& out) const {
    if (const Json* v = at(key)) {
      if (v->is_boolean()) out = v->get<bool>();
      else bad(key);
    }
  }
  void string(const char* key, std::string& out) const {
    if (const Json* v = at(key)) {
      if (v->is_string()) out = v->get<std::string>();
      else bad(key);
    }
  }
  // A positive finite float (a double that rounds to 0 or past FLT_MAX is refused), read exactly
  // as it was written.
  void positiveFloat(const char* key, float& out) const {
    if (const Json* v = at(key)) {
      const double x = v->is_number() ? v->get<double>() : -1.0;
      if (std::isfinite(x) && x > 0 && x <= double(std::numeric_limits<float>::max()) && float(x) > 0) out = float(x);
      else bad(key);
    }
  }
  // An enum by its name: `parse(text, out)` says whether the name is known.
  template <class T, class Parse>
  void named(const char* key, T& out, Parse parse) const {
    if (const Json* v = at(key)) {
      T value = out;
      if (v->is_string() && parse(v->get<std::string>(), value)) out = value;
      else bad(key);
    }
  }
};
}  // namespace

std::string settingsToJson(const AppState& s) { return settingsToJson(s.doc, s.ui); }

std::string settingsToJson(const Document& d, const UiState& ui) {
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
  j["number_line"] = {{"grid", core::levelGridName(d.lineGrid)}, {"bits", d.lineBits}, {"values", d.lineValues}};
  const WeightsDoc& w = d.weights;
  j["weights"] = {{"source", kWeightSources[int(w.source)]},
                  {"size", w.size},
                  {"seed", w.seed},
                  {"path", w.path},
                  {"tensor", w.tensorName},
                  {"format", core::tensorFormatName(w.format)},
                  {"blocksize", w.blocksize},
                  {"double_quant", w.doubleQuant},
                  {"block", w.block}};
  const LoraDoc& l = d.lora;
  j["lora"] = {{"base", l.basePath},      {"target", l.targetPath},   {"rank", l.rank},
               {"alpha", l.alpha},        {"rs_lora", l.rsLora},      {"optimizer", l.sgd ? "sgd" : "adam"},
               {"lr", l.lr},              {"blocksize", l.blocksize}, {"double_quant", l.doubleQuant},
               {"seed", l.seed}};
  const MemoryDoc& m = d.memory;
  j["memory"] = {{"preset", m.preset},
                 {"rank", m.rank},
                 {"targets", core::loraTargetsName(m.targets)},
                 {"optimizer", core::optimizerName(m.optimizer)},
                 {"paged", m.paged},
                 {"weight_precision", core::precisionName(m.weightPrecision)},
                 {"adapter_precision", core::precisionName(m.adapterPrecision)},
                 {"mixed_precision", m.mixedPrecision},
                 {"upcast", core::upcastName(m.upcast)},
                 {"activations", core::activationModelName(m.activations)},
                 {"batch", m.batch},
                 {"seq_len", m.seqLen},
                 {"checkpointing", m.checkpointing},
                 {"blocksize", m.blocksize},
                 {"double_quant", m.doubleQuant}};
  j["user_shader"] = {{"file", d.userShaderFile}, {"uniforms", d.userUniforms}};
  Json panels = Json::object();
  for (const auto& p : panelInfos()) panels[p.name] = ui.open.*(p.open);
  j["panels"] = panels;
  j["presenter"] = ui.presenter;
  j["font_scale"] = ui.fontScale;
  j["recent"] = ui.recentFiles;
  // A path that is not UTF-8 (from the command line or a drop) is written with U+FFFD, not thrown on.
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string settingsFromJson(const std::string& text, AppState& s) { return settingsFromJson(text, s.doc, s.ui); }

std::string settingsFromJson(const std::string& text, Document& d, UiState& ui) {
  const Json j = Json::parse(text, nullptr, false);
  // (j.value("format", "") would throw on a non-string "format": test the type first.)
  if (j.is_discarded() || !j.is_object() || !j.contains("format") || !j["format"].is_string() ||
      j["format"].get<std::string>() != "qviz-settings")
    return "ignored the settings file: not QuantizationViz settings";
  std::string ignored;
  auto note = [&](const char* key) { ignored += ignored.empty() ? key : std::string(", ") + key; };
  auto getInt = [&](const char* key, int lo, int hi, int& out) {
    if (!j.contains(key)) return;
    if (intIn(j[key], lo, hi)) out = int(j[key].get<std::int64_t>());
    else note(key);
  };
  if (j.contains("image")) {
    if (j["image"].is_string()) d.imagePath = j["image"];
    else note("image");
  }
  getInt("bits", 1, 16, d.quant.bits);
  if (j.contains("channel_bits")) {
    const auto& cb = j["channel_bits"];
    if (cb.is_array() && cb.size() == 3 && std::all_of(cb.begin(), cb.end(), [&](const Json& v) { return intIn(v, 0, 16); }))
      for (std::size_t i = 0; i < 3; ++i) d.quant.channelBits[i] = int(cb[i].get<std::int64_t>());
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
    if (intIn(j["seed"], 0, 0xFFFFFFFF)) d.quant.seed = std::uint32_t(j["seed"].get<std::int64_t>());
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
        std::all_of(ld.begin(), ld.end(), [&](const Json& v) { return intIn(v, 1, 16); }))
      for (std::size_t i = 0; i < d.levelDepths.size(); ++i) d.levelDepths[i] = int(ld[i].get<std::int64_t>());
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
  const std::function<void(const std::string&)> noteKey = [&](const std::string& key) { note(key.c_str()); };
  // Each section: an object, or noted whole; inside it, each field on its own.
  auto section = [&](const char* name) {
    Section sec{nullptr, name, noteKey};
    if (j.contains(name)) {
      if (j[name].is_object()) sec.obj = &j[name];
      else note(name);
    }
    return sec;
  };
  if (const Section n = section("number_line"); n.obj) {
    n.named("grid", d.lineGrid, [](const std::string& t, core::LevelGrid& g) { return core::parseLevelGrid(t, g); });
    n.integer("bits", 1, 8, d.lineBits);
    if (const Json* v = n.at("values")) {
      const bool ok = v->is_array() && v->size() <= kMaxLineValues && std::all_of(v->begin(), v->end(), [](const Json& x) {
                        return x.is_number() && std::isfinite(x.get<double>()) && x.get<double>() >= -1 && x.get<double>() <= 1;
                      });
      if (ok) d.lineValues = v->get<std::vector<double>>();
      else n.bad("values");
    }
  }
  if (const Section w = section("weights"); w.obj) {
    WeightsDoc& wd = d.weights;
    w.named("source", wd.source, [](const std::string& t, WeightSource& out) {
      for (int i = 0; i < 4; ++i)
        if (t == kWeightSources[i]) {
          out = WeightSource(i);
          return true;
        }
      return false;
    });
    w.integer("size", 64, 1 << 24, wd.size);
    w.integer("seed", 0, 0xFFFFFFFF, wd.seed);
    w.string("path", wd.path);
    w.string("tensor", wd.tensorName);
    w.named("format", wd.format, [](const std::string& t, core::TensorFormat& f) { return core::parseTensorFormat(t, f); });
    w.blocksize("blocksize", wd.blocksize);
    w.boolean("double_quant", wd.doubleQuant);
    w.integer("block", 0, 1 << 24, wd.block);
  }
  if (const Section l = section("lora"); l.obj) {
    LoraDoc& ld = d.lora;
    l.string("base", ld.basePath);
    l.string("target", ld.targetPath);
    l.integer("rank", 1, 64, ld.rank);
    l.positiveFloat("alpha", ld.alpha);
    l.boolean("rs_lora", ld.rsLora);
    l.named("optimizer", ld.sgd, [](const std::string& t, bool& sgd) {
      if (t != "adam" && t != "sgd") return false;
      sgd = t == "sgd";
      return true;
    });
    l.positiveFloat("lr", ld.lr);
    l.blocksize("blocksize", ld.blocksize);
    l.boolean("double_quant", ld.doubleQuant);
    l.integer("seed", 0, 0xFFFFFFFF, ld.seed);
  }
  if (const Section m = section("memory"); m.obj) {
    MemoryDoc& md = d.memory;
    m.named("preset", md.preset, [](const std::string& t, std::string& out) {
      const auto& names = core::modelPresetNames();
      if (std::find(names.begin(), names.end(), t) == names.end()) return false;
      out = t;
      return true;
    });
    m.integer("rank", 1, 1 << 20, md.rank);
    m.named("targets", md.targets, [](const std::string& t, unsigned& out) {
      auto r = core::parseLoraTargets(t);
      if (!r || *r == 0) return false;
      out = *r;
      return true;
    });
    m.named("optimizer", md.optimizer, [](const std::string& t, core::OptimizerKind& o) { return core::parseOptimizer(t, o); });
    m.boolean("paged", md.paged);
    m.named("weight_precision", md.weightPrecision, [](const std::string& t, core::Precision& p) { return core::parsePrecision(t, p); });
    m.named("adapter_precision", md.adapterPrecision, [](const std::string& t, core::Precision& p) { return core::parsePrecision(t, p); });
    m.boolean("mixed_precision", md.mixedPrecision);
    m.named("upcast", md.upcast, [](const std::string& t, core::Upcast& u) { return core::parseUpcast(t, u); });
    m.named("activations", md.activations,
            [](const std::string& t, core::ActivationModel& a) { return core::parseActivationModel(t, a); });
    m.integer("batch", 1, 4096, md.batch);
    m.integer("seq_len", 1, 1 << 20, md.seqLen);
    m.boolean("checkpointing", md.checkpointing);
    m.blocksize("blocksize", md.blocksize);
    m.boolean("double_quant", md.doubleQuant);
  }
  if (const Section u = section("user_shader"); u.obj) {
    if (const Json* f = u.at("file")) {
      if (f->is_string() && !f->get<std::string>().empty()) d.userShaderFile = f->get<std::string>();
      else u.bad("file");
    }
    if (const Json* v = u.at("uniforms")) {
      bool ok = v->is_object() && v->size() <= kMaxUserUniforms;
      if (ok)
        for (auto it = v->begin(); it != v->end(); ++it)
          ok = ok && uniformName(it.key()) && it.value().is_number() && std::isfinite(it.value().get<double>());
      if (ok) {
        d.userUniforms.clear();
        for (auto it = v->begin(); it != v->end(); ++it) d.userUniforms[it.key()] = it.value().get<double>();
      } else {
        u.bad("uniforms");
      }
    }
  }
  if (j.contains("panels") && j["panels"].is_object())
    for (const auto& p : panelInfos())
      if (j["panels"].contains(p.name) && j["panels"][p.name].is_boolean()) ui.open.*(p.open) = j["panels"][p.name];
  if (j.contains("presenter") && j["presenter"].is_boolean()) ui.presenter = j["presenter"];
  if (j.contains("font_scale")) {
    if (j["font_scale"].is_number() && double(j["font_scale"]) >= 0.5 && double(j["font_scale"]) <= 4) ui.fontScale = j["font_scale"];
    else note("font_scale");
  }
  if (j.contains("recent") && j["recent"].is_array())
    for (const auto& r : j["recent"])
      if (r.is_string() && ui.recentFiles.size() < 10) ui.recentFiles.push_back(r);
  return ignored.empty() ? "" : "ignored invalid settings: " + ignored;
}

std::string setAside(const std::string& path) {
  const std::time_t now = std::time(nullptr);
  std::tm tm {};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  std::string aside = path + ".bad-" + stamp;
  std::error_code ec;
  for (int i = 2; fs::exists(fs::symlink_status(aside, ec)) && i < 100; ++i)
    aside = path + ".bad-" + stamp + "-" + std::to_string(i);
  // rename(2) moves the name: a link is set aside as a link, its target untouched.
  if (::rename(path.c_str(), aside.c_str()) != 0) return "";
  return aside;
}

std::string loadSettings(AppState& s) {
  const std::string path = configDir() + "/settings.json";
  std::error_code ec;
  if (!fs::exists(path, ec)) return "";
  // A file that is not QuantizationViz settings at all is kept aside before fresh settings replace it.
  auto asideNote = [&](const std::string& msg) {
    if (!fs::is_regular_file(path, ec)) return msg;
    const std::string aside = setAside(path);
    return aside.empty() ? msg : msg + "; kept it as " + aside + " and starting from fresh settings";
  };
  auto bytes = core::readFile(path, 1 << 20);
  if (!bytes) return asideNote("ignored the settings file: " + bytes.error());
  const std::string msg = settingsFromJson(std::string(bytes->begin(), bytes->end()), s);
  if (msg.rfind("ignored the settings file:", 0) == 0) return asideNote(msg + " (" + path + ")");
  return msg.empty() ? "" : msg + " (" + path + ")";
}

std::string saveSettings(const AppState& s) {
  const auto st = core::writeFileAtomic(configDir() + "/settings.json", settingsToJson(s));
  return st ? "" : st.error();
}

namespace {
// Length of the UTF-8 sequence at s[i], or 0 when it is not valid UTF-8 (overlong forms,
// surrogates and code points past U+10FFFF included).
std::size_t utf8Length(const std::string& s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned c = b(i);
  if (c < 0x80) return 1;
  std::size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
  if (n == 0 || c > 0xF4 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((b(i + k) & 0xC0) != 0x80) return 0;
  if ((c == 0xE0 && b(i + 1) < 0xA0) || (c == 0xED && b(i + 1) > 0x9F) || (c == 0xF0 && b(i + 1) < 0x90) ||
      (c == 0xF4 && b(i + 1) > 0x8F))
    return 0;
  return n;
}
}  // namespace

std::string checkImguiIni(const std::string& text) {
  if (text.size() > kMaxIniBytes)
    return std::to_string(text.size()) + " bytes, more than the limit of " + std::to_string(kMaxIniBytes);
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) return "not a text file";
    const std::size_t n = utf8Length(text, i);
    if (n == 0) return "not a text file (invalid UTF-8)";
    i += n;
  }
  // Lines end at '\n' or '\r', as ImGui reads them: a bare CR starts a new line for ImGui, so a
  // [Table] entry behind one must be checked too (the imgui_ini fuzzer found that bypass). Line
  // numbers in messages count '\n' only, as editors do.
  std::size_t lineNo = 1;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t end = text.find_first_of("\r\n", pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    const std::size_t thisLine = lineNo;
    if (end < text.size() && text[end] == '\n') ++lineNo;
    pos = end + 1;
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.pop_back();
    const std::size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == ';' || line[first] == '#') continue;
    line.erase(0, first);
    const std::string where = " (line " + std::to_string(thisLine) + ")";
    if (line[0] != '[') {
      if (line.find('=') == std::string::npos) return "not a Dear ImGui layout" + where;
      continue;
    }
    // [Type][Name]: Type is a word, Name runs to the last ']'.
    const std::size_t typeEnd = line.find(']');
    if (typeEnd == std::string::npos || typeEnd == 1 || typeEnd + 1 >= line.size() || line[typeEnd + 1] != '[' ||
        line.back() != ']' || line.size() < typeEnd + 3)
      return "not a Dear ImGui layout" + where;
    const std::string type = line.substr(1, typeEnd - 1);
    for (char ch : type)
      if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_') return "not a Dear ImGui layout" + where;
    if (type == "Table") {
      // Exactly what ImGui writes: 0x%08X,%d with 1 to 64 columns.
      const std::string name = line.substr(typeEnd + 2, line.size() - typeEnd - 3);
      bool ok = name.size() > 11 && name.compare(0, 2, "0x") == 0 && name[10] == ',';
      for (std::size_t k = 2; ok && k < 10; ++k) ok = std::isxdigit(static_cast<unsigned char>(name[k])) != 0;
      const std::string count = ok ? name.substr(11) : "";
      ok = ok && !count.empty() && count.size() <= 2 &&
           std::all_of(count.begin(), count.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
      if (!ok || std::stoi(count) < 1 || std::stoi(count) > 64) return "damaged table entry" + where;
    }
  }
  return "";
}

std::string loadImguiIni(const std::string& path, std::string& text) {
  text.clear();
  std::error_code ec;
  if (!fs::exists(path, ec)) return "";
  const std::string prefix = "ignored the window layout " + path + ": ";
  const std::string suffix = "; using the default layout";
  const auto size = fs::file_size(path, ec);
  if (!ec && size > kMaxIniBytes) {
    const std::string aside = setAside(path);
    return prefix + std::to_string(size) + " bytes, more than the limit of " + std::to_string(kMaxIniBytes) + suffix +
           (aside.empty() ? "" : "; kept it as " + aside);
  }
  auto bytes = core::readFile(path, kMaxIniBytes);
  if (!bytes) return prefix + bytes.error() + suffix;
  std::string candidate(bytes->begin(), bytes->end());
  if (std::string why = checkImguiIni(candidate); !why.empty()) {
    const std::string aside = setAside(path);  // kept, before the layout is saved over it
    return prefix + why + suffix + (aside.empty() ? "" : "; kept it as " + aside);
  }
  text = std::move(candidate);
  return "";
}

}  // namespace qviz::ui
