// Correctly rounded float32 division and square root for the raw block-format kernels
// (shaders/raw_*.comp), from integer operations, so that their quotients and roots do not depend
// on the driver: GLSL promises only 2.5 ULP for `/`, nothing better for sqrt(), and lets a driver
// flush subnormals. Tested against the CPU's IEEE a/b and sqrtf by shaders/raw_arith_test.comp
// (tests/gpu/test_raw_arith.cpp, "[raw-arith]"), which defines RAW_ARITH_TEST before including
// this file: crDiv's estimate is then moved by g_divPerturb ULPs.
//
// Both give the IEEE-754 binary32 result, round to nearest even, with subnormal operands and
// results, +-0, +-inf, and NaN as x86-64 SSE gives them (a NaN operand comes back quieted, the
// first one if both are; invalid operations give 0xffc00000). crSqrt uses integers only; crDiv
// takes one estimate from the driver's `/` of two integers in [2^23, 2^25) and makes it exact with
// integer remainders. What they need from the driver: exact integer operations and conversions of
// integers below 2^25, an exact product of a float in [1, 2] and a power of two 2^0..2^23 (any
// correctly rounded `*`), and that one `/` within 3 ULP (GLSL promises 2.5).

const uint kDefaultNaN = 0xffc00000u;
#ifdef RAW_ARITH_TEST
int g_divPerturb = 0;  // the test's stand-in for an inexact `/`: ULPs added to crDiv's estimate
#endif

// |bits| of a finite nonzero float as m * 2^(e - 150), m in [2^23, 2^24).
void unpackFinite(uint a, out uint m, out int e) {
  uint frac = a & 0x7fffffu;
  int field = int(a >> 23u);
  int s = field == 0 ? 23 - findMSB(frac) : 0;  // subnormal: normalise
  m = field == 0 ? frac << uint(s) : frac | 0x800000u;
  e = field == 0 ? 1 - s : field;
}

// Both are written without early returns and with loops of a fixed trip count: a first version
// with early returns and a bit-by-bit division loop of data-dependent length gave wrong results on
// llvmpipe from an invocation's second or third grid-stride iteration on (right with one).
float crDiv(float fa, float fb) {
  uint ua = floatBitsToUint(fa), ub = floatBitsToUint(fb);
  uint sign = (ua ^ ub) & 0x80000000u;
  uint a = ua & 0x7fffffffu, b = ub & 0x7fffffffu;
  // Special operands: NaN (the first one quieted), inf, 0.
  bool special = true;
  uint res = 0u;
  if (a > 0x7f800000u) res = ua | 0x400000u;
  else if (b > 0x7f800000u) res = ub | 0x400000u;
  else if (a == 0x7f800000u) res = b == 0x7f800000u ? kDefaultNaN : sign | 0x7f800000u;
  else if (b == 0x7f800000u) res = sign;
  else if (b == 0u) res = a == 0u ? kDefaultNaN : sign | 0x7f800000u;
  else if (a == 0u) res = sign;
  else special = false;
  uint ma, mb;
  int ea, eb;
  unpackFinite(special ? 0x3f800000u : a, ma, ea);
  unpackFinite(special ? 0x3f800000u : b, mb, eb);
  int e = ea - eb;  // a/b = (ma/mb) * 2^e
  if (ma < mb) {
    ma <<= 1u;
    e -= 1;
  }
  // ma/mb in [1, 2): the result's biased exponent if normal, and how many significand bits fit.
  int ef = e + 127;
  int nbits = ef >= 1 ? 24 : 23 + ef;
  // Q = floor(ma/mb * 2^(nbits-1)) and its remainder R = ma * 2^(nbits-1) - Q*mb, found from the
  // driver's own quotient and corrected with exact integer remainders. A quotient within 3 ULP
  // (GLSL promises 2.5) puts Q0 at most 6 above the floor (an estimate rounded up to 2 or more
  // has ULPs twice as large) and 4 below it. |R| < 2^31, so the low 32 bits of the products give
  // it exactly.
  int sh = clamp(nbits - 1, 0, 23);
  precise float est = float(ma) / float(mb);  // an estimate only
#ifdef RAW_ARITH_TEST
  est = uintBitsToFloat(floatBitsToUint(est) + uint(g_divPerturb));  // a driver's error of up to 3 ULP
#endif
  precise float scaled = est * uintBitsToFloat(uint(sh + 127) << 23u);  // * 2^sh, exact
  uint q = uint(scaled);
  uint t = ma << uint(sh);
  int r = int(t - q * mb);
  for (int i = 0; i < 6; ++i) {
    bool low = r < 0;
    q = low ? q - 1u : q;
    r = low ? r + int(mb) : r;
  }
  for (int i = 0; i < 4; ++i) {
    bool high = r >= int(mb);
    q = high ? q + 1u : q;
    r = high ? r - int(mb) : r;
  }
  // The rest is r / mb of the last bit: above a half rounds up, a half goes to even.
  if (2 * r > int(mb) || (2 * r == int(mb) && (q & 1u) != 0u)) ++q;
  if (nbits == 0) q = ma == mb ? 0u : 1u;  // [2^-150, 2^-149): a half of the smallest subnormal or more
  bool carry = ef >= 1 && q == 0x1000000u;
  q = carry ? 0x800000u : q;
  ef = carry ? ef + 1 : ef;
  uint finite = ef >= 1 ? sign | uint(ef) << 23u | (q & 0x7fffffu)
                        : sign | q;  // subnormal (q == 2^23 is the smallest normal, as the bits say)
  if (ef >= 255) finite = sign | 0x7f800000u;
  if (nbits < 0) finite = sign;  // below half the smallest subnormal
  return uintBitsToFloat(special ? res : finite);
}

float crSqrt(float fx) {
  uint ux = floatBitsToUint(fx), x = ux & 0x7fffffffu;
  bool special = true;
  uint res = 0u;
  if (x > 0x7f800000u) res = ux | 0x400000u;
  else if (x == 0u) res = ux;  // +-0
  else if ((ux >> 31u) != 0u) res = kDefaultNaN;
  else if (x == 0x7f800000u) res = ux;
  else special = false;
  uint m;
  int e;
  unpackFinite(special ? 0x3f800000u : x, m, e);  // x = m * 2^(e - 150)
  // R = m * 2^s with e - 150 - s even: R in [2^24, 2^26), x = R * 2^(e - 150 - s).
  uint s = ((e - 150) & 1) != 0 ? 1u : 2u;
  uint R = m << s;
  // floor(sqrt(R * 2^24)), 25 bits, digit by digit over 25 pairs of radicand bits (13 from R, 12 zero).
  uint root = 0u, rem = 0u;
  for (int i = 0; i < 25; ++i) {
    int shift = 24 - 2 * i;
    uint pair = shift >= 0 ? (R >> uint(max(shift, 0))) & 3u : 0u;
    rem = (rem << 2u) | pair;
    uint t = (root << 2u) | 1u;
    bool take = rem >= t;
    rem = take ? rem - t : rem;
    root = (root << 1u) | (take ? 1u : 0u);
  }
  // sqrt(x) = root * 2^(-12 + (e - 150 - s)/2); the last bit rounds (a square root is never a tie).
  uint sig = (root >> 1u) + (root & 1u);
  int p = -11 + (e - 150 - int(s)) / 2;  // sqrt(x) = sig * 2^p, sig in [2^23, 2^24]
  bool carry = sig == 0x1000000u;
  sig = carry ? 0x800000u : sig;
  p = carry ? p + 1 : p;
  return uintBitsToFloat(special ? res : uint(p + 150) << 23u | (sig & 0x7fffffu));
}
