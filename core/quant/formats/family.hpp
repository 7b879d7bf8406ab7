// What the format family files (quant/formats/*.cpp) share: their table entries, listed in
// format_table.cpp, and the helpers of their quantizers. Internal to quant/.
#pragma once
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "quant/blockwise.hpp"
#include "quant/format_table.hpp"

namespace qviz::core {

// The formats of each family, in any order (the table sorts them by TensorFormat), and the list
// of families the table is built from: a new family adds its line to both, here.
std::vector<FormatDesc> bnb4Formats();        // formats/bnb4.cpp: nf4, fp4
std::vector<FormatDesc> intnFormats();        // formats/intn.cpp: int8/4/2, uint8/4
std::vector<FormatDesc> fp8Formats();         // formats/fp8.cpp: fp8-e4m3, fp8-e5m2
std::vector<FormatDesc> ggmlLegacyFormats();  // formats/ggml_legacy.cpp: q8_0, q4_0, q4_1, q5_0, q5_1
std::vector<FormatDesc> ggmlKQuantFormats();  // formats/ggml_kquants.cpp: q2_k, q3_k, q4_k, q5_k, q6_k
std::vector<FormatDesc> ggmlIq4Formats();     // formats/ggml_iq4.cpp: iq4_nl, iq4_nl-ntry7, iq4_xs
std::vector<FormatDesc> ggmlFp4Formats();     // formats/ggml_fp4.cpp: ggml-mxfp4, ggml-nvfp4
std::vector<FormatDesc> mxFormats();          // formats/mx.cpp: mxfp4, mxfp6-e3m2/e2m3, mxfp8-e4m3/e5m2, mxint8
std::vector<FormatDesc> nvfp4Formats();       // formats/nvfp4.cpp: nvfp4, nvfp4-1level
inline constexpr std::vector<FormatDesc> (*kFormatFamilies[])() = {
    bnb4Formats, intnFormats, fp8Formats, ggmlLegacyFormats, ggmlKQuantFormats, ggmlIq4Formats, ggmlFp4Formats,
    mxFormats, nvfp4Formats};

namespace formats {

inline std::size_t firstNonFinite(const float* x, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(x[i])) return i;
  return n;
}

// `offset`: where x starts in the whole tensor (a streamed range), so the message names its index.
inline Error nonFiniteError(const float* x, std::size_t i, std::size_t offset = 0) {
  return fail("value " + std::to_string(offset + i) + " (flat index) is " + (std::isnan(x[i]) ? "NaN" : "Inf") +
              "; only finite values can be quantized");
}

inline std::string define(const char* name, long long value) {
  return std::string("#define ") + name + " " + std::to_string(value) + "\n";
}

// The table entry of a raw block format (FormatDesc::raw); the family fills in the codec functions.
inline FormatDesc rawDesc(TensorFormat f, const char* name, const char* family, const char* familyLabel,
                          const char* description, int codeBits, int blockValues, int blockBytes,
                          RowRule rows = RowRule::Flat, int headerBytes = 0) {
  FormatDesc d;
  d.format = f;
  d.name = name;
  d.family = family;
  d.familyLabel = familyLabel;
  d.description = description;
  d.codeBits = codeBits;
  d.fixedBlocksize = blockValues;
  d.scaleStorage = ScaleStorage::Float16;
  d.scaleName = "d";
  d.gpuKernel = GpuKernel::Raw;
  d.raw.blockValues = blockValues;
  d.raw.blockBytes = blockBytes;
  d.raw.rows = rows;
  d.raw.headerBytes = headerBytes;
  return d;
}

// d with its raw block codec (RawCodec's four functions) filled in.
inline FormatDesc withCodec(FormatDesc d, void (*quantize)(const float*, std::size_t, float, std::uint8_t*),
                            void (*dequantize)(const std::uint8_t*, std::size_t, float, float*),
                            void (*codes)(const std::uint8_t*, std::uint8_t*),
                            void (*inspect)(const std::uint8_t*, float, BlockView&)) {
  d.raw.quantize = quantize;
  d.raw.dequantize = dequantize;
  d.raw.codes = codes;
  d.raw.inspect = inspect;
  return d;
}

}  // namespace formats
}  // namespace qviz::core
