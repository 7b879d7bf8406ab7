#version 430 core
// The workshop quantizer, compute path: every colour sample v becomes
// clamp(roundEven(userQuantize(v * (1/vmax), bits) * vmax), 0, vmax) (a NaN gives 0); alpha passes
// through; with GRAY the integer luma is quantized, as in quantize_uniform.comp. One invocation makes
// one packed output word. The driver includes the user's file as "user/quantizer.glsl".
layout(local_size_x = 256) in;

#include "common/packed.glsl"
#include "common/quant.glsl"
#include "common/user_api.glsl"
#include "user/quantizer.glsl"

#ifndef GRAY
#define GRAY 0
#endif
#ifndef SRC_CHANNELS_N
#define SRC_CHANNELS_N 4
#endif
#ifndef DST_CHANNELS_N
#define DST_CHANNELS_N 4
#endif
#ifndef COLOR_CHANNELS_N
#define COLOR_CHANNELS_N 3
#endif

layout(std430, binding = 0) readonly restrict buffer QvSrcWords { uint qv_src[]; };
layout(std430, binding = 1) writeonly restrict buffer QvDstWords { uint qv_dst[]; };

uniform uint u_qvWidth;
uniform uint u_qvPixelCount;
uniform uint u_qvWordCount;
uniform uint u_qvVmax;
uniform float u_qvInvVmax;  // f32(1 / vmax)
uniform ivec4 u_qvBits;     // per colour channel

uint qvQuantize(uint v, uint c, uint x, uint y) {
  qv_pixel = uvec2(x, y);
  qv_channel = c;
  int bits = c == 0u ? u_qvBits.x : c == 1u ? u_qvBits.y : u_qvBits.z;
  precise float q = userQuantize(float(v) * u_qvInvVmax, bits) * float(u_qvVmax);
  if (isnan(q)) return 0u;
  return uint(clamp(roundEven(q), 0.0, float(u_qvVmax)));
}

void main() {
  uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint w = gl_GlobalInvocationID.x; w < u_qvWordCount; w += stride) {
    uint word = 0u;
    for (uint k = 0u; k < SAMPLES_PER_WORD; ++k) {
      uint i = w * SAMPLES_PER_WORD + k;
      uint pixel = min(i / uint(DST_CHANNELS_N), u_qvPixelCount - 1u);  // padding repeats the last pixel
      uint c = i - (i / uint(DST_CHANNELS_N)) * uint(DST_CHANNELS_N);
      uint base = pixel * uint(SRC_CHANNELS_N);
#if GRAY
      uint v = c == 0u ? integerLuma(PACKED_SAMPLE(qv_src, base), PACKED_SAMPLE(qv_src, base + 1u),
                                     PACKED_SAMPLE(qv_src, base + 2u))
                       : PACKED_SAMPLE(qv_src, base + 3u);
#else
      uint v = PACKED_SAMPLE(qv_src, base + c);
#endif
      if (c < uint(COLOR_CHANNELS_N)) {
        uint y = pixel / u_qvWidth;
        v = qvQuantize(v, c, pixel - y * u_qvWidth, y);
      }
      word |= (v & SAMPLE_MASK) << (k * uint(SAMPLE_BITS));
    }
    qv_dst[w] = word;
  }
}
