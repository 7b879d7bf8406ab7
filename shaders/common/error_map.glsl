// The error-map colour of one sample, mirroring qviz::gpu::errorMapReference (app/gpu/error_map.cpp):
// e = quantized - reference; absolute: min(255, (|e| * gain) >> shift); signed:
// clamp(128 + ((e * gain) >> shift), 0, 255) with an arithmetic (flooring) shift; shift is 0 for
// 8-bit and 8 for 16-bit images. Integer only, so GPU and CPU agree exactly.
const uint ERRMAP_ABSOLUTE = 0u;
const uint ERRMAP_SIGNED = 1u;

uint errorMapValue(uint reference, uint quantized, uint mode, uint gain, uint shift) {
  int e = int(quantized) - int(reference);
  if (mode == ERRMAP_ABSOLUTE) return min(255u, (uint(abs(e)) * gain) >> shift);
  return uint(clamp(128 + ((e * int(gain)) >> int(shift)), 0, 255));
}
