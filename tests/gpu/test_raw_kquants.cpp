// ggml's k-quants Q2_K..Q6_K on the GPU (shaders/raw_ggml_kquants.comp through gpu::RawFormatGpu):
// quantizing the reference inputs gives blocks.bin byte for byte, dequantizing blocks.bin gives
// dequant.npy bit for bit (tests/data/vectors/formats, from ggml's own C), and five edge
// super-blocks give the bytes and values FORMATS.md §3 prescribes: all zeros; float32 subnormals
// only (ggml's nearest_int then meets +-inf and NaN); one outlier each of 5e5, 1e30 (fp16 d
// overflows to inf) and -3e38 (x*x and the weighted sums overflow). The all-zero block is derived
// by hand (every byte 0; values +0, Q6_K -0 since (0*0)*(-32) = -0); the other four blocks' bytes
// and the FNV-1a hash of the 1280 dequantized float32 bit patterns were derived with an encoder and
// decoder written separately from the contract, which reproduces every vector of
// tests/data/vectors/formats for these five formats. Where the core's codec is in the table, the
// edge blocks are also checked against core::quantizeRawBlocks / dequantizeRawBlocks.
// The kernel's correctly rounded divide and square root (crDiv, crSqrt of common/raw_arith.glsl)
// are tested by test_raw_arith.cpp ([raw-arith]).
// The hidden [kquants-bench] case times 16M values per format (llvmpipe: see its WARN lines).
#include <catch2/catch.hpp>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "data_names.hpp"
#include "gpu/raw_kernels.hpp"
#include "gpu_fixture.hpp"
#include "quant/blockwise.hpp"
#include "quant/format_table.hpp"
#include "tensor/npy.hpp"
#include "tensor/tensor.hpp"

using namespace qviz;
using namespace qviz::gpu;
using core::BlockwiseSettings;
using core::FormatDesc;
using qviz::test::GpuFixture;

namespace {

using qviz::test::loadF32;
using qviz::test::readFile;

struct KQuant {
  const char* name;  // our format name (its vectors: qviz::test::vectorNames())
};
constexpr KQuant kKQuants[] = {{"q2_k"}, {"q3_k"}, {"q4_k"}, {"q5_k"}, {"q6_k"}};

std::string data(const std::string& rel) { return std::string(QVIZ_TEST_DATA) + "/" + rel; }
const FormatDesc& desc(const char* name) {
  const FormatDesc* d = core::findFormat(std::string_view(name));
  REQUIRE(d);
  return *d;
}
BlockwiseSettings settings(const FormatDesc& d) {
  BlockwiseSettings s;
  s.format = d.format;
  return s;
}
std::size_t firstByteDiff(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return i;
  return a.size() == b.size() ? a.size() : n;
}
std::size_t bitDiffs(const std::vector<float>& a, const std::vector<float>& b, std::size_t& first) {
  std::size_t bad = 0;
  first = a.size();
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::bit_cast<std::uint32_t>(a[i]) != std::bit_cast<std::uint32_t>(b[i]) && bad++ == 0) first = i;
  return bad + (a.size() != b.size() ? 1 : 0);
}
std::vector<std::uint8_t> fromHex(const std::string& h) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(std::uint8_t(std::stoul(h.substr(i, 2), nullptr, 16)));
  return out;
}
std::string toHex(const std::uint8_t* p, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    s += digits[p[i] >> 4];
    s += digits[p[i] & 15];
  }
  return s;
}
// FNV-1a (64-bit) of the values' little-endian bytes.
std::uint64_t fnv1a(const std::vector<float>& v) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (float f : v) {
    const std::uint32_t b = std::bit_cast<std::uint32_t>(f);
    for (int k = 0; k < 4; ++k) h = (h ^ ((b >> (8 * k)) & 255u)) * 0x100000001b3ull;
  }
  return h;
}

// Five super-blocks: zeros; subnormals only (k * 2^(-149 + 2*((i/32) % 7)), |k| <= 1000, so
// below 2^-127, in several binades: some sub-blocks' 3/(max-min) are finite, others +inf); and
// the first three super-blocks of normal_8192 with one outlier each (5e5, 1e30, -3e38).
std::vector<float> edgeInput() {
  std::vector<float> x(5 * 256, 0.0f);
  for (int i = 0; i < 256; ++i) {
    const std::uint32_t h = std::uint32_t(i) * 2654435761u;
    x[std::size_t(256 + i)] = std::ldexp(float(int((h >> 8) % 2001u) - 1000), -149 + 2 * ((i / 32) % 7));
  }
  const auto normal = loadF32("vectors/formats/inputs/normal_8192.npy");
  for (std::size_t i = 0; i < 3 * 256; ++i) x[512 + i] = normal[i];
  x[512 + 77] = 5e5f;
  x[768 + 130] = 1e30f;
  x[1024 + 200] = -3e38f;
  return x;
}

struct EdgeExpect {
  const char* name;
  const char* blocks[4];  // super-blocks 1..4 (block 0 is all zero bytes)
  std::uint64_t dequantHash;  // fnv1a of the 1280 dequantized values
};
const EdgeExpect kEdge[] = {
    {"q2_k",
     {
         "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
         "301000200030100020003010302000300000000000000000000000000000000000000000",
         "70f0d080af70c0d0a0c0a0a06080907049874d8cce4d804eca8d808dc93a498a5f8b975e85b7966592e56853aa0697ce"
         "2e75895aefdaccaf454dd94ad1d6ceda19a92a3696578ab615a21504dea662aa6d71d031",
         "f030b070b060a0a04fc050709090b0500000000000000000000000000000000000000000000000000000000000000000"
         "0000000000000000000000000000000000000000000000000000000000000000007cfb31",
         "000000000000000000000000ff0000000000000000000000000000000000000000000000000000000000000000000000"
         "0000000000000000000000000000000000000000000000000000000000000000007c007c",
     },
     0x7680fa13e40b8a52ull},
    {"q3_k",
     {
         "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
         "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
         "0000000000000000000000000000",
         "1f34fe0786efd58e765fd547f5aace86a56bebf54a9f3a568a5ea4873d624b7800c80fc90b88c1064304c1c44cc20382"
         "c14171c056787bda3fa6e88d5c1735d7248220fe74426769a6d98dae4db792febba6abb0cf3e88bcae40b25c3cc3e7c4"
         "0000000000000000a2aaaaaaa16b",
         "d2fe0f3bfc36b3d874f7f7fdff7ff318e5b7438a0de39609272b68ed05559f88b10fd141cf5cfca3db30cd1c5571fc3f"
         "b08c25742c4c9264e5f9441985c60835147050f4b8f4b068740008dc281c08cce3dc8f618f67ad8f332a0322eb1b380c"
         "00542c5598f6bb062c0ffcfd24a6",
         "fe7c505df7f0f6edbcfa48f37a55edd4da88fde696be752a9cbb0a3f535b4a8f322ac235e7b57cdecf772cdfa239ac47"
         "734b4c50d78701370e317350e630f24446448f0e0446840f40470500814c828d4af467266386c774fec0a96b15cf796c"
         "0ef300c905ff7eeb8c2fc33cd0a6",
     },
     0x07bc3b3ddebd95c7ull},
    {"q4_k",
     {
         "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
         "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
         "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
         "6e60712900003f00ffb680b810e03040975fe8c5cad705bb89b703b7779a988be89989e6635766623564b038977579c5"
         "70907090f040a070d080a0a0e01e70b060a090609090a05070b06030800080c0c864779bcf7bc1cd44a6978b1549fb8b"
         "95949669565ca95853086340c76616870b3e6147888581792042a421859792b713a727198474b0b812c51431f3858785",
         "007c252ac0000000ffa9a9ab7f30c0b00000000000000000000000000000000000000000000000000000000000000000"
         "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
         "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
         "007c007c0000c0000000c0000000ff000000000000000000000000000000000000000000000000000000000000000000"
         "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
         "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
     },
     0x47048bdf8a74339cull},
    {"q5_k",
     {
         "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
         "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
         "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
         "0000000000000000000000000000000000000000000000000000000000000000",
         "225c7d2900003f00ffb880b730f040607249233afb92a8730b2aa83a8897b3fb23eb6b528818b8d000980201aa808baa"
         "3fbfd09aa4ce0b77137e178efe453027f14212dce6bfccd57ae880704eea02abe010e030f07050e090004030c02ee060"
         "c03020c0101030a0d060c0601000008091d80f379ee6938a885c3e062b92f7173a283dd2bdb852a1b700d7808fcd3d0e"
         "076fd39f111a13f4508549520c3f3560374050341ae96172358b3873e71b0f1b",
         "007c292ac0000000ffaaa9a86f30c0c00000000000000000000000000000000000000000000000000000000000000000"
         "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
         "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
         "0000000000000000000000000000000000000000000000000000000000000000",
         "007c007c0000c0000000c0000000ff000000000000000000000000000000000000000000000000000000000000000000"
         "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
         "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
         "0000000000000000000000000000000000000000000000000000000000000000",
     },
     0xfdb87c8363180821ull},
    {"q6_k",
     {
         "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
         "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
         "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
         "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
         "000000000000000000000000000000000000",
         "0d000b06040f040f050f0c0f0f020b0ff91aba1e9ef3cc9d884431f681b88baa12b3038b0de14118bed8526a6b831220"
         "b1ac82a46b61bf6edb1bb1dc5b1a365cdd11c3917113cd2a119825d3eaab819044010ad4d9c01462df108f915f1adafd"
         "1c013c86bbbfbc7de95236db9418009a1d3bde0f8bdae1d81ac11094098d9786a964ad6a29ad62a82569626925c9a968"
         "52869a6188be99685df9741ea6099ac1014ba65590a5a3903b66e6259ed9e1d5d979b9f655570e36c422d8841d656159"
         "00000000800000000000000000000000a157",
         "87377717fa51a3356b80d4914ad89f86404df6b0f221bd3d0957116b293d42cc43355e508bb9c6207e01a7c59a6f74d8"
         "e13a07aa388703ab49c26b110dba0c2c60b070b0b090a010c0d0c0700080c000c6c0dc1a0bd64746b6f3261e19456331"
         "169d70783f65e37d74eddea8e004429a4c6c2aa0e8a53b1b2012000dae3c1e1858ade68ad52c5ed1613a5e66aab65d55"
         "326d0a98a60e68917ade80a66262aa90a2b6005afa5a9ab23a565aee7e2e9e46e5ce559005a9d645190d29b451239284"
         "8050aed15b5e6e5400904951aab569413192",
         "a21f10abc4ad50cbd888e4c3327500f8560c1191652ae5a9ef9b5b5e0d60bd41e3d39019643b56a78aca2a78f2012685"
         "5da4c5b39a0811f6fcde8e735addbf8a020c0f080302040a010d00040e0007052cc3fcfd251149c3b31cf7056c0a8821"
         "797a291318bd1a2ec2b630233c89dc2592d899d67036645aa8a2fd3d0a9743b9797441b26b503ce6d599844f9936f611"
         "9585a62869e91259545695a95a56d4aaab296727aaabeaad8aab20aa6626a4e6a6d0ab6893cb6b18d7c9001b22673494"
         "4fb3be60a880479065c2658d004aa043a112",
     },
     0xef94e0d4f7a953e4ull},
};

}  // namespace

TEST_CASE("ggml k-quants on the GPU equal the reference vectors", "[gpu][raw][kquants]") {
  GpuFixture fx;
  RawFormatGpu k(fx.env());
  for (const KQuant& kq : kKQuants)
    for (const char* input : {"normal_8192", "heavy_8192"}) {
      const FormatDesc& d = desc(kq.name);
      INFO(kq.name << " on " << input);
      REQUIRE(RawFormatGpu::kernelFile(d) == "raw_ggml_kquants.comp");
      const std::string dir = std::string("vectors/formats/") + input + "." + qviz::test::vectorNames().at(kq.name) + "/";
      const auto x = loadF32(std::string("vectors/formats/inputs/") + input + ".npy");
      const auto blocks = readFile(data(dir + "blocks.bin"));
      const auto want = loadF32(dir + "dequant.npy");
      REQUIRE(blocks.size() == x.size() / 256 * std::size_t(d.raw.blockBytes));
      auto q = k.quantize(x.data(), x.size(), settings(d));
      INFO(q.error());
      REQUIRE(q.ok());
      const std::size_t diff = firstByteDiff(*q, blocks);
      INFO("quantize: first differing byte " << diff << " (block " << diff / std::size_t(d.raw.blockBytes) << ")");
      CHECK(diff == blocks.size());
      std::vector<float> y(x.size(), -7.0f);
      auto st = k.dequantize(blocks.data(), blocks.size(), x.size(), settings(d), y.data());
      INFO(st.error());
      REQUIRE(st.ok());
      std::size_t first = 0;
      const std::size_t bad = bitDiffs(want, y, first);
      INFO("dequantize: first differing value " << first);
      CHECK(bad == 0);
    }
  fx.checkClean("k-quant vectors");
}

TEST_CASE("ggml k-quants on the GPU: zero, subnormal-only and outlier super-blocks", "[gpu][raw][kquants]") {
  GpuFixture fx;
  RawFormatGpu k(fx.env());
  const auto x = edgeInput();
  for (const EdgeExpect& e : kEdge) {
    const FormatDesc& d = desc(e.name);
    const std::size_t bb = std::size_t(d.raw.blockBytes);
    INFO(e.name);
    std::vector<std::uint8_t> want(bb, 0u);  // the all-zero super-block: every byte 0
    for (const char* hex : e.blocks) {
      const auto b = fromHex(hex);
      REQUIRE(b.size() == bb);
      want.insert(want.end(), b.begin(), b.end());
    }
    auto q = k.quantize(x.data(), x.size(), settings(d));
    INFO(q.error());
    REQUIRE(q.ok());
    REQUIRE(q->size() == want.size());
    for (std::size_t b = 0; b < 5; ++b) {
      INFO("super-block " << b << ": GPU bytes " << toHex(q->data() + b * bb, bb));
      CHECK(std::equal(want.begin() + std::ptrdiff_t(b * bb), want.begin() + std::ptrdiff_t((b + 1) * bb),
                       q->begin() + std::ptrdiff_t(b * bb)));
    }
    std::vector<float> y(x.size(), -7.0f);
    auto st = k.dequantize(want.data(), want.size(), x.size(), settings(d), y.data());
    INFO(st.error());
    REQUIRE(st.ok());
    const std::uint32_t zeroBits = std::string(e.name) == "q6_k" ? 0x80000000u : 0u;
    std::size_t zeroBad = 0;
    for (std::size_t i = 0; i < 256; ++i) zeroBad += std::bit_cast<std::uint32_t>(y[i]) != zeroBits;
    CHECK(zeroBad == 0);
    CHECK(fnv1a(y) == e.dequantHash);
    if (!d.raw.quantize || !d.raw.dequantize) {
      WARN(e.name << ": the core's codec is not in the table yet; edge blocks not compared with core::quantizeRawBlocks");
      continue;
    }
    std::vector<std::uint8_t> cpu;
    auto cs = core::quantizeRawBlocks(x.data(), x.size(), settings(d), cpu);
    INFO(cs.error());
    REQUIRE(cs.ok());
    CHECK(firstByteDiff(cpu, *q) == cpu.size());
    std::vector<float> cy(x.size());
    REQUIRE(core::dequantizeRawBlocks(want.data(), want.size(), x.size(), settings(d), cy.data()).ok());
    std::size_t first = 0;
    CHECK(bitDiffs(cy, y, first) == 0);
  }
  fx.checkClean("k-quant edge blocks");
}

// The grid-stride loop: 300 super-blocks (normal values, then the edge blocks) give the same bytes
// with one group of 64 invocations (five blocks each), three groups and one block per
// invocation, and the core's bytes where its codec is in the table.
TEST_CASE("ggml k-quants on the GPU: the same bytes on one, three and many groups", "[gpu][raw][kquants]") {
  GpuFixture fx;
  std::mt19937 rng(11);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> x(256 * 295);
  for (auto& v : x) v = dist(rng);
  const auto edge = edgeInput();
  x.insert(x.end(), edge.begin(), edge.end());
  RawFormatGpu wide(fx.env());
  for (const KQuant& kq : kKQuants) {
    const FormatDesc& d = desc(kq.name);
    const std::size_t bb = std::size_t(d.raw.blockBytes);
    auto ref = wide.quantize(x.data(), x.size(), settings(d));
    INFO(kq.name << ": " << ref.error());
    REQUIRE(ref.ok());
    if (d.raw.quantize) {
      std::vector<std::uint8_t> cpu;
      REQUIRE(core::quantizeRawBlocks(x.data(), x.size(), settings(d), cpu).ok());
      CHECK(firstByteDiff(cpu, *ref) == cpu.size());
    }
    std::vector<float> yRef(x.size());
    REQUIRE(wide.dequantize(ref->data(), ref->size(), x.size(), settings(d), yRef.data()).ok());
    for (std::uint32_t groups : {1u, 3u}) {
      GpuEnv env = fx.env();
      env.limits.maxGroups = groups;
      RawFormatGpu narrow(env);
      auto q = narrow.quantize(x.data(), x.size(), settings(d));
      REQUIRE(q.ok());
      const std::size_t diff = firstByteDiff(*ref, *q);
      INFO(groups << " groups: first differing byte " << diff << " (super-block " << diff / bb << ")");
      CHECK(diff == ref->size());
      std::vector<float> y(x.size(), -7.0f);
      REQUIRE(narrow.dequantize(ref->data(), ref->size(), x.size(), settings(d), y.data()).ok());
      std::size_t first = 0;
      CHECK(bitDiffs(yRef, y, first) == 0);
    }
  }
  fx.checkClean("k-quant grids");
}

// 16M values (65536 super-blocks) per format, the device-resident steps only (upload and read
// back outside the clock; one warm-up run first, which also builds the programs).
TEST_CASE("ggml k-quants on the GPU: time of 16M values", "[.][kquants-bench]") {
  GpuFixture fx;
  RawFormatGpu k(fx.env());
  const auto normal = loadF32("vectors/formats/inputs/normal_8192.npy");
  const std::size_t n = std::size_t(1) << 24;
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = normal[i % normal.size()] * (1.0f + float(i / normal.size()) * 1e-3f);
  for (const KQuant& kq : kKQuants) {
    const FormatDesc& d = desc(kq.name);
    REQUIRE(k.upload(x.data(), n, settings(d)).ok());
    REQUIRE(k.runQuantize().ok());  // builds the program and warms up
    REQUIRE(k.runDequantize().ok());
    glFinish();
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE(k.runQuantize().ok());
    glFinish();
    const auto t1 = std::chrono::steady_clock::now();
    REQUIRE(k.runDequantize().ok());
    glFinish();
    const auto t2 = std::chrono::steady_clock::now();
    CHECK(k.readBlocks().size() == n / 256 * std::size_t(d.raw.blockBytes));
    const double tq = std::chrono::duration<double>(t1 - t0).count(), td = std::chrono::duration<double>(t2 - t1).count();
    WARN(kq.name << ": 16M values quantize " << tq * 1e3 << " ms (" << double(n) / tq / 1e6 << " M values/s), dequantize "
                 << td * 1e3 << " ms");
  }
}
