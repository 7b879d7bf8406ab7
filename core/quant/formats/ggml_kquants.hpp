// ggml's k-quants (Q2_K .. Q6_K), the two quantizer paths side by side: the scalar one, which is
// FORMATS.md §3 written out step by step (the specification), and the lane-parallel one that
// FormatDesc::raw.quantize uses unless QVIZ_SIMD=0 (each SIMD lane runs one sub-block's scalar
// sequence, so the bytes are the same bit for bit). The tests compare them; the benchmarks time
// the scalar one on one thread as the peer (the stand-in for ggml's own scalar reference).
#pragma once
#include <cstddef>
#include <cstdint>

#include "quant/format_table.hpp"

namespace qviz::core::ggml {

// `blocks` super-blocks of 256 values of x into out (blocks * the format's block bytes), on the
// calling thread. Return false when f is not a k-quant.
bool kquantQuantizeScalar(TensorFormat f, const float* x, std::size_t blocks, std::uint8_t* out);
bool kquantQuantizeSimd(TensorFormat f, const float* x, std::size_t blocks, std::uint8_t* out);

}  // namespace qviz::core::ggml
