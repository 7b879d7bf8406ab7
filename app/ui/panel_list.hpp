// The one list of the explorer's panels, in menu order. Each line makes the panel's open flag in
// PanelOpen (ui/app_state.hpp) and its kPanels entry (ui/panel_info.hpp): the flag's member name,
// --panel NAME (also its key in settings.json and its draw function, drawPanel<panelId("NAME")>),
// the window title, whether it is open on a first start, its layout slot (PanelSlot) and what a
// figure of it alone keeps beside it (PanelSolo). No includes: the settings fuzzer compiles it.
//
// Adding a panel: one line here, its file panel_NAME.cpp defining drawPanel<panelId("NAME")>, and
// that file in app/CMakeLists.txt.
#pragma once

// X(member, name, title, openAtStart, slot, solo)
#define QVIZ_PANELS(X)                                                    \
  X(image, "image", "Image quantization", true, Main, WithSide)          \
  X(levels, "levels", "Levels grid", false, Wide, WithSide)              \
  X(errorCurve, "error-curve", "Error against bits", false, Wide, Alone) \
  X(equalBits, "equal-bits", "Equal bits", false, Wide, Window)          \
  X(metrics, "metrics", "Metrics", true, Side, WithSide)                 \
  X(histogram, "histogram", "Histograms", true, Side, WithSide)          \
  X(numberLine, "number-line", "Number line", false, Side, Alone)        \
  X(compare, "compare", "GPU vs CPU", false, Side, Alone)                \
  X(weights, "weights", "Weights", false, Side, Alone)                   \
  X(memory, "memory", "Memory", false, Side, Alone)                      \
  X(qlora, "qlora", "QLoRA", false, Wide, Window)                        \
  X(concepts, "concepts", "Concepts", false, Side, Alone)                \
  X(shaders, "shaders", "Shaders (live coding)", false, Side, Alone)
