// Shaders panel (workshop live-coding): the user quantizer's controls from its annotations, an
// editor for the user file (saved atomically; outside editors work the same), and every program of
// the shader library with its files, status, generation and errors as file:line: message with the
// offending source line; the raw driver log one click away. Reloads happen in shader_watch.cpp.
#include <imgui.h>

#include <filesystem>
#include <fstream>

#include "gpu/uniform_kernel.hpp"
#include "ui/gpu_engine.hpp"
#include "ui/panels.hpp"
#include "ui/shader_watch.hpp"
#include "util/fs.hpp"

namespace qviz::ui {

namespace {
const ImVec4 kRed(1.0f, 0.42f, 0.42f, 1), kYellow(1.0f, 0.8f, 0.35f, 1), kGreen(0.5f, 0.9f, 0.5f, 1),
    kDim(0.65f, 0.65f, 0.7f, 1);

ImFont* monoFont() {
  ImGuiIO& io = ImGui::GetIO();
  return io.Fonts->Fonts.Size > 1 ? io.Fonts->Fonts[1] : nullptr;
}

std::optional<std::string> readText(const std::string& path) {
  auto bytes = core::readFile(path, 1 << 20);  // user shaders are small
  if (!bytes) return std::nullopt;
  return std::string(bytes->begin(), bytes->end());
}

// Line `line` (1-based) of a file, without its newline; empty when there is none.
std::string sourceLine(const std::string& path, int line) {
  if (line <= 0 || path.empty()) return {};
  std::ifstream in(path, std::ios::binary);
  std::string text;
  for (int i = 0; i < line && std::getline(in, text); ++i) {
  }
  if (!in && text.empty()) return {};
  if (!text.empty() && text.back() == '\r') text.pop_back();
  return text;
}

int resizeCallback(ImGuiInputTextCallbackData* data) {
  if (data->EventFlag == ImGuiInputTextFlags_CallbackResize) {
    auto* str = static_cast<std::string*>(data->UserData);
    str->resize(std::size_t(data->BufTextLen));
    data->Buf = str->data();
  }
  return 0;
}

void userControls(const AppState& s, Commands& cmd) {
  const ShaderWatch& w = s.derived.shaderWatch;
  const bool user = s.doc.quant.rounding == core::Rounding::User;
  if (!user) {
    if (ImGui::Button("Use the user shader for the image")) cmd.edit("user rounding", [](Document& d) {
        d.quant.rounding = core::Rounding::User;
        d.quant.dither = core::Dither::None;
      });
    ImGui::SameLine();
    ImGui::TextColored(kDim, "(rounding: user shader)");
  }
  ImGui::PushTextWrapPos(0.0f);  // file:line: message, whole at any font size
  if (user) ImGui::TextColored(kGreen, "The image panel runs userQuantize from this file.");
  if (!w.controlsError.empty()) ImGui::TextColored(kRed, "%s", w.controlsError.c_str());
  for (const auto& p : w.controls.problems) ImGui::TextColored(kYellow, "%s", gpu::formatDiagnostic(p).c_str());
  ImGui::PopTextWrapPos();
  if (w.controls.controls.empty()) {
    ImGui::TextColored(kDim, "No annotated uniforms. Add e.g.  uniform float u_gamma; // @slider 0.2 4.0 1.0");
    return;
  }
  for (const auto& c : w.controls.controls) {
    auto it = s.doc.userUniforms.find(c.name);
    double v = it != s.doc.userUniforms.end() ? it->second : c.value;
    bool changed = false;
    ImGui::PushID(c.name.c_str());
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 14);
    if (c.kind == gpu::UniformControl::Kind::Toggle) {
      bool b = v != 0;
      if (ImGui::Checkbox(c.name.c_str(), &b)) changed = true, v = b ? 1 : 0;
    } else if (c.type == "float") {
      float f = float(v);
      if (ImGui::SliderFloat(c.name.c_str(), &f, float(c.min), float(c.max), "%.3f")) changed = true, v = f;
    } else {
      int i = int(v);
      if (ImGui::SliderInt(c.name.c_str(), &i, int(c.min), int(c.max))) changed = true, v = i;
    }
    ImGui::SameLine();
    ImGui::TextColored(kDim, "line %d, default %g", c.line, c.value);
    ImGui::PopID();
    if (changed) cmd.edit("set " + c.name, [name = c.name, v](Document& d) { d.userUniforms[name] = v; });
  }
  if (!s.doc.userUniforms.empty() && ImGui::SmallButton("reset to the annotation defaults"))
    cmd.edit("reset user uniforms", [](Document& d) { d.userUniforms.clear(); });
}

void editor(const AppState& s, UiState& ui, Commands& cmd) {
  ShaderEditor& e = ui.editor;
  const std::string path = userShaderPath(s);
  if (path.empty()) return;
  // No file I/O per frame: the shader watch stamps the file on its polls; the disk is read only
  // to load it.
  const ShaderWatch& w = s.derived.shaderWatch;
  if (w.controlsPath == path && e.watchChanges != w.userFileChanges) {
    e.watchChanges = w.userFileChanges;
    e.seenMtime = w.controlsMtime;
    e.seenSize = w.controlsSize;
  }
  const bool dirty = e.text != e.savedText;
  const bool outside = e.path == path && (e.seenMtime != e.diskMtime || e.seenSize != e.diskSize);
  // Load on first show, when the document names another file, or when an outside editor saved
  // and the buffer has no unsaved edits (a half-written, empty file is left for the next poll).
  if (e.path != path || (outside && !dirty && e.seenSize != 0)) {
    const gpu::FileStamp disk = gpu::stampFile(path);
    if (auto text = readText(path)) {
      e.path = path;
      e.text = e.savedText = *text;
      e.diskMtime = e.seenMtime = disk.mtimeNs;
      e.diskSize = e.seenSize = disk.size;
      e.changedOnDisk = false;
    } else if (e.path != path) {
      e.path = path;
      e.text = e.savedText = {};
      e.diskMtime = e.diskSize = e.seenMtime = e.seenSize = -1;
    } else {
      // Gone or unreadable: the buffer stays; the next change the watch sees is looked at again.
      e.diskMtime = e.seenMtime;
      e.diskSize = e.seenSize;
    }
  } else if (outside && dirty) {
    e.changedOnDisk = true;
  }
  ImGui::Text("%s%s", path.c_str(), e.text != e.savedText ? "  (unsaved)" : "");
  if (e.changedOnDisk)
    ImGui::TextColored(kYellow, "The file changed on disk: Revert loads it, Save replaces it with this buffer.");
  const bool save = ImGui::Button("Save") ||
                    (ImGui::IsWindowFocused(ImGuiFocusedFlags_RootAndChildWindows) && ImGui::GetIO().KeyCtrl &&
                     ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Enter), false));
  ImGui::SameLine();
  if (ImGui::Button("Revert")) {
    e.path.clear();  // reloads next frame
  }
  ImGui::SameLine();
  ImGui::PushTextWrapPos(0.0f);
  ImGui::TextColored(kDim, "Ctrl+Enter saves; the image re-runs on save");
  ImGui::PopTextWrapPos();
  if (save) {
    // Written to a temporary file and renamed: a failed write (full disk, read-only folder) leaves
    // the previous file as it was and keeps the buffer.
    cmd.action("save user shader", [path, text = e.text](AppState& st) { saveUserShader(st, path, text); });
  }
  if (ImFont* f = monoFont()) ImGui::PushFont(f);
  ImGui::InputTextMultiline("##user_shader", e.text.data(), e.text.capacity() + 1,
                            ImVec2(-1, ImGui::GetTextLineHeight() * 18), ImGuiInputTextFlags_CallbackResize |
                                                                             ImGuiInputTextFlags_AllowTabInput,
                            resizeCallback, &e.text);
  if (monoFont()) ImGui::PopFont();
}

void programs(const AppState& s, UiState& ui) {
  const gpu::ShaderLibrary& lib = s.derived.gpu->shaders();
  const ShaderWatch& w = s.derived.shaderWatch;
  int ok = 0, stale = 0, never = 0;
  for (const auto& name : lib.names()) {
    const gpu::ShaderEntry* e = lib.entry(name);
    if (!e) continue;
    (e->lastError.empty() ? ok : e->program ? stale : never) += 1;
  }
  ImGui::Text("%s", lib.dir().c_str());
  ImGui::Text("%d programs: %d ok, %d stale, %d never built; %llu reloads and %llu failed reloads so far", ok + stale + never,
              ok, stale, never, static_cast<unsigned long long>(w.reloads), static_cast<unsigned long long>(w.failures));
  ImGui::TextDisabled("keeps at most %zu (the least recently used goes first); %llu deleted so far", lib.capacity(),
                      static_cast<unsigned long long>(lib.evictions()));
  if (ImGui::BeginTable("programs", 4, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerH | ImGuiTableFlags_Resizable)) {
    ImGui::TableSetupColumn("program", ImGuiTableColumnFlags_WidthStretch, 3.0f);
    ImGui::TableSetupColumn("status", ImGuiTableColumnFlags_WidthStretch, 1.3f);
    ImGui::TableSetupColumn("generation", ImGuiTableColumnFlags_WidthStretch, 0.9f);
    ImGui::TableSetupColumn("files", ImGuiTableColumnFlags_WidthStretch, 0.5f);
    ImGui::TableHeadersRow();
    for (const auto& name : lib.names()) {
      const gpu::ShaderEntry* e = lib.entry(name);
      if (!e) continue;
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(name.c_str());
      ImGui::TableNextColumn();
      if (e->lastError.empty()) ImGui::TextColored(kGreen, "ok");
      else if (e->program) ImGui::TextColored(kYellow, "STALE (last good runs)");
      else ImGui::TextColored(kRed, "never built");
      ImGui::TableNextColumn();
      ImGui::Text("%llu (%llu failed)", static_cast<unsigned long long>(e->generation),
                  static_cast<unsigned long long>(e->failedBuilds));
      ImGui::TableNextColumn();
      ImGui::TextDisabled("%zu", e->files.size());
      if (ImGui::IsItemHovered()) {
        ImGui::BeginTooltip();
        for (const auto& f : e->files) ImGui::TextUnformatted(f.path.c_str());
        ImGui::EndTooltip();
      }
    }
    ImGui::EndTable();
  }
  // The diagnostics of every program whose last build said something, full width, each with the
  // line it points at (read once per change the shader watch reports); the raw driver log one
  // click away.
  const auto key = std::make_tuple(w.reloads, w.failures, w.userFileChanges);
  if (ui.editor.sourceLinesKey != key) {
    ui.editor.sourceLines.clear();
    ui.editor.sourceLinesKey = key;
  }
  for (const auto& name : lib.names()) {
    const gpu::ShaderEntry* e = lib.entry(name);
    if (!e || e->rawLog.empty()) continue;
    ImGui::Separator();
    ImGui::TextColored(e->lastError.empty() ? kDim : kRed, "%s", name.c_str());
    ImGui::SameLine();
    ImGui::PushID(name.c_str());
    const bool open = ui.editor.rawLogOpen.count(name) != 0;
    if (ImGui::SmallButton(open ? "hide the raw log" : "raw log")) {
      if (open) ui.editor.rawLogOpen.erase(name);
      else ui.editor.rawLogOpen.insert(name);
    }
    ImGui::PopID();
    for (const auto& d : e->diagnostics) {
      if (d.severity != "error" && d.severity != "warning") continue;
      ImGui::PushTextWrapPos(0.0f);
      ImGui::TextColored(d.severity == "error" ? kRed : kYellow, "%s", gpu::formatDiagnostic(d).c_str());
      ImGui::PopTextWrapPos();
      auto [cached, fresh] = ui.editor.sourceLines.try_emplace({d.file, d.line});
      if (fresh) cached->second = sourceLine(d.file, d.line);
      const std::string& line = cached->second;
      if (!line.empty()) {
        if (ImFont* f = monoFont()) ImGui::PushFont(f);
        ImGui::TextColored(kDim, "%5d | %s", d.line, line.c_str());
        if (monoFont()) ImGui::PopFont();
      }
    }
    if (ui.editor.rawLogOpen.count(name)) {
      if (ImFont* f = monoFont()) ImGui::PushFont(f);
      ImGui::PushTextWrapPos(0.0f);
      ImGui::TextUnformatted(e->rawLog.c_str());
      ImGui::PopTextWrapPos();
      if (monoFont()) ImGui::PopFont();
    }
  }
}
}  // namespace

template <>
void drawPanel<panelId("shaders")>(const AppState& s, UiState& ui, Commands& cmd) {
  if (!s.derived.gpu) {
    ImGui::TextColored(kRed, "No OpenGL context: shaders are not available (the CPU modes still work).");
    return;
  }
  if (ImGui::CollapsingHeader("User quantizer", ImGuiTreeNodeFlags_DefaultOpen)) userControls(s, cmd);
  if (ImGui::CollapsingHeader("Editor", ImGuiTreeNodeFlags_DefaultOpen)) editor(s, ui, cmd);
  if (ImGui::CollapsingHeader("Programs", ImGuiTreeNodeFlags_DefaultOpen)) programs(s, ui);
}

}  // namespace qviz::ui
