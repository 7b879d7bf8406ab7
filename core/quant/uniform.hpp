// The uniform image quantizer: the specification the GPU kernels must match bit for bit.
// Contract (docs/numeric-contracts.md): scale = f32((L-1)/vmax), inv = f32(vmax/(L-1)),
// nearest: code = roundEven(f32(v) * scale); truncate: code = floor(f32(v) * scale);
// drop: code = v >> (depth - bits) in integers (depth = 8 or 16, the image's sample depth);
// sample = clamp(roundEven(code * inv), 0, vmax). Only float32 multiplies, adds and roundings.
#pragma once
#include <array>
#include <cstdint>
#include <string>

#include "image/image.hpp"
#include "util/result.hpp"

namespace qviz::core {

enum class Rounding : std::uint8_t {
  Nearest,     // round half to even
  Truncate,    // floor: always darker, mean error about half a step
  Stochastic,  // floor(v*scale + u), u from a counter-based hash of (x, y, channel, seed)
  Seed,        // the original app's formula floor(x/256*(2^b-1))/(2^b-1)*255, kept for comparison
  User,        // the workshop shader shaders/user/quantizer.glsl: GPU only, the CPU refuses it
  Drop,        // bit dropping: code = v >> (depth - bits), the low bits thrown away (depth 8 or 16)
};
enum class Dither : std::uint8_t {
  None,
  Ordered,         // Bayer 8x8 threshold replaces the rounding offset (GPU-parallel)
  FloydSteinberg,  // serial error diffusion, CPU only
};

const char* roundingName(Rounding r);  // "nearest", "truncate", "stochastic", "seed", "user", "drop"
const char* ditherName(Dither d);      // "none", "ordered", "floyd-steinberg"
bool parseRounding(const std::string& s, Rounding& out);
bool parseDither(const std::string& s, Dither& out);

struct UniformSettings {
  int bits = 4;                             // depth of every colour channel
  std::array<int, 3> channelBits{0, 0, 0};  // per colour channel override; 0 means `bits`
  Rounding rounding = Rounding::Nearest;
  Dither dither = Dither::None;
  bool gray = false;       // quantize the integer luma instead of the colour channels
  std::uint32_t seed = 0;  // stochastic rounding seed

  bool operator==(const UniformSettings&) const = default;
  int bitsFor(int colorChannel) const {
    const int b = colorChannel < 3 ? channelBits[std::size_t(colorChannel)] : 0;
    return b > 0 ? b : bits;
  }
};

// Constants of one channel, computed once on the CPU (in double, rounded to float32) and passed
// to the shaders as uniforms.
struct UniformConstants {
  std::uint32_t levels = 0;  // L = 2^bits
  std::uint32_t vmax = 255;
  float scale = 0.0f;        // f32((L-1)/vmax)
  float inv = 0.0f;          // f32(vmax/(L-1))
  std::uint32_t seedShift = 8;  // seed formula: code = (v*(L-1)) >> seedShift (8 or 16)
  std::uint32_t dropShift = 4;  // bit dropping: code = v >> dropShift = depth - bits
};
UniformConstants uniformConstants(int bits, std::uint32_t vmax);

// Chris Wellons' lowbias32 integer hash (shaders/common/quant.glsl has the same), and the
// counter-based hash for stochastic rounding built from it (a lowbias32 chain); identical in GLSL.
std::uint32_t lowbias32(std::uint32_t x);
std::uint32_t stochasticHash(std::uint32_t x, std::uint32_t y, std::uint32_t c, std::uint32_t seed);
// u in [0, 1): the top 24 bits of the hash times 2^-24 (exact in float32).
float stochasticOffset(std::uint32_t x, std::uint32_t y, std::uint32_t c, std::uint32_t seed);
// Ordered dither threshold in (0, 1): (bayer8[y%8][x%8] + 0.5) / 64.
float bayerOffset(std::uint32_t x, std::uint32_t y);

// One sample: the code (0..L-1) and the quantized sample value. Not used for Floyd-Steinberg.
std::uint32_t quantizeCode(std::uint32_t v, const UniformConstants& k, Rounding r, Dither d,
                           std::uint32_t x, std::uint32_t y, std::uint32_t c, std::uint32_t seed);
std::uint32_t dequantizeCode(std::uint32_t code, const UniformConstants& k, Rounding r);

// Checks settings against an image: bits within 1..8 (8-bit) or 1..16 (16-bit), dithering only
// with nearest rounding, integer samples.
Status validateUniform(const Image& src, const UniformSettings& s);

// The image the quantizer compares against: the source, or its integer luma with --gray.
Image quantizerReference(const Image& src, const UniformSettings& s);

// Ok unless the settings name a GPU-only mode (the user shader), which the CPU cannot run.
Status cpuCanRun(const UniformSettings& s);

// Quantizes (grayscale first if asked); alpha passes through untouched. Fails for the user shader.
Result<Image> quantizeUniform(const Image& src, const UniformSettings& s);
// Same into a preallocated image of the reference's shape (no allocation on the hot path).
Status quantizeUniformInto(const Image& reference, const UniformSettings& s, Image& out);

}  // namespace qviz::core
