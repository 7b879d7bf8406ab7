// Command queue and its single point of application.
#include "ui/commands.hpp"

#include <algorithm>
#include <utility>

#include "ui/qlora_session.hpp"

namespace qviz::ui {

void Commands::edit(std::string label, std::function<void(Document&)> fn) {
  m_queue.push_back({std::move(label), [f = std::move(fn)](AppState& s) { f(s.doc); }});
}

void Commands::action(std::string label, std::function<void(AppState&)> fn) {
  m_queue.push_back({std::move(label), std::move(fn)});
}

void Commands::notify(std::string text, bool error) {
  action("notice", [t = std::move(text), error](AppState& s) { postNotice(s.ui, t, error); });
}

void Commands::openFile(const std::string& path) {
  const auto dot = path.find_last_of('.');
  const std::string ext = dot == std::string::npos ? "" : path.substr(dot);
  if (ext == ".npy" || ext == ".safetensors") {
    action("open tensor", [path](AppState& s) {
      s.doc.weights.source = WeightSource::File;
      s.doc.weights.path = path;
      s.doc.weights.tensorName.clear();
      s.ui.open.weights = true;
    });
    return;
  }
  openImage(path);
}

void Commands::openImage(const std::string& path) {
  action("open image", [path](AppState& s) {
    s.doc.imagePath = path;
    auto& recent = s.ui.recentFiles;
    recent.erase(std::remove(recent.begin(), recent.end(), path), recent.end());
    recent.insert(recent.begin(), path);
    if (recent.size() > 10) recent.resize(10);
  });
}

void Commands::lora(Lora what) {
  static constexpr const char* kLabels[] = {"lora start", "lora pause", "lora step", "lora reset"};
  action(kLabels[int(what)], [what](AppState& s) {
    QloraSession* q = s.derived.qlora.get();
    if (!q) return;
    switch (what) {
      case Lora::Start: q->start(); break;
      case Lora::Pause: q->pause(); break;
      case Lora::Step: q->stepOnce(); break;
      case Lora::Reset: q->reset(); break;
    }
  });
}

std::vector<Command> Commands::take() { return std::exchange(m_queue, {}); }

std::size_t applyCommands(AppState& state, Commands& commands) {
  std::vector<Command> queue = commands.take();
  for (auto& c : queue) {
    const Document before = state.doc;
    c.apply(state);
    if (!(state.doc == before)) ++state.revision;
  }
  return queue.size();
}

void postNotice(UiState& ui, std::string text, bool error) {
  ui.notices.push_back({std::move(text), error, ui.now});
  while (ui.notices.size() > 6) ui.notices.pop_front();
}

}  // namespace qviz::ui
