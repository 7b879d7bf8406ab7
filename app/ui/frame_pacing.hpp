// Frame pacing for the idle-waiting main loop: whether the frame just drawn needs one more after it
// without any new input. ImGui 1.86 draws a popup, menu, combo list or tooltip hidden on the frame it
// opens (it measures its size first) and shows it on the next one; a tap on a combo (press and
// release between two frames: the GLFW backend turns it into one frame down, one frame up) opens
// the list on the frame of the release, and a loop that then went idle never showed it.
#pragma once

namespace qviz::ui {

// True when a window was hidden in the last frame while it measured itself (call after
// ImGui::Render()). `chained` counts consecutive frames drawn for this reason; after 3 in a row the
// answer is false, so a window that never settles cannot keep an idle explorer busy.
bool needsAnotherFrame(int& chained);

}  // namespace qviz::ui
