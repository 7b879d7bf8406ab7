// The scripted runs: one composite driver of the drivers the flags ask for; see script.hpp.
#include "drive/script.hpp"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <utility>
#include <vector>

#include "drive/drivers.hpp"
#include "ui/app_state.hpp"
#include "ui/qlora_session.hpp"
#include "ui/frame.hpp"
#include "util/fs.hpp"

namespace qviz::drive {
namespace {

class Script final : public ui::Driver {
public:
  Script(const ui::ExplorerOptions& o, const ScriptOptions& so) : m_options(so), m_loraSteps(so.loraSteps) {
    if (!so.screenshot.empty())
      m_parts.push_back(std::make_unique<Screenshot>(so.screenshot, so.frames > 0 ? so.frames : (so.benchUi ? 300 : 5),
                                                     o.width, o.height, [this](ui::AppState& s) { train(s); }));
    if (so.benchUi) m_parts.push_back(std::make_unique<BenchUi>(so.frames > 0 ? so.frames : 300, so.json));
    if (so.benchStart) m_parts.push_back(std::make_unique<BenchStart>(so.json));
  }

  std::optional<int> start(ui::AppState& s) override {
    // No output may be a file the explorer reads (the same file: device and inode, through links):
    // the image, the shader folder (the user quantizer included), settings.json and imgui.ini.
    const std::vector<std::string> inputs = ui::explorerInputs(s);
    const std::pair<const char*, const std::string*> outputs[] = {{"--screenshot", &m_options.screenshot},
                                                                  {"--json", &m_options.json}};
    for (const auto& [flag, out] : outputs) {
      if (out->empty()) continue;
      for (const auto& in : inputs)
        if (core::samePath(in, *out)) {
          std::fprintf(stderr, "qviz: error: %s %s is %s, which the explorer reads; refusing to overwrite it\n", flag,
                       out->c_str(), in.c_str());
          return 2;
        }
    }
    if (!m_options.screenshot.empty() && !m_options.json.empty() && core::samePath(m_options.screenshot, m_options.json)) {
      std::fprintf(stderr, "qviz: error: --screenshot and --json name the same file\n");
      return 2;
    }
    for (auto& p : m_parts)
      if (auto rc = p->start(s)) return rc;
    return std::nullopt;
  }
  std::optional<int> withoutWindow(ui::AppState& s) override {
    for (auto& p : m_parts)
      if (auto rc = p->withoutWindow(s)) return rc;
    return std::nullopt;
  }
  bool freeRunning() const override {
    return std::any_of(m_parts.begin(), m_parts.end(), [](const auto& p) { return p->freeRunning(); });
  }
  bool vsync() const override {
    return std::all_of(m_parts.begin(), m_parts.end(), [](const auto& p) { return p->vsync(); });
  }
  bool woke(ui::Explorer& e, bool quiet) override {
    bool go = true;
    for (auto& p : m_parts) go = p->woke(e, quiet) && go;
    return go;
  }
  void beforeUpdate(ui::Explorer& e) override {
    for (auto& p : m_parts) p->beforeUpdate(e);
  }
  void afterUpdate(ui::Explorer& e) override {
    train(e.state());
    for (auto& p : m_parts) p->afterUpdate(e);
  }
  void afterBuild(ui::Explorer& e) override {
    for (auto& p : m_parts) p->afterBuild(e);
  }
  void afterRender(ui::Explorer& e) override {
    for (auto& p : m_parts) p->afterRender(e);
  }
  bool afterPresent(ui::Explorer& e) override {
    bool go = true;
    for (auto& p : m_parts) go = p->afterPresent(e) && go;
    return go;
  }
  int finish(ui::Explorer& e) override {
    int rc = 0;
    for (auto& p : m_parts) rc = std::max(rc, p->finish(e));
    return rc;
  }

private:
  // --lora-steps: once the QLoRA panel's session exists, train it N steps on this thread and take
  // their snapshot, so the frame being drawn shows them.
  void train(ui::AppState& s) {
    if (m_loraSteps <= 0 || !s.derived.qlora) return;
    s.derived.qlora->runSteps(m_loraSteps);
    s.derived.qlora->poll(s.derived.qloraTiles);
    m_loraSteps = 0;
  }

  ScriptOptions m_options;
  int m_loraSteps;
  std::vector<std::unique_ptr<ui::Driver>> m_parts;
};

}  // namespace

int runExplorer(const ui::ExplorerOptions& options, const ScriptOptions& script) {
  Script s(options, script);
  return ui::runExplorer(options, &s);
}

bool writeJson(const std::string& path, const std::string& text) {
  if (auto st = core::writeFileAtomic(path, text); !st) {
    std::fprintf(stderr, "qviz: error: %s\n", st.error().c_str());
    return false;
  }
  return true;
}

}  // namespace qviz::drive
