// crDiv and crSqrt (shaders/common/raw_arith.glsl, the correctly rounded float32 division and square
// root every raw block-format kernel uses) through their test kernel shaders/raw_arith_test.comp:
// equal to the CPU's IEEE a/b and sqrtf bit for bit on 2.9M operand pairs, with many groups (one
// pair per invocation) and one group (40000 pairs per invocation), and with crDiv's estimate moved
// by up to 3 ULP (a driver whose `/` is that far off). The driver's own a / b is reported (WARN)
// where it differs from the CPU's; nothing depends on it.
#include <catch2/catch.hpp>
#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <vector>

#include "gpu/kernel_util.hpp"
#include "gpu_fixture.hpp"

using namespace qviz;
using namespace qviz::gpu;
using qviz::test::GpuFixture;

namespace {
std::uint32_t bitsOf(float f) { return std::bit_cast<std::uint32_t>(f); }
float fromBits(std::uint32_t b) { return std::bit_cast<float>(b); }

// Operand pairs for crDiv / crSqrt: specials against specials, random bit patterns (every class,
// NaN payloads included), quotients in the normal range, quotients that end subnormal or
// overflow, power-of-two divisors (exact halves in subnormal results), and every 4099th
// positive float for the square root.
std::vector<std::uint32_t> arithPairs() {
  std::vector<std::uint32_t> p;
  const std::uint32_t specials[] = {0x00000000u, 0x80000000u, 0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc00000u,
                                    0x7f800001u, 0x7fa5a5a5u, 0xffffffffu, 0x00000001u, 0x80000001u, 0x007fffffu,
                                    0x00400000u, 0x00800000u, 0x80800000u, 0x7f7fffffu, 0xff7fffffu, 0x3f800000u,
                                    0xbf800000u, 0x40400000u, 0x41700000u, 0x427c0000u, 0xc3000000u, 0x3dcccccdu,
                                    0x26901d7du, 0x0c000000u, 0x34000000u, 0x33800000u};
  for (std::uint32_t a : specials)
    for (std::uint32_t b : specials) p.insert(p.end(), {a, b});
  std::mt19937 rng(20261202u);
  auto any = [&] { return std::uint32_t(rng()); };
  auto withExp = [&](std::uint32_t lo, std::uint32_t hi) {
    const std::uint32_t e = lo + std::uint32_t(rng()) % (hi - lo + 1u);
    return (std::uint32_t(rng()) & 0x807fffffu) | e << 23u;
  };
  for (int i = 0; i < (1 << 20); ++i) p.insert(p.end(), {any(), any()});
  for (int i = 0; i < (1 << 19); ++i) p.insert(p.end(), {withExp(100u, 154u), withExp(100u, 154u)});
  for (int i = 0; i < (1 << 18); ++i) p.insert(p.end(), {withExp(0u, 40u), withExp(110u, 160u)});  // subnormal ends
  for (int i = 0; i < (1 << 18); ++i) p.insert(p.end(), {withExp(200u, 254u), withExp(0u, 60u)});  // overflow ends
  for (int i = 0; i < (1 << 18); ++i) {
    const std::uint32_t a = (any() & 0x80000000u) | (any() % (40u << 23u));
    p.insert(p.end(), {a, (1u + any() % 200u) << 23u});  // a / 2^k: exact ties in subnormal results
  }
  for (std::uint32_t x = 0; x < 0x7f800000u; x += 4099u) p.insert(p.end(), {x, 0x3f800000u});
  return p;
}
}  // namespace

TEST_CASE("raw gpu: crDiv and crSqrt are correctly rounded", "[gpu][raw][raw-arith][kquants-arith]") {
  GpuFixture fx;
  // Many groups (one pair per invocation) and one group (40000 pairs per invocation).
  const std::uint32_t groups = GENERATE(65535u, 1u);
  // crDiv as on a driver whose `/` is off by up to 3 ULP: its corrections must still land exactly.
  const std::uint32_t perturb = GENERATE(0u, 1u);
  INFO("groups " << groups << ", estimate perturbed " << perturb);
  const ProgramDesc desc{"raw_arith_test", {{ShaderStage::Compute, "raw_arith_test.comp"}}, {}};
  auto st = fx.shaders().ensure(desc);
  INFO(st.error());
  REQUIRE(st.ok());
  const GLuint prog = fx.shaders().program(desc.name);
  const auto pairs = arithPairs();
  const std::size_t count = pairs.size() / 2;
  Buffer in = Buffer::create(), out = Buffer::create();
  std::size_t inCap = 0, outCap = 0;
  reserveBuffer(in, inCap, pairs.size() * 4);
  writeBuffer(in, pairs.data(), pairs.size() * 4);
  reserveBuffer(out, outCap, count * 3 * 4);
  {
    ProgramGuard guard;
    glUseProgram(prog);
    setUniform(prog, "u_count", GLuint(count));
    setUniform(prog, "u_perturb", GLuint(perturb));
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 0, in.id());
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 1, out.id());
    glDispatchCompute(groupCount(count, 64, groups), 1, 1);
    barrierAfterCompute();
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 0, 0);
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 1, 0);
  }
  const auto got = readBuffer<std::uint32_t>(out, count * 3);
  std::size_t badDiv = 0, badSqrt = 0, badDriver = 0, firstDiv = count, firstSqrt = count, firstDriver = count;
  for (std::size_t i = 0; i < count; ++i) {
    const float a = fromBits(pairs[2 * i]), b = fromBits(pairs[2 * i + 1]);
    if (got[3 * i] != bitsOf(a / b) && badDiv++ == 0) firstDiv = i;
    if (got[3 * i + 1] != bitsOf(std::sqrt(a)) && badSqrt++ == 0) firstSqrt = i;
    if (got[3 * i + 2] != bitsOf(a / b) && badDriver++ == 0) firstDriver = i;
  }
  std::ostringstream miss;
  miss << std::hex;
  if (firstDiv < count)
    miss << "first crDiv miss: " << pairs[2 * firstDiv] << " / " << pairs[2 * firstDiv + 1] << " gave " << got[3 * firstDiv]
         << ", CPU " << bitsOf(fromBits(pairs[2 * firstDiv]) / fromBits(pairs[2 * firstDiv + 1])) << "; ";
  if (firstSqrt < count)
    miss << "first crSqrt miss: sqrt " << pairs[2 * firstSqrt] << " gave " << got[3 * firstSqrt + 1] << ", CPU "
         << bitsOf(std::sqrt(fromBits(pairs[2 * firstSqrt])));
  INFO(count << " pairs; " << miss.str());
  // The driver's own `/` (not used for any result): how far the kernels would be off without crDiv.
  if (perturb == 0u && groups == 65535u && badDriver != 0)
    WARN("the driver's a / b differs from the CPU's on " << badDriver << " of " << count << " pairs (first: "
         << std::hex << pairs[2 * firstDriver] << " / " << pairs[2 * firstDriver + 1] << " gave " << got[3 * firstDriver + 2]
         << ", CPU " << bitsOf(fromBits(pairs[2 * firstDriver]) / fromBits(pairs[2 * firstDriver + 1])) << ")");
  CHECK(badDiv == 0);
  CHECK(badSqrt == 0);
  fx.checkClean("crDiv / crSqrt");
}

