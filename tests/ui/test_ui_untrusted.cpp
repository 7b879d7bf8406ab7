// Settings files from elsewhere: imgui.ini is handed to Dear ImGui only when it looks like one it
// wrote, and settings.json of the wrong types, sizes or depth is ignored with a notice, never fatal.
#include <imgui.h>
#include <imgui_internal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "ui/settings.hpp"

#include "../test_files.hpp"

using namespace qviz::ui;
namespace fs = std::filesystem;

namespace {
std::string scratch(const std::string& name) { return qviz::test::scratchDir("qviz_ui_untrusted", name); }

void writeText(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// The layout Dear ImGui itself writes for a window holding a resizable table, from a private context.
std::string imguiWrittenIni() {
  ImGuiContext* previous = ImGui::GetCurrentContext();
  ImGuiContext* ctx = ImGui::CreateContext();
  ImGui::SetCurrentContext(ctx);
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;
  io.DisplaySize = ImVec2(800, 600);
  unsigned char* pixels = nullptr;
  int w = 0, h = 0;
  io.Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);
  for (int frame = 0; frame < 2; ++frame) {
    ImGui::NewFrame();
    ImGui::SetNextWindowPos(ImVec2(30, 40));
    ImGui::Begin("Caf\xc3\xa9 metrics");
    if (ImGui::BeginTable("metrics", 3, ImGuiTableFlags_Resizable | ImGuiTableFlags_Reorderable)) {
      ImGui::TableSetupColumn("a");
      ImGui::TableSetupColumn("b");
      ImGui::TableSetupColumn("c");
      ImGui::TableHeadersRow();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted("1");
      ImGui::EndTable();
    }
    ImGui::End();
    ImGui::Render();
  }
  ImGui::MarkIniSettingsDirty();
  std::size_t size = 0;
  const std::string ini = ImGui::SaveIniSettingsToMemory(&size);
  ImGui::DestroyContext(ctx);
  ImGui::SetCurrentContext(previous);
  return ini;
}
}  // namespace

TEST_CASE("imgui.ini: ImGui's own layout is accepted, binary, foreign, oversized or hostile ones are refused",
          "[untrusted]") {
  const std::string written = imguiWrittenIni();
  INFO(written);
  CHECK(written.find("[Window][Caf\xc3\xa9 metrics]") != std::string::npos);
  CHECK(checkImguiIni(written).empty());
  CHECK(checkImguiIni("").empty());
  CHECK(checkImguiIni("[Table][0xDEADBEEF,64]\nColumn 0  Width=100\n\n; a comment\n").empty());

  CHECK(checkImguiIni(std::string("[Window][A]\nPos=1,2\n\0\0\0", 23)) == "not a text file");
  CHECK(checkImguiIni("[Window][\xff\xfe]\n") == "not a text file (invalid UTF-8)");
  CHECK(checkImguiIni("[Window][\xc0\xaf]\n") == "not a text file (invalid UTF-8)");  // overlong '/'
  CHECK(checkImguiIni("[General]\nfoo=bar\n") == "not a Dear ImGui layout (line 1)");
  CHECK(checkImguiIni("; comment\n[Window][A]\nPos=1,2\njust words\n") == "not a Dear ImGui layout (line 4)");
  CHECK(checkImguiIni("[Window][A\n") == "not a Dear ImGui layout (line 1)");
  CHECK(checkImguiIni("[Win dow][A]\n") == "not a Dear ImGui layout (line 1)");
  // ImGui 1.86 allocates whatever column count it reads (a negative one wraps to gigabytes).
  CHECK(checkImguiIni("[Table][0x12345678,100000000]\n") == "damaged table entry (line 1)");
  CHECK(checkImguiIni("[Window][A]\n[Table][0x12345678,-5]\n") == "damaged table entry (line 2)");
  CHECK(checkImguiIni("[Table][0x12345678,0]\n") == "damaged table entry (line 1)");
  CHECK(checkImguiIni("[Table][0x12345678,65]\n") == "damaged table entry (line 1)");
  CHECK(checkImguiIni("[Table][0x1234567,3]\n") == "damaged table entry (line 1)");
  // ImGui also ends a line at a bare CR: a [Table] entry behind one is checked (found by the
  // imgui_ini fuzzer: ImGui 1.86 wrote through a null pointer on it). Lines are counted by '\n'.
  CHECK(checkImguiIni("[Window][A]\r\nSize=1,1\r[Table][0x12345678,-5]\n") == "damaged table entry (line 2)");
  CHECK(checkImguiIni("[Window][A]\r\nPos=1,2\r\n\r\n[Table][0xDEADBEEF,3]\rColumn 0 Width=5\r\n").empty());
  std::ifstream crash(std::string(QVIZ_SOURCE_DIR) + "/tests/fuzz/regressions/imgui_ini-table-behind-bare-cr.ini",
                      std::ios::binary);
  const std::string crashText((std::istreambuf_iterator<char>(crash)), std::istreambuf_iterator<char>());
  REQUIRE(crashText.size() == 137);
  CHECK(checkImguiIni(crashText) == "damaged table entry (line 3)");
  CHECK(checkImguiIni(std::string(kMaxIniBytes + 1, ';')) == "1048577 bytes, more than the limit of 1048576");

  const std::string dir = scratch("ini");
  std::string text = "stale";
  CHECK(loadImguiIni(dir + "/missing.ini", text).empty());  // no file, no notice
  CHECK(text.empty());
  writeText(dir + "/good.ini", written);
  CHECK(loadImguiIni(dir + "/good.ini", text).empty());
  CHECK(text == written);
  writeText(dir + "/hostile.ini", "[Table][0x12345678,-5]\n");
  CHECK(loadImguiIni(dir + "/hostile.ini", text).rfind(
            "ignored the window layout " + dir + "/hostile.ini: damaged table entry (line 1); using the default layout; kept it as " +
            dir + "/hostile.ini.bad-", 0) == 0);
  CHECK(text.empty());
  writeText(dir + "/huge.ini", std::string(2 << 20, '\n'));
  CHECK(loadImguiIni(dir + "/huge.ini", text).rfind("ignored the window layout " + dir +
                                                     "/huge.ini: 2097152 bytes, more than the limit of 1048576; "
                                                     "using the default layout; kept it as " + dir + "/huge.ini.bad-", 0) == 0);
  CHECK(text.empty());
  fs::remove_all(dir);
}

TEST_CASE("settings.json: wrong types, wrapped integers, deep nesting and huge files are ignored with a notice",
          "[untrusted]") {
  AppState s;
  // A non-string "format" used to throw out of nlohmann's value().
  CHECK(settingsFromJson(R"({"format": 5})", s) == "ignored the settings file: not QuantizationViz settings");
  CHECK(settingsFromJson("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", s) == "ignored the settings file: not QuantizationViz settings");
  // Integers past 32 bits are not truncated into range.
  const std::string wrapped =
      R"({"format":"qviz-settings","bits":4294967300,"channel_bits":[4294967297,0,0],"seed":4294967296,)"
      R"("level_depths":[8,4,2,4294967297],"view":-4294967295})";
  CHECK(settingsFromJson(wrapped, s) == "ignored invalid settings: bits, channel_bits, seed, level_depths, view");
  CHECK(s.doc == Document{});
  const std::string deep =
      R"({"format":"qviz-settings","bits":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  CHECK(settingsFromJson(deep, s) == "ignored invalid settings: bits");
  CHECK(settingsFromJson(R"({"format":"qviz-settings","seed":4294967295})", s).empty());
  CHECK(s.doc.quant.seed == 4294967295u);

  // A settings file over 1 MiB is not read at all.
  const std::string dir = scratch("settings");
  const char* old = std::getenv("XDG_CONFIG_HOME");
  const std::string saved = old ? old : "";
  ::setenv("XDG_CONFIG_HOME", dir.c_str(), 1);
  writeText(configDir() + "/settings.json", std::string(2 << 20, ' '));
  AppState t;
  CHECK(loadSettings(t).rfind("ignored the settings file: cannot read " + dir +
                               "/qviz/settings.json: file is 2097152 bytes, more than the limit of 1048576; kept it as " +
                               dir + "/qviz/settings.json.bad-", 0) == 0);
  CHECK(t.doc == Document{});
  if (old) ::setenv("XDG_CONFIG_HOME", saved.c_str(), 1);
  else ::unsetenv("XDG_CONFIG_HOME");
  fs::remove_all(dir);
}

// Issue 15, item 7: a refused settings.json or imgui.ini is kept aside, byte for byte, before fresh
// settings are written over its name; the notice names the copy.
TEST_CASE("settings.json and imgui.ini that are refused are kept as NAME.bad-TIME, the notice says so", "[untrusted]") {
  const std::string dir = scratch("aside");
  const char* old = std::getenv("XDG_CONFIG_HOME");
  const std::string saved = old ? old : "";
  ::setenv("XDG_CONFIG_HOME", dir.c_str(), 1);
  const std::string settings = configDir() + "/settings.json", ini = configDir() + "/imgui.ini";
  const std::string foreign = "{\"editor.fontSize\": 14}\n";  // another program's settings.json
  writeText(settings, foreign);
  AppState t;
  const std::string msg = loadSettings(t);
  const std::string head = "ignored the settings file: not QuantizationViz settings (" + settings + "); kept it as ";
  REQUIRE(msg.rfind(head, 0) == 0);
  const std::string aside = msg.substr(head.size(), msg.find(" and starting") - head.size());
  CHECK(aside.rfind(settings + ".bad-", 0) == 0);
  CHECK(aside.size() == settings.size() + 5 + 16);  // .bad-YYYYMMDDTHHMMSSZ
  CHECK(msg == head + aside + " and starting from fresh settings");
  std::ifstream in(aside, std::ios::binary);
  CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == foreign);
  CHECK(!fs::exists(settings));
  CHECK(saveSettings(t).empty());  // fresh settings under the old name, the copy untouched
  CHECK(fs::exists(settings));
  CHECK(fs::file_size(aside) == foreign.size());
  // A second refused file the same second gets its own name.
  writeText(settings, foreign);
  AppState u;
  const std::string again = loadSettings(u);
  CHECK(again.find(aside + "-2 and starting") != std::string::npos);
  CHECK(again.find(settings + ".bad-") != std::string::npos);
  // imgui.ini: binary junk.
  writeText(ini, std::string("\x7f" "ELF\x02\x01", 6));
  std::string text;
  const std::string imsg = loadImguiIni(ini, text);
  CHECK(imsg.find("; using the default layout; kept it as " + ini + ".bad-") != std::string::npos);
  CHECK(!fs::exists(ini));
  CHECK(text.empty());
  // Partly invalid settings are not set aside: the valid keys are used and saved back.
  writeText(settings, R"({"format":"qviz-settings","bits":99})");
  AppState v;
  CHECK(loadSettings(v) == "ignored invalid settings: bits (" + settings + ")");
  CHECK(fs::exists(settings));
  if (old) ::setenv("XDG_CONFIG_HOME", saved.c_str(), 1);
  else ::unsetenv("XDG_CONFIG_HOME");
  fs::remove_all(dir);
}
