// The reference vectors of the raw block formats (tests/data/vectors/formats/<input>.<dir>): our
// format name -> the vectors' directory suffix (FORMATS.md §9), and the inputs they were made from.
// Shared by the core, CLI and GPU tests of the raw formats, with the two loaders they use.
#pragma once
#include <catch2/catch.hpp>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "tensor/npy.hpp"

namespace qviz::test {

inline const std::map<std::string, std::string>& vectorNames() {
  static const std::map<std::string, std::string> m = {
      {"q8_0", "q8_0"},         {"q4_0", "q4_0"},           {"q4_1", "q4_1"},         {"q5_0", "q5_0"},
      {"q5_1", "q5_1"},         {"q2_k", "q2_K"},           {"q3_k", "q3_K"},         {"q4_k", "q4_K"},
      {"q5_k", "q5_K"},         {"q6_k", "q6_K"},           {"iq4_nl", "iq4_nl"},     {"iq4_nl-ntry7", "iq4_nl_ntry7"},
      {"iq4_xs", "iq4_xs"},     {"ggml-mxfp4", "ggml_mxfp4"}, {"ggml-nvfp4", "ggml_nvfp4"}, {"mxfp4", "mx_fp4_e2m1"},
      {"mxfp6-e3m2", "mx_fp6_e3m2"}, {"mxfp6-e2m3", "mx_fp6_e2m3"}, {"mxfp8-e4m3", "mx_fp8_e4m3"},
      {"mxfp8-e5m2", "mx_fp8_e5m2"}, {"mxint8", "mx_int8"}, {"nvfp4", "nvfp4"},   {"nvfp4-1level", "nvfp4_1level"},
  };
  return m;
}

// The inputs every format has vectors for (vectors/formats/inputs/<name>.npy).
inline const std::vector<std::string>& vectorInputs() {
  static const std::vector<std::string> v = {"normal_8192", "heavy_8192"};
  return v;
}

// A file's bytes (empty when it cannot be read); a float32 .npy under tests/data as float32 values.
inline std::vector<std::uint8_t> readFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(f), {});
}
inline std::vector<float> loadF32(const std::string& rel) {
  auto t = core::readNpy(std::string(QVIZ_TEST_DATA) + "/" + rel);
  REQUIRE(t.ok());
  REQUIRE(t->dtype == core::DType::F32);
  return core::toFloat32(*t);
}

}  // namespace qviz::test
