// Commands: panels never change the document directly; they queue commands, which are applied in
// one place at the start of the next frame. A command that changes the Document bumps the revision,
// which marks the Derived caches stale.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ui/app_state.hpp"

namespace qviz::ui {

struct Command {
  std::string label;  // for logs and tests ("set bits", "open image")
  std::function<void(AppState&)> apply;
};

class Commands {
public:
  // Edit the document (the usual case for controls).
  void edit(std::string label, std::function<void(Document&)> fn);
  // Any other action that needs the whole state (export, screenshots, notices).
  void action(std::string label, std::function<void(AppState&)> fn);
  void notify(std::string text, bool error = false);
  void openImage(const std::string& path);
  // Images go to the image panels; .npy and .safetensors to the weights panel.
  void openFile(const std::string& path);
  // The QLoRA trainer's buttons: the panel only reads the session; these act on it (when there is
  // one) at the start of the next frame.
  enum class Lora : std::uint8_t { Start, Pause, Step, Reset };
  void lora(Lora what);

  bool empty() const { return m_queue.empty(); }
  std::size_t size() const { return m_queue.size(); }
  const std::vector<Command>& pending() const { return m_queue; }
  std::vector<Command> take();

private:
  std::vector<Command> m_queue;
};

// Applies queued commands in order; bumps state.revision once per command that changed the document.
// Returns the number of commands applied.
std::size_t applyCommands(AppState& state, Commands& commands);

// Posts a notice shown in the status bar (errors stay until dismissed, others fade).
void postNotice(UiState& ui, std::string text, bool error);

}  // namespace qviz::ui
