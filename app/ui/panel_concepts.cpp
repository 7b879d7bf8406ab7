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
     "nearest keeps each sample within half a step, but it does not keep the mean of every picture: a flat "
     "area of 100 at 2 bits (levels 0, 85, 170, 255) becomes 85 everywhere. The errors cancel only on "
     "average over inputs spread across many levels (over a ramp of all 256 values the mean error is exactly 0); "
     "truncation (floor) is always darker, by about half a step on average. "
     "Truncation is not \"dropping the low bits\": the shift v >> (8 - bits) cuts 0..255 into 2^bits "
     "equal bins, and its codes differ from floor(v*(L-1)/255) for 120 to 127 of the 256 byte values at "
     "1 to 7 bits (127 at 3 bits); at 1 and at 7 bits bit dropping equals round to nearest. Choose 'drop' "
     "rounding to see it."},
    {"Why 8 bits must be the identity",
     "With vmax = 255 and L = 256 the step is exactly 1, so every value maps to itself. The original "
     "app computed floor(x/256*(2^b-1))/(2^b-1)*255: it divides by 256 instead of 255, so 8 bits "
     "changed the image, white (255) was unreachable and 1 bit turned everything black. Choose "
     "'seed' rounding to see it."},
    {"Stochastic rounding and dithering",
     "Stochastic rounding rounds up with probability equal to the fractional part, so each sample's "
     "expected value is its input: the flat 100 at 2 bits becomes about 82% 85s and 18% 170s, averaging 100. "
     "Ordered dithering uses a fixed 8x8 Bayer pattern of thresholds instead of random numbers: each 8x8 tile "
     "keeps the mean to within 1/128 of a step (the flat 100 becomes 99.6). Floyd-Steinberg passes each "
     "pixel's rounding error on to the neighbours not yet visited (7/16 right, 3/16, 5/16 and 1/16 on the "
     "next row), so an area keeps its mean up to what leaves at the edges. It is sequential by nature, "
     "since a pixel needs the errors of its left neighbour and of three pixels above; it can still run in "
     "parallel as a wavefront (a row may start once the row above is two pixels ahead). Here it runs on "
     "one CPU thread."},
    {"Uniform vs non-uniform levels",
     "Weights of a trained network are roughly normal: most are near zero, so evenly spaced levels "
     "spend many codes on rarely reached tails. NF4 (4-bit NormalFloat, from QLoRA) is built for normally "
     "distributed weights: its 16 levels are quantiles of N(0,1) rescaled to [-1, 1], 7 negative and 8 "
     "positive so that 0 is exact (the asymmetry is deliberate). The quantile recipe aims at equal use "
     "per level, but absmax scaling changes what is quantized: every block's largest value lands on -1 or "
     "+1, and on normal data at blocksize 64 the levels are used from about 1.7% (+1) to 9.2% (-0.09) of "
     "the time instead of 6.25% each (the Weights panel counts them). Nor is NF4 information-theoretically "
     "optimal, as the QLoRA paper calls it: the distribution after absmax scaling depends on the blocksize "
     "(Yoshida 2023, arXiv 2306.06965), and bitsandbytes includes that note's AF4 table for blocksize 64."},
    {"Per-tensor vs per-block scaling",
     "One outlier in a tensor stretches a single absmax scale and crushes every other value onto a "
     "few levels. Block-wise quantization (64 values per block in QLoRA) gives every block its own "
     "absmax, so an outlier only costs its own block. The price is one constant per block: 32 bits / "
     "64 = 0.5 bits per parameter, cut to about 0.127 by double quantization."},
    {"Super-blocks, power-of-two scales, two scale levels",
     "The block formats of the Weights panel differ in what they spend on constants. A ggml k-quant "
     "(Q2_K..Q6_K, in GGUF files for llama.cpp) groups 256 values in a super-block of 8 sub-blocks of 32 or 16 "
     "of 16; every sub-block has its own scale (and min), but those are stored in 4, 6 or 8 bits against one "
     "fp16 super-block scale, so Q4_K costs 4.5 bits per weight with a scale per 32 values. OCP Microscaling "
     "(MX) gives 32 values one E8M0 scale, a pure power of two 2^se: applying it only shifts exponents, and "
     "it costs 8 bits per 32 values (MXFP4: 4.25 bits per weight; gpt-oss ships its MoE weights in MXFP4). "
     "NVIDIA's NVFP4 (Blackwell) scales every 16 values by an FP8 E4M3 number, finer than a power of two, "
     "but E4M3 spans only about 2^-9 to 448, so a float32 scale per tensor (amax / 2688) first maps the tensor "
     "into that span. ggml's NVFP4 and MXFP4 share the names but not the bytes (block size, tensor scale, tie "
     "rule, nibble order). The Equal bits panel compares them all at the bits they really store."},
    {"PTQ vs QAT",
     "Post-training quantization (PTQ) rounds a finished model, sometimes with a little calibration data; "
     "quantization-aware training (QAT) simulates the rounding during training so the weights adapt to it. "
     "QLoRA's base model is post-training quantized: data-free round-to-nearest NF4, block by block, and "
     "its weights never change afterwards. What trains is a LoRA adapter in higher precision (fp32 by "
     "default in PEFT; the QLoRA script qlora.py casts it to bf16) on top of the dequantized base. The "
     "adapter does learn with the quantized base in the loop, as in QAT, but no quantized weight is ever "
     "updated: PTQ of the base, then fine-tuning of an adapter."},
    {"Dynamic-range vs full-integer",
     "In TensorFlow Lite's dynamic-range quantization the weights are stored in int8; at run time, for "
     "operators with quantized kernels, the activations are quantized to 8 bits from their observed range, "
     "the operator computes with 8-bit weights and activations, and its output is dequantized to float "
     "(activations are stored in float between operators; the others run in float). No calibration data "
     "is needed, but ranges are measured on every run. Full-integer quantization fixes the activation ranges "
     "beforehand from representative (calibration) data, so the whole model can run in integer arithmetic."},
    {"What QLoRA actually does",
     "The frozen base is stored in NF4 (with double-quantized constants) and dequantized to bf16 for each "
     "matrix multiply; only the low-rank matrices A and B get gradients and optimizer states. The original "
     "app's 'QLoRA' page blended an edge mask into the image: nothing was trained. The QLoRA panel trains a "
     "real adapter on an image standing in for a weight matrix, compares it with the best possible rank-r "
     "update (a truncated SVD of the target minus the frozen NF4 base), and merges it two ways: into the 4-bit "
     "base and re-quantized (small, but the second rounding loses part of the delta), or into the original "
     "16-bit weights (2 bytes per weight, and not the model that was trained: the NF4 error is gone while the "
     "adapter was fitted with it)."},
};
}  // namespace

template <>
void drawPanel<panelId("concepts")>(const AppState&, UiState&, Commands&) {
  ImGui::PushTextWrapPos(0.0f);
  for (const Concept& c : kConcepts) {
    if (ImGui::CollapsingHeader(c.title, ImGuiTreeNodeFlags_DefaultOpen)) ImGui::TextUnformatted(c.text);
  }
  ImGui::PopTextWrapPos();
}

}  // namespace qviz::ui
