// Concepts: short, correct explanations of what the other panels show, including where the seed
// documents and the original app were wrong.
#include <imgui.h>

#include "ui/panels.hpp"

namespace qviz::ui {
namespace {
struct Concept {
  const char* title;
  const char* text;
};
const Concept kConcepts[] = {
    {"Uniform quantization",
     "A uniform quantizer with b bits keeps L = 2^b equally spaced levels between 0 and the maximum. "
     "Each sample becomes a code (0..L-1); the code times the step is the value shown. Rounding to "
     "nearest keeps the mean; truncation (floor) is always darker, by about half a step on average. "
     "Truncation is not \"dropping the low bits\": the shift v >> (8 - bits) cuts 0..255 into 2^bits "
     "equal bins, and its codes differ from floor(v*(L-1)/255) for 120 to 127 of the 256 byte values at "
     "1 to 7 bits (127 at 3 bits); at 1 bit it equals round to nearest. Choose 'drop' rounding to see it."},
    {"Why 8 bits must be the identity",
     "With vmax = 255 and L = 256 the step is exactly 1, so every value maps to itself. The original "
     "app computed floor(x/256*(2^b-1))/(2^b-1)*255: it divides by 256 instead of 255, so 8 bits "
     "changed the image, white (255) was unreachable and 1 bit turned everything black. Choose "
     "'seed' rounding to see it."},
    {"Stochastic rounding and dithering",
     "Rounding up with probability equal to the fractional part makes the error zero on average: "
     "a flat area of value 100 at 2 bits becomes a mix of 85 and 170 whose mean is 100. Ordered "
     "dithering does the same with a fixed Bayer pattern; Floyd-Steinberg pushes each pixel's error "
     "to its neighbours, which is why it cannot run in parallel."},
    {"Uniform vs non-uniform levels",
     "Weights of a trained network are roughly normal: most are near zero. Spending levels evenly "
     "wastes them on the tails. NF4 places its 16 levels at quantiles of a normal distribution so "
     "each level is used about equally often, with an exact zero."},
    {"Per-tensor vs per-block scaling",
     "One outlier in a tensor stretches a single absmax scale and crushes every other value onto a "
     "few levels. Block-wise quantization (64 values per block in QLoRA) gives every block its own "
     "absmax, so an outlier only costs its own block. The price is one constant per block: 32 bits / "
     "64 = 0.5 bits per parameter, cut to about 0.127 by double quantization."},
    {"PTQ vs QAT",
     "Post-training quantization rounds a finished model; quantization-aware training simulates the "
     "rounding during training so the weights adapt to it. QLoRA is neither: the base stays frozen "
     "in NF4 and only a small 16-bit adapter trains on top of it."},
    {"Dynamic-range vs full-integer",
     "Dynamic-range quantization stores weights in int8 and computes in float; full-integer "
     "quantization also quantizes activations, which needs calibration data to choose their ranges."},
    {"What QLoRA actually does",
     "The frozen base is stored in NF4 and dequantized on the fly for each matrix multiply; only the "
     "low-rank matrices A and B get gradients and optimizer states. The original app's 'QLoRA' page "
     "blended an edge mask into the image: nothing was trained. The QLoRA panel trains a real "
     "adapter and compares it with the best possible rank-r update (a truncated SVD)."},
};
}  // namespace

void drawConceptsPanel(const AppState&, UiState&, Commands&) {
  ImGui::PushTextWrapPos(0.0f);
  for (const Concept& c : kConcepts) {
    if (ImGui::CollapsingHeader(c.title, ImGuiTreeNodeFlags_DefaultOpen)) ImGui::TextUnformatted(c.text);
  }
  ImGui::PopTextWrapPos();
}

}  // namespace qviz::ui
