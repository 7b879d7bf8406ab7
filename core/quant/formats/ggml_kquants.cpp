// ggml's k-quants (FORMATS.md §3): super-blocks of 256, quantize_row_qX_K_ref without an importance
// matrix. Two quantizer paths give the same bytes:
//  - the scalar path: the contract as written, one sub-block after another, float32 op by op in
//    the written order (qviz_core builds with -ffp-contract=off), sums in index order;
//  - the lane path: 8 sub-blocks at once in one 8-lane vector, two such vectors side by side
//    (GCC vector extensions, cloned for AVX2 and the baseline at build time, chosen at run time
//    by the loader from the CPU's features). Lane k runs sub-block k's scalar
//    sequence exactly: the same operations on the same operands in the same order; branches become
//    per-lane selects, and codes are recomputed at the end from the (iscale, min) of the pass that
//    won, which is what the scalar path stores. QVIZ_SIMD=0 selects the scalar path.
// The per-super-block steps after the fits (scale quantization, requantization, packing) are
// shared; the requantization is element-wise, so its vector form is exact as well.
#include "quant/formats/ggml_kquants.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "quant/formats/family.hpp"
#include "quant/formats/ggml_common.hpp"

#pragma GCC diagnostic ignored "-Wpsabi"

namespace qviz::core {
namespace {

using ggml::f32;
using ggml::fp16;
using ggml::getU16;
using ggml::kGroupMaxEps;
using ggml::nearestInt;
using ggml::putU16;

constexpr int kQK = 256;

inline int clampInt(int v, int lo, int hi) { return std::max(lo, std::min(hi, v)); }

bool simdEnabled() {
  const char* env = std::getenv("QVIZ_SIMD");
  return !(env && std::string(env) == "0");
}

// ---- Scalar helpers (§3.1 - §3.3) ------------------------------------------------------------

// Helper A (make_qkx2_quants): returns the scale, *theMin the amount subtracted, L in 0..nmax.
float fitWithMin(int n, int nmax, const float* x, const float* w, std::uint8_t* L, float* theMin, float rmin,
                 float rdelta, int nstep, bool useMad) {
  float mn = x[0], mx = x[0];
  float sumW = w[0];
  float sumX = sumW * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < mn) mn = x[i];
    if (x[i] > mx) mx = x[i];
    sumW += w[i];
    sumX += w[i] * x[i];
  }
  if (mn > 0) mn = 0;
  if (mx == mn) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    *theMin = -mn;
    return 0.0f;
  }
  float iscale = float(nmax) / (mx - mn);
  float scale = 1 / iscale;
  float bestError = 0;
  for (int i = 0; i < n; ++i) {
    L[i] = std::uint8_t(clampInt(nearestInt(iscale * (x[i] - mn)), 0, nmax));
    float diff = scale * float(L[i]) + mn - x[i];
    diff = useMad ? std::fabs(diff) : diff * diff;
    bestError += w[i] * diff;
  }
  std::uint8_t aux[32];
  for (int is = 0; is <= nstep; ++is) {
    iscale = (rmin + rdelta * float(is) + float(nmax)) / (mx - mn);
    float sumL = 0, sumL2 = 0, sumXL = 0;
    for (int i = 0; i < n; ++i) {
      const int l = clampInt(nearestInt(iscale * (x[i] - mn)), 0, nmax);
      aux[i] = std::uint8_t(l);
      sumL += w[i] * float(l);
      sumL2 += w[i] * float(l) * float(l);
      sumXL += w[i] * float(l) * x[i];
    }
    const float D = sumW * sumL2 - sumL * sumL;
    if (D > 0) {
      float thisScale = (sumW * sumXL - sumX * sumL) / D;
      float thisMin = (sumL2 * sumX - sumL * sumXL) / D;
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = sumXL / sumL2;
      }
      float curError = 0;
      for (int i = 0; i < n; ++i) {
        float diff = thisScale * float(aux[i]) + thisMin - x[i];
        diff = useMad ? std::fabs(diff) : diff * diff;
        curError += w[i] * diff;
      }
      if (curError < bestError) {
        for (int i = 0; i < n; ++i) L[i] = aux[i];
        bestError = curError;
        scale = thisScale;
        mn = thisMin;
      }
    }
  }
  *theMin = -mn;
  return scale;
}

// First argmax |x| (strict >, from 0): its magnitude and signed value.
inline void firstArgmax(const float* x, int n, float& amax, float& mx) {
  amax = 0;
  mx = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      mx = x[i];
    }
  }
}

// Helper B (make_qx_quants, n 16, nmax 32, rmse_type 1, no weights): L in 0..63 (q + 32).
float fitSymmetric16(const float* x, std::uint8_t* L) {
  constexpr int n = 16, nmax = 32;
  float amax, mx;
  firstArgmax(x, n, amax, mx);
  if (amax < kGroupMaxEps) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    return 0.0f;
  }
  float iscale = float(-nmax) / mx;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    const int l = clampInt(nearestInt(iscale * x[i]), -nmax, nmax - 1);
    L[i] = std::uint8_t(l + nmax);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * float(l);
    suml2 += w * float(l) * float(l);
  }
  float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    iscale = -(float(nmax) + 0.1f * float(is)) / mx;
    sumlx = suml2 = 0;
    for (int i = 0; i < n; ++i) {
      const int l = clampInt(nearestInt(iscale * x[i]), -nmax, nmax - 1);
      const float w = x[i] * x[i];
      sumlx += w * x[i] * float(l);
      suml2 += w * float(l) * float(l);
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; ++i) L[i] = std::uint8_t(nmax + clampInt(nearestInt(iscale * x[i]), -nmax, nmax - 1));
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

// Helper C (make_q3_quants, n 16, nmax 4, do_rmse): L in 0..7 (q + 4).
float fit3Bit16(const float* x, std::uint8_t* Lout) {
  constexpr int n = 16, nmax = 4;
  float amax, mx;
  firstArgmax(x, n, amax, mx);
  if (amax < kGroupMaxEps) {
    for (int i = 0; i < n; ++i) Lout[i] = 0;
    return 0.0f;
  }
  const float iscale = float(-nmax) / mx;
  int L[n];
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    L[i] = clampInt(nearestInt(iscale * x[i]), -nmax, nmax - 1);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * float(L[i]);
    suml2 += w * float(L[i]) * float(L[i]);
  }
  for (int pass = 0; pass < 5; ++pass) {
    int changed = 0;
    for (int i = 0; i < n; ++i) {
      const float w = x[i] * x[i];
      float slx = sumlx - w * x[i] * float(L[i]);
      if (slx > 0) {
        float sl2 = suml2 - w * float(L[i]) * float(L[i]);
        const int nl = clampInt(nearestInt(x[i] * sl2 / slx), -nmax, nmax - 1);
        if (nl != L[i]) {
          slx += w * x[i] * float(nl);
          sl2 += w * float(nl) * float(nl);
          if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
            L[i] = nl;
            sumlx = slx;
            suml2 = sl2;
            ++changed;
          }
        }
      }
    }
    if (!changed) break;
  }
  for (int i = 0; i < n; ++i) Lout[i] = std::uint8_t(L[i] + nmax);
  return suml2 > 0 ? sumlx / suml2 : 0.0f;
}

// ---- The lane path: 8 sub-blocks in one vector (one AVX2 register) ----------------------------

typedef float v8f __attribute__((vector_size(32)));
typedef std::int32_t v8i __attribute__((vector_size(32)));
template <class V>
using IntOf = decltype(V{} < V{});  // the int vector of a float vector's lanes
template <class V>
inline constexpr int kWidth = int(sizeof(V) / 4);

#define QV_INLINE inline __attribute__((always_inline))
#if defined(__x86_64__)
#define QV_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define QV_CLONES
#endif

template <class V>
QV_INLINE V splat(float s) {
  V v;
  for (int k = 0; k < kWidth<V>; ++k) v[k] = s;
  return v;
}
template <class V>
QV_INLINE IntOf<V> splati(std::int32_t s) {
  IntOf<V> v;
  for (int k = 0; k < kWidth<V>; ++k) v[k] = s;
  return v;
}
template <class V>
QV_INLINE IntOf<V> vnearest(V v) {
  const V s = v + 12582912.0f;
  const IntOf<V> b = __builtin_bit_cast(IntOf<V>, s);
  return (b & 0x007fffff) - 0x00400000;
}
template <class I>
QV_INLINE I vclamp(I v, I lo, I hi) {
  v = v < hi ? v : hi;
  return v > lo ? v : lo;
}
template <class V>
QV_INLINE V vcvt(IntOf<V> v) { return __builtin_convertvector(v, V); }
template <class V>
QV_INLINE V vabs(V v) { return __builtin_bit_cast(V, __builtin_bit_cast(IntOf<V>, v) & 0x7fffffff); }
template <class I>
QV_INLINE bool anyLane(I m) {
  std::int32_t a = 0;
  for (int k = 0; k < int(sizeof(I) / 4); ++k) a |= m[k];
  return a != 0;
}

// The lane helpers run G independent vectors (G groups of W lanes) side by side, so that their
// sequential sums (one add after another in each lane) overlap in the pipeline. x[i][g] holds
// value i of the sub-blocks of group g.
#define QV_G for (int g = 0; g < G; ++g)

// Helper A on G x W lanes. Outputs per lane.
template <int N, int G, class vf>
QV_INLINE void fitWithMinLanes(const vf (*x)[G], const vf (*w)[G], int nmax, float rmin, float rdelta, int nstep,
                               bool useMad, vf* scaleOut, vf* theMinOut, IntOf<vf> (*L)[G]) {
  using vi = IntOf<vf>;
  const vf zero = splat<vf>(0.0f);
  const vi lo = splati<vf>(0), hi = splati<vf>(nmax);
  vf mn[G], mx[G], sumW[G], sumX[G], mn0[G], iscale[G], scale[G], bestError[G], lIscale[G], lMin[G];
  vi flat[G];
  QV_G {
    mn[g] = x[0][g];
    mx[g] = x[0][g];
    sumW[g] = w[0][g];
    sumX[g] = sumW[g] * x[0][g];
  }
  for (int i = 1; i < N; ++i) QV_G {
      mn[g] = x[i][g] < mn[g] ? x[i][g] : mn[g];
      mx[g] = x[i][g] > mx[g] ? x[i][g] : mx[g];
      sumW[g] += w[i][g];
      sumX[g] += w[i][g] * x[i][g];
    }
  QV_G {
    mn[g] = mn[g] > 0.0f ? zero : mn[g];
    flat[g] = mx[g] == mn[g];
    mn0[g] = mn[g];
    iscale[g] = float(nmax) / (mx[g] - mn[g]);
    scale[g] = 1.0f / iscale[g];
    bestError[g] = zero;
  }
  for (int i = 0; i < N; ++i) QV_G {
      const vf l = vcvt<vf>(vclamp(vnearest(iscale[g] * (x[i][g] - mn[g])), lo, hi));
      vf diff = scale[g] * l + mn[g] - x[i][g];
      diff = useMad ? vabs(diff) : diff * diff;
      bestError[g] += w[i][g] * diff;
    }
  QV_G {
    lIscale[g] = iscale[g];
    lMin[g] = mn[g];
  }
  vf aux[N][G];
  for (int is = 0; is <= nstep; ++is) {
    const float num = rmin + rdelta * float(is) + float(nmax);
    vf sumL[G], sumL2[G], sumXL[G];
    QV_G {
      iscale[g] = num / (mx[g] - mn[g]);
      sumL[g] = zero;
      sumL2[g] = zero;
      sumXL[g] = zero;
    }
    for (int i = 0; i < N; ++i) QV_G {
        const vf l = vcvt<vf>(vclamp(vnearest(iscale[g] * (x[i][g] - mn[g])), lo, hi));
        aux[i][g] = l;
        const vf wl = w[i][g] * l;
        sumL[g] += wl;
        sumL2[g] += wl * l;
        sumXL[g] += wl * x[i][g];
      }
    vf D[G], thisScale[G], thisMin[G], curError[G];
    QV_G {
      D[g] = sumW[g] * sumL2[g] - sumL[g] * sumL[g];
      thisScale[g] = (sumW[g] * sumXL[g] - sumX[g] * sumL[g]) / D[g];
      thisMin[g] = (sumL2[g] * sumX[g] - sumL[g] * sumXL[g]) / D[g];
      const vi pos = thisMin[g] > 0.0f;
      thisMin[g] = pos ? zero : thisMin[g];
      thisScale[g] = pos ? sumXL[g] / sumL2[g] : thisScale[g];
      curError[g] = zero;
    }
    for (int i = 0; i < N; ++i) QV_G {
        vf diff = thisScale[g] * aux[i][g] + thisMin[g] - x[i][g];
        diff = useMad ? vabs(diff) : diff * diff;
        curError[g] += w[i][g] * diff;
      }
    QV_G {
      const vi take = (D[g] > 0.0f) & (curError[g] < bestError[g]);
      bestError[g] = take ? curError[g] : bestError[g];
      scale[g] = take ? thisScale[g] : scale[g];
      lIscale[g] = take ? iscale[g] : lIscale[g];
      lMin[g] = take ? mn[g] : lMin[g];
      mn[g] = take ? thisMin[g] : mn[g];
    }
  }
  const vi z = splati<vf>(0);
  QV_G {
    scaleOut[g] = flat[g] ? zero : scale[g];
    theMinOut[g] = flat[g] ? -mn0[g] : -mn[g];
  }
  for (int i = 0; i < N; ++i) QV_G L[i][g] = flat[g] ? z : vclamp(vnearest(lIscale[g] * (x[i][g] - lMin[g])), lo, hi);
}

template <int G, class vf>
QV_INLINE void firstArgmaxLanes(const vf (*x)[G], int n, vf* amax, vf* mx) {
  using vi = IntOf<vf>;
  QV_G {
    amax[g] = splat<vf>(0.0f);
    mx[g] = splat<vf>(0.0f);
  }
  for (int i = 0; i < n; ++i) QV_G {
      const vf ax = vabs(x[i][g]);
      const vi gt = ax > amax[g];
      amax[g] = gt ? ax : amax[g];
      mx[g] = gt ? x[i][g] : mx[g];
    }
}

// Helper B on G x W lanes; L as q + 32.
template <int G, class vf>
QV_INLINE void fitSymmetricLanes(const vf (*x)[G], vf* scaleOut, IntOf<vf> (*L)[G]) {
  using vi = IntOf<vf>;
  constexpr int n = 16, nmax = 32;
  const vf zero = splat<vf>(0.0f);
  const vi lo = splati<vf>(-nmax), hi = splati<vf>(nmax - 1);
  vf amax[G], mx[G];
  firstArgmaxLanes<G, vf>(x, n, amax, mx);
  vf wx[n][G], w[n][G];
  for (int i = 0; i < n; ++i) QV_G {
      w[i][g] = x[i][g] * x[i][g];
      wx[i][g] = w[i][g] * x[i][g];
    }
  vf iscale[G], sumlx[G], suml2[G], scale[G], best[G], lIscale[G];
  QV_G {
    iscale[g] = float(-nmax) / mx[g];
    sumlx[g] = zero;
    suml2[g] = zero;
  }
  for (int i = 0; i < n; ++i) QV_G {
      const vf l = vcvt<vf>(vclamp(vnearest(iscale[g] * x[i][g]), lo, hi));
      sumlx[g] += wx[i][g] * l;
      suml2[g] += w[i][g] * l * l;
    }
  QV_G {
    scale[g] = suml2[g] != 0.0f ? sumlx[g] / suml2[g] : zero;
    best[g] = scale[g] * sumlx[g];
    lIscale[g] = iscale[g];
  }
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    const float num = -(float(nmax) + 0.1f * float(is));
    QV_G {
      iscale[g] = num / mx[g];
      sumlx[g] = zero;
      suml2[g] = zero;
    }
    for (int i = 0; i < n; ++i) QV_G {
        const vf l = vcvt<vf>(vclamp(vnearest(iscale[g] * x[i][g]), lo, hi));
        sumlx[g] += wx[i][g] * l;
        suml2[g] += w[i][g] * l * l;
      }
    QV_G {
      const vi take = (suml2[g] > 0.0f) & (sumlx[g] * sumlx[g] > best[g] * suml2[g]);
      scale[g] = take ? sumlx[g] / suml2[g] : scale[g];
      best[g] = take ? scale[g] * sumlx[g] : best[g];
      lIscale[g] = take ? iscale[g] : lIscale[g];
    }
  }
  const vi z = splati<vf>(0);
  vi small[G];
  QV_G {
    small[g] = amax[g] < kGroupMaxEps;
    scaleOut[g] = small[g] ? zero : scale[g];
  }
  for (int i = 0; i < n; ++i) QV_G L[i][g] = small[g] ? z : vclamp(vnearest(lIscale[g] * x[i][g]), lo, hi) + nmax;
}

// Helper C on G x W lanes; L as q + 4. A lane whose pass changed nothing is at a fixed point, so
// the further passes other lanes need leave it as the scalar path leaves it.
template <int G, class vf>
QV_INLINE void fit3BitLanes(const vf (*x)[G], vf* scaleOut, IntOf<vf> (*L)[G]) {
  using vi = IntOf<vf>;
  constexpr int n = 16, nmax = 4;
  const vf zero = splat<vf>(0.0f);
  const vi lo = splati<vf>(-nmax), hi = splati<vf>(nmax - 1);
  vf amax[G], mx[G];
  firstArgmaxLanes<G, vf>(x, n, amax, mx);
  vf iscale[G], sumlx[G], suml2[G];
  QV_G {
    iscale[g] = float(-nmax) / mx[g];
    sumlx[g] = zero;
    suml2[g] = zero;
  }
  vf w[n][G], wx[n][G], lf[n][G];
  for (int i = 0; i < n; ++i) QV_G {
      L[i][g] = vclamp(vnearest(iscale[g] * x[i][g]), lo, hi);
      lf[i][g] = vcvt<vf>(L[i][g]);
      w[i][g] = x[i][g] * x[i][g];
      wx[i][g] = w[i][g] * x[i][g];
      sumlx[g] += wx[i][g] * lf[i][g];
      suml2[g] += w[i][g] * lf[i][g] * lf[i][g];
    }
  for (int pass = 0; pass < 5; ++pass) {
    vi changed = splati<vf>(0);
    for (int i = 0; i < n; ++i) QV_G {
        vf slx = sumlx[g] - wx[i][g] * lf[i][g];
        const vi positive = slx > 0.0f;
        vf sl2 = suml2[g] - w[i][g] * lf[i][g] * lf[i][g];
        const vi nl = vclamp(vnearest(x[i][g] * sl2 / slx), lo, hi);
        const vf nlf = vcvt<vf>(nl);
        slx += wx[i][g] * nlf;
        sl2 += w[i][g] * nlf * nlf;
        const vi take =
            positive & (nl != L[i][g]) & (sl2 > 0.0f) & (slx * slx * suml2[g] > sumlx[g] * sumlx[g] * sl2);
        L[i][g] = take ? nl : L[i][g];
        lf[i][g] = take ? nlf : lf[i][g];
        sumlx[g] = take ? slx : sumlx[g];
        suml2[g] = take ? sl2 : suml2[g];
        changed |= take;
      }
    if (!anyLane(changed)) break;
  }
  const vi z = splati<vf>(0);
  QV_G {
    const vi small = amax[g] < kGroupMaxEps;
    scaleOut[g] = small ? zero : (suml2[g] > 0.0f ? sumlx[g] / suml2[g] : zero);
  }
  for (int i = 0; i < n; ++i) QV_G {
      const vi small = amax[g] < kGroupMaxEps;
      L[i][g] = small ? z : L[i][g] + nmax;
    }
}

// Element-wise requantization of `count` values (a multiple of 8): clamp(nearest((x + dm) / dd))
// into 0..nmax (withMin) or clamp(nearest(x / dd), lo, hi) + offset.
template <bool Vec>
QV_INLINE void requantMin(const float* x, int count, float dd, float dm, int nmax, std::uint8_t* L) {
  if constexpr (Vec) {
    const v8i lo = splati<v8f>(0), hi = splati<v8f>(nmax);
    for (int i = 0; i < count; i += 8) {
      v8f v;
      std::memcpy(&v, x + i, sizeof v);
      const v8i l = vclamp(vnearest((v + dm) / dd), lo, hi);
      for (int k = 0; k < 8; ++k) L[i + k] = std::uint8_t(l[k]);
    }
  } else {
    for (int i = 0; i < count; ++i) L[i] = std::uint8_t(clampInt(nearestInt((x[i] + dm) / dd), 0, nmax));
  }
}
template <bool Vec>
QV_INLINE void requantSym(const float* x, int count, float dd, int lo, int hi, std::uint8_t* L) {
  if constexpr (Vec) {
    const v8i vlo = splati<v8f>(lo), vhi = splati<v8f>(hi);
    for (int i = 0; i < count; i += 8) {
      v8f v;
      std::memcpy(&v, x + i, sizeof v);
      const v8i l = vclamp(vnearest(v / dd), vlo, vhi) - lo;
      for (int k = 0; k < 8; ++k) L[i + k] = std::uint8_t(l[k]);
    }
  } else {
    for (int i = 0; i < count; ++i) L[i] = std::uint8_t(clampInt(nearestInt(x[i] / dd), lo, hi) - lo);
  }
}

// ---- Scale fields ------------------------------------------------------------------------------

// Q4_K / Q5_K: the 6-bit scale and min of sub-block j from the 12 scale bytes.
inline void scaleMinK4(int j, const std::uint8_t* s, int& sc, int& m) {
  if (j < 4) {
    sc = s[j] & 63;
    m = s[j + 4] & 63;
  } else {
    sc = (s[j + 4] & 15) | ((s[j - 4] >> 6) << 4);
    m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
  }
}
// Q3_K: the 6-bit field of sub-block j (0..63; the scale is the field - 32).
inline int scaleFieldQ3(const std::uint8_t* s, int j) {
  const int low = j < 8 ? (s[j] & 15) : (s[j - 8] >> 4);
  const int high = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
  return low | (high << 4);
}

// Q2_K / Q3_K: 2-bit codes of the 256 values into qs[64] (value 128n + 32j + l at bit 2j of qs[32n + l]).
inline void packLow2(const std::uint8_t* L, std::uint8_t* qs) {
  for (int n = 0; n < 2; ++n)
    for (int l = 0; l < 32; ++l) {
      const std::uint8_t* p = L + 128 * n + l;
      qs[32 * n + l] = std::uint8_t(p[0] | (p[32] << 2) | (p[64] << 4) | (p[96] << 6));
    }
}

// ---- Super-block finishing (shared by both paths) -------------------------------------------

// Q2_K from the 16 fits; L holds the helper's codes and is overwritten.
template <bool Vec>
QV_INLINE void finishQ2K(const float* x, const float* scales, const float* mins, std::uint8_t* L, std::uint8_t* out) {
  constexpr float q4scale = 15.0f;
  float maxScale = 0, maxMin = 0;
  for (int j = 0; j < 16; ++j) {
    if (scales[j] > maxScale) maxScale = scales[j];
    if (mins[j] > maxMin) maxMin = mins[j];
  }
  std::uint8_t* sc = out;
  float d = 0, dmin = 0;
  std::uint16_t dh = 0, dminh = 0;
  if (maxScale > 0) {
    const float iscale = q4scale / maxScale;
    for (int j = 0; j < 16; ++j) sc[j] = std::uint8_t(nearestInt(iscale * scales[j]));
    d = maxScale / q4scale;
    dh = fp16(d);
  } else {
    for (int j = 0; j < 16; ++j) sc[j] = 0;
  }
  if (maxMin > 0) {
    const float iscale = q4scale / maxMin;
    for (int j = 0; j < 16; ++j) sc[j] = std::uint8_t(sc[j] | (nearestInt(iscale * mins[j]) << 4));
    dmin = maxMin / q4scale;
    dminh = fp16(dmin);
  }
  for (int j = 0; j < 16; ++j) {
    const float dd = f32(dh) * float(sc[j] & 15);
    if (dd == 0) continue;
    const float dm = f32(dminh) * float(sc[j] >> 4);
    requantMin<Vec>(x + 16 * j, 16, dd, dm, 3, L + 16 * j);
  }
  packLow2(L, out + 16);
  putU16(out + 80, dh);
  putU16(out + 82, dminh);
}

template <bool Vec>
QV_INLINE void finishQ3K(const float* x, const float* scales, std::uint8_t* L, std::uint8_t* out) {
  float amax = 0, maxScale = 0;
  for (int j = 0; j < 16; ++j) {
    const float a = std::fabs(scales[j]);
    if (a > amax) {
      amax = a;
      maxScale = scales[j];
    }
  }
  std::uint8_t* s = out + 96;
  std::memset(s, 0, 12);
  std::uint16_t dh = 0;
  if (maxScale != 0) {
    const float iscale = -32.0f / maxScale;
    for (int j = 0; j < 16; ++j) {
      const int l = clampInt(int(std::int8_t(nearestInt(iscale * scales[j]))), -32, 31) + 32;
      if (j < 8)
        s[j] = std::uint8_t(l & 15);
      else
        s[j - 8] = std::uint8_t(s[j - 8] | ((l & 15) << 4));
      s[8 + j % 4] = std::uint8_t(s[8 + j % 4] | ((l >> 4) << (2 * (j / 4))));
    }
    dh = fp16(1 / iscale);
  }
  for (int j = 0; j < 16; ++j) {
    const float dd = f32(dh) * float(scaleFieldQ3(s, j) - 32);
    if (dd == 0) continue;
    requantSym<Vec>(x + 16 * j, 16, dd, -4, 3, L + 16 * j);
  }
  std::uint8_t* hmask = out;
  std::memset(hmask, 0, 32);
  for (int e = 0; e < kQK; ++e)
    if (L[e] > 3) {
      hmask[e % 32] = std::uint8_t(hmask[e % 32] | (1 << (e / 32)));
      L[e] = std::uint8_t(L[e] - 4);
    }
  packLow2(L, out + 32);
  putU16(out + 108, dh);
}

// Q4_K (nmax 15) and Q5_K (nmax 31) from the 8 fits.
template <bool Vec, bool Q5>
QV_INLINE void finishQ45K(const float* x, const float* scales, const float* mins, std::uint8_t* L, std::uint8_t* out) {
  constexpr int nmax = Q5 ? 31 : 15;
  float maxScale = 0, maxMin = 0;
  for (int j = 0; j < 8; ++j) {
    if (scales[j] > maxScale) maxScale = scales[j];
    if (mins[j] > maxMin) maxMin = mins[j];
  }
  const float invScale = maxScale > 0 ? 63.0f / maxScale : 0.0f;
  const float invMin = maxMin > 0 ? 63.0f / maxMin : 0.0f;
  std::uint8_t* s = out + 4;
  for (int j = 0; j < 8; ++j) {
    const std::uint8_t ls = std::min<std::uint8_t>(63, std::uint8_t(nearestInt(invScale * scales[j])));
    const std::uint8_t lm = std::min<std::uint8_t>(63, std::uint8_t(nearestInt(invMin * mins[j])));
    if (j < 4) {
      s[j] = ls;
      s[j + 4] = lm;
    } else {
      s[j + 4] = std::uint8_t((ls & 15) | ((lm & 15) << 4));
      s[j - 4] = std::uint8_t(s[j - 4] | ((ls >> 4) << 6));
      s[j] = std::uint8_t(s[j] | ((lm >> 4) << 6));
    }
  }
  const std::uint16_t dh = fp16(maxScale / 63.0f), dminh = fp16(maxMin / 63.0f);
  putU16(out, dh);
  putU16(out + 2, dminh);
  for (int j = 0; j < 8; ++j) {
    int sc, m;
    scaleMinK4(j, s, sc, m);
    const float dd = f32(dh) * float(sc);
    if (dd == 0) continue;
    const float dm = f32(dminh) * float(m);
    requantMin<Vec>(x + 32 * j, 32, dd, dm, nmax, L + 32 * j);
  }
  if constexpr (Q5) {
    std::uint8_t* qh = out + 16;
    std::uint8_t* ql = out + 48;
    std::memset(qh, 0, 32);
    for (int c = 0; c < 4; ++c) {
      for (int l = 0; l < 32; ++l) {
        int l1 = L[64 * c + l], l2 = L[64 * c + 32 + l];
        if (l1 > 15) {
          l1 -= 16;
          qh[l] = std::uint8_t(qh[l] | (1 << (2 * c)));
        }
        if (l2 > 15) {
          l2 -= 16;
          qh[l] = std::uint8_t(qh[l] | (2 << (2 * c)));
        }
        ql[32 * c + l] = std::uint8_t(l1 | (l2 << 4));
      }
    }
  } else {
    std::uint8_t* q = out + 16;
    for (int c = 0; c < 4; ++c)
      for (int l = 0; l < 32; ++l) q[32 * c + l] = std::uint8_t(L[64 * c + l] | (L[64 * c + 32 + l] << 4));
  }
}

template <bool Vec>
QV_INLINE void finishQ6K(const float* x, const float* scales, std::uint8_t* L, std::uint8_t* out) {
  float maxAbs = 0, maxScale = 0;
  for (int j = 0; j < 16; ++j) {
    const float a = std::fabs(scales[j]);
    if (a > maxAbs) {
      maxAbs = a;
      maxScale = scales[j];
    }
  }
  if (maxAbs < kGroupMaxEps) {
    std::memset(out, 0, 210);
    return;
  }
  const float iscale = -128.0f / maxScale;
  const std::uint16_t dh = fp16(1 / iscale);
  std::int8_t* sc = reinterpret_cast<std::int8_t*>(out + 192);
  for (int j = 0; j < 16; ++j) sc[j] = std::int8_t(std::min(127, nearestInt(iscale * scales[j])));
  for (int j = 0; j < 16; ++j) {
    const float dd = f32(dh) * float(sc[j]);
    if (dd == 0) continue;
    requantSym<Vec>(x + 16 * j, 16, dd, -32, 31, L + 16 * j);
  }
  std::uint8_t* ql = out;
  std::uint8_t* qh = out + 128;
  for (int n = 0; n < 2; ++n) {
    const std::uint8_t* p = L + 128 * n;
    for (int l = 0; l < 32; ++l) {
      ql[64 * n + l] = std::uint8_t((p[l] & 15) | ((p[l + 64] & 15) << 4));
      ql[64 * n + 32 + l] = std::uint8_t((p[l + 32] & 15) | ((p[l + 96] & 15) << 4));
      qh[32 * n + l] = std::uint8_t((p[l] >> 4) | ((p[l + 32] >> 4) << 2) | ((p[l + 64] >> 4) << 4) | ((p[l + 96] >> 4) << 6));
    }
  }
  putU16(out + 208, dh);
}

// ---- The scalar path ---------------------------------------------------------------------------

void quantizeQ2KScalar(const float* x, std::size_t blocks, std::uint8_t* out) {
  for (std::size_t b = 0; b < blocks; ++b, x += kQK, out += 84) {
    float scales[16], mins[16], w[16];
    std::uint8_t L[kQK];
    for (int j = 0; j < 16; ++j) {
      for (int l = 0; l < 16; ++l) w[l] = std::fabs(x[16 * j + l]);
      scales[j] = fitWithMin(16, 3, x + 16 * j, w, L + 16 * j, &mins[j], -0.5f, 0.1f, 15, true);
    }
    finishQ2K<false>(x, scales, mins, L, out);
  }
}
void quantizeQ3KScalar(const float* x, std::size_t blocks, std::uint8_t* out) {
  for (std::size_t b = 0; b < blocks; ++b, x += kQK, out += 110) {
    float scales[16];
    std::uint8_t L[kQK];
    for (int j = 0; j < 16; ++j) scales[j] = fit3Bit16(x + 16 * j, L + 16 * j);
    finishQ3K<false>(x, scales, L, out);
  }
}
template <bool Q5>
void quantizeQ45KScalar(const float* x, std::size_t blocks, std::uint8_t* out) {
  for (std::size_t b = 0; b < blocks; ++b, x += kQK, out += Q5 ? 176 : 144) {
    float scales[8], mins[8], w[32];
    std::uint8_t L[kQK];
    for (int j = 0; j < 8; ++j) {
      float sumX2 = 0;
      for (int l = 0; l < 32; ++l) sumX2 += x[32 * j + l] * x[32 * j + l];
      const float av = std::sqrt(sumX2 / 32);
      for (int l = 0; l < 32; ++l) w[l] = av + std::fabs(x[32 * j + l]);
      if (Q5)
        scales[j] = fitWithMin(32, 31, x + 32 * j, w, L + 32 * j, &mins[j], -0.5f, 0.1f, 15, false);
      else
        scales[j] = fitWithMin(32, 15, x + 32 * j, w, L + 32 * j, &mins[j], -1.0f, 0.1f, 20, false);
    }
    finishQ45K<false, Q5>(x, scales, mins, L, out);
  }
}
void quantizeQ6KScalar(const float* x, std::size_t blocks, std::uint8_t* out) {
  for (std::size_t b = 0; b < blocks; ++b, x += kQK, out += 210) {
    float scales[16];
    std::uint8_t L[kQK];
    for (int j = 0; j < 16; ++j) scales[j] = fitSymmetric16(x + 16 * j, L + 16 * j);
    finishQ6K<false>(x, scales, L, out);
  }
}

// ---- The lane path -------------------------------------------------------------------------------

// Gathers value i of lane k of group g (sub[g][k] points at its sub-block) into t[i][g][k], and
// scatters the codes back.
template <int N, int G, class vf>
QV_INLINE void gatherLanes(const float* const (*sub)[kWidth<vf>], vf (*t)[G]) {
  QV_G for (int k = 0; k < kWidth<vf>; ++k) for (int i = 0; i < N; ++i) t[i][g][k] = sub[g][k][i];
}
template <int N, int G, class vi>
QV_INLINE void scatterCodes(const vi (*L)[G], std::uint8_t* const (*dst)[int(sizeof(vi) / 4)]) {
  QV_G for (int k = 0; k < int(sizeof(vi) / 4); ++k) for (int i = 0; i < N; ++i) dst[g][k][i] = std::uint8_t(L[i][g][k]);
}

// One batch of G x W sub-blocks of SB values: slot s = g * W + k is sub-block s % (256 / SB) of the
// batch's super-block s / (256 / SB); a short last batch repeats its last super-block.
template <class vf, int G, int SB>
struct Batch {
  static constexpr int W = kWidth<vf>, perBlock = kQK / SB, blocks = W * G / perBlock;
  const float* xs[blocks];
  std::uint8_t L[blocks][kQK];
  const float* sub[G][W];
  std::uint8_t* dst[G][W];
  std::size_t count;
  Batch(const float* x, std::size_t b, std::size_t total) : count(std::min<std::size_t>(blocks, total - b)) {
    for (int h = 0; h < blocks; ++h) xs[h] = x + (b + std::min<std::size_t>(std::size_t(h), count - 1)) * kQK;
    for (int g = 0; g < G; ++g)
      for (int k = 0; k < W; ++k) {
        const int s = g * W + k;
        sub[g][k] = xs[s / perBlock] + SB * (s % perBlock);
        dst[g][k] = L[s / perBlock] + SB * (s % perBlock);
      }
  }
  // Lane values of super-block h (perBlock of them) out of G vectors.
  static void lanesOf(const vf* v, int h, float* outv) {
    for (int j = 0; j < perBlock; ++j) {
      const int s = h * perBlock + j;
      outv[j] = v[s / W][s % W];
    }
  }
};

// Q2_K (2), Q3_K (3), Q6_K (6): sub-blocks of 16.
template <int Fmt, class vf, int G>
QV_INLINE void quantize16Lanes(const float* x, std::size_t blocks, std::uint8_t* out) {
  using B = Batch<vf, G, 16>;
  constexpr std::size_t bb = Fmt == 2 ? 84 : Fmt == 3 ? 110 : 210;
  for (std::size_t b = 0; b < blocks; b += B::blocks) {
    B batch(x, b, blocks);
    vf xt[16][G];
    gatherLanes<16, G>(batch.sub, xt);
    vf scale[G], theMin[G];
    IntOf<vf> Lv[16][G];
    if constexpr (Fmt == 2) {
      vf w[16][G];
      for (int i = 0; i < 16; ++i) QV_G w[i][g] = vabs(xt[i][g]);
      fitWithMinLanes<16, G>(xt, w, 3, -0.5f, 0.1f, 15, true, scale, theMin, Lv);
    } else if constexpr (Fmt == 3) {
      fit3BitLanes<G>(xt, scale, Lv);
    } else {
      fitSymmetricLanes<G>(xt, scale, Lv);
    }
    scatterCodes<16, G>(Lv, batch.dst);
    for (std::size_t h = 0; h < batch.count; ++h) {
      float scales[16], mins[16];
      B::lanesOf(scale, int(h), scales);
      std::uint8_t* o = out + (b + h) * bb;
      if constexpr (Fmt == 2) {
        B::lanesOf(theMin, int(h), mins);
        finishQ2K<true>(batch.xs[h], scales, mins, batch.L[h], o);
      } else if constexpr (Fmt == 3) {
        finishQ3K<true>(batch.xs[h], scales, batch.L[h], o);
      } else {
        finishQ6K<true>(batch.xs[h], scales, batch.L[h], o);
      }
    }
  }
}

// Q4_K, Q5_K: sub-blocks of 32.
template <bool Q5, class vf, int G>
QV_INLINE void quantize32Lanes(const float* x, std::size_t blocks, std::uint8_t* out) {
  using B = Batch<vf, G, 32>;
  constexpr std::size_t bb = Q5 ? 176 : 144;
  for (std::size_t b = 0; b < blocks; b += B::blocks) {
    B batch(x, b, blocks);
    vf xt[32][G], w[32][G];
    gatherLanes<32, G>(batch.sub, xt);
    QV_G {
      vf sumX2 = splat<vf>(0.0f);
      for (int i = 0; i < 32; ++i) sumX2 += xt[i][g] * xt[i][g];
      const vf q = sumX2 / 32.0f;
      vf av;
      for (int k = 0; k < kWidth<vf>; ++k) av[k] = std::sqrt(q[k]);
      for (int i = 0; i < 32; ++i) w[i][g] = av + vabs(xt[i][g]);
    }
    vf scale[G], theMin[G];
    IntOf<vf> Lv[32][G];
    if constexpr (Q5)
      fitWithMinLanes<32, G>(xt, w, 31, -0.5f, 0.1f, 15, false, scale, theMin, Lv);
    else
      fitWithMinLanes<32, G>(xt, w, 15, -1.0f, 0.1f, 20, false, scale, theMin, Lv);
    scatterCodes<32, G>(Lv, batch.dst);
    for (std::size_t h = 0; h < batch.count; ++h) {
      float scales[8], mins[8];
      B::lanesOf(scale, int(h), scales);
      B::lanesOf(theMin, int(h), mins);
      finishQ45K<true, Q5>(batch.xs[h], scales, mins, batch.L[h], out + (b + h) * bb);
    }
  }
}

// 8 lanes, cloned for AVX2 and the baseline. (16 lanes with AVX-512F measured 1.5x slower on the
// development machine's AMD EPYC, so there is no such variant.)
QV_CLONES void quantizeQ2KLanes8(const float* x, std::size_t n, std::uint8_t* o) { quantize16Lanes<2, v8f, 2>(x, n, o); }
QV_CLONES void quantizeQ3KLanes8(const float* x, std::size_t n, std::uint8_t* o) { quantize16Lanes<3, v8f, 2>(x, n, o); }
QV_CLONES void quantizeQ4KLanes8(const float* x, std::size_t n, std::uint8_t* o) { quantize32Lanes<false, v8f, 2>(x, n, o); }
QV_CLONES void quantizeQ5KLanes8(const float* x, std::size_t n, std::uint8_t* o) { quantize32Lanes<true, v8f, 2>(x, n, o); }
QV_CLONES void quantizeQ6KLanes8(const float* x, std::size_t n, std::uint8_t* o) { quantize16Lanes<6, v8f, 2>(x, n, o); }

using QuantizeFn = void (*)(const float*, std::size_t, std::uint8_t*);
// The lane quantizer of f, null when f is no k-quant.
QuantizeFn lanesFor(TensorFormat f) {
  static constexpr int kFormats = 5;
  static const QuantizeFn fns[kFormats] = {quantizeQ2KLanes8, quantizeQ3KLanes8, quantizeQ4KLanes8, quantizeQ5KLanes8,
                                           quantizeQ6KLanes8};
  const int i = int(f) - int(TensorFormat::Q2_K);
  return i >= 0 && i < kFormats ? fns[i] : nullptr;
}

// ---- Dequantize (straight loops the compiler vectorizes) ----------------------------------------

// The codes first (q as a signed byte, in element order), then one multiply (and subtract) per
// value with its sub-block's dl (ml): two loops the compiler vectorizes.
void dequantizeQ2K(const std::uint8_t* in, std::size_t blocks, float, float* y) {
  for (std::size_t b = 0; b < blocks; ++b, in += 84, y += kQK) {
    const float d = f32(getU16(in + 80)), dmin = f32(getU16(in + 82));
    std::int8_t q[kQK];
    for (int n = 0; n < 2; ++n)
      for (int j = 0; j < 4; ++j) {
        const std::uint8_t* qs = in + 16 + 32 * n;
        std::int8_t* o = q + 128 * n + 32 * j;
        for (int l = 0; l < 32; ++l) o[l] = std::int8_t((qs[l] >> (2 * j)) & 3);
      }
    for (int sb = 0; sb < 16; ++sb) {
      const float dl = d * float(in[sb] & 15), ml = dmin * float(in[sb] >> 4);
      for (int l = 0; l < 16; ++l) y[16 * sb + l] = dl * float(q[16 * sb + l]) - ml;
    }
  }
}
void dequantizeQ3K(const std::uint8_t* in, std::size_t blocks, float, float* y) {
  for (std::size_t b = 0; b < blocks; ++b, in += 110, y += kQK) {
    const float d = f32(getU16(in + 108));
    std::int8_t q[kQK];
    for (int n = 0; n < 2; ++n)
      for (int j = 0; j < 4; ++j) {
        const std::uint8_t* qs = in + 32 + 32 * n;
        const int bit = 4 * n + j;
        std::int8_t* o = q + 128 * n + 32 * j;
        for (int l = 0; l < 32; ++l) o[l] = std::int8_t(((qs[l] >> (2 * j)) & 3) - (((in[l] >> bit) & 1) ? 0 : 4));
      }
    for (int sb = 0; sb < 16; ++sb) {
      const float dl = d * float(scaleFieldQ3(in + 96, sb) - 32);
      for (int l = 0; l < 16; ++l) y[16 * sb + l] = dl * float(q[16 * sb + l]);
    }
  }
}
template <bool Q5>
void dequantizeQ45K(const std::uint8_t* in, std::size_t blocks, float, float* y) {
  constexpr std::size_t bb = Q5 ? 176 : 144;
  for (std::size_t b = 0; b < blocks; ++b, in += bb, y += kQK) {
    const float d = f32(getU16(in)), dmin = f32(getU16(in + 2));
    const std::uint8_t* qs = in + (Q5 ? 48 : 16);
    const std::uint8_t* qh = in + 16;
    for (int c = 0; c < 4; ++c)
      for (int h = 0; h < 2; ++h) {
        int sc, m;
        scaleMinK4(2 * c + h, in + 4, sc, m);
        const float d1 = d * float(sc), m1 = dmin * float(m);
        const std::uint8_t* q = qs + 32 * c;
        float* o = y + 64 * c + 32 * h;
        const int shift = 4 * h, hb = 2 * c + h;
        for (int l = 0; l < 32; ++l) {
          int v = (q[l] >> shift) & 15;
          if constexpr (Q5) v += ((qh[l] >> hb) & 1) << 4;
          o[l] = d1 * float(v) - m1;
        }
      }
  }
}
void dequantizeQ6K(const std::uint8_t* in, std::size_t blocks, float, float* y) {
  for (std::size_t b = 0; b < blocks; ++b, in += 210, y += kQK) {
    const float d = f32(getU16(in + 208));
    const std::int8_t* sc = reinterpret_cast<const std::int8_t*>(in + 192);
    std::int8_t q[kQK];
    for (int n = 0; n < 2; ++n)
      for (int k = 0; k < 4; ++k) {
        const std::uint8_t* ql = in + 64 * n + 32 * (k % 2);
        const std::uint8_t* qh = in + 128 + 32 * n;
        const int shift = k < 2 ? 0 : 4;
        std::int8_t* o = q + 128 * n + 32 * k;
        for (int l = 0; l < 32; ++l) o[l] = std::int8_t((((ql[l] >> shift) & 15) | (((qh[l] >> (2 * k)) & 3) << 4)) - 32);
      }
    for (int sb = 0; sb < 16; ++sb) {
      const float dl = d * float(sc[sb]);
      for (int l = 0; l < 16; ++l) y[16 * sb + l] = dl * float(q[16 * sb + l]);
    }
  }
}

// ---- Codes and inspection ------------------------------------------------------------------------

void codesQ2K(const std::uint8_t* in, std::uint8_t* out) {
  for (int e = 0; e < kQK; ++e) {
    const int n = e / 128, j = (e / 32) % 4, r = e % 32;
    out[e] = std::uint8_t((in[16 + 32 * n + r] >> (2 * j)) & 3);
  }
}
void codesQ3K(const std::uint8_t* in, std::uint8_t* out) {
  for (int e = 0; e < kQK; ++e) {
    const int n = e / 128, j = (e / 32) % 4, r = e % 32;
    const int low = (in[32 + 32 * n + r] >> (2 * j)) & 3, high = (in[r] >> (4 * n + j)) & 1;
    out[e] = std::uint8_t(low + 4 * high);  // q + 4
  }
}
template <bool Q5>
void codesQ45K(const std::uint8_t* in, std::uint8_t* out) {
  const std::uint8_t* qs = in + (Q5 ? 48 : 16);
  for (int e = 0; e < kQK; ++e) {
    const int c = e / 64, h = (e / 32) % 2, l = e % 32;
    int v = (qs[32 * c + l] >> (4 * h)) & 15;
    if (Q5) v |= ((in[16 + l] >> (2 * c + h)) & 1) << 4;
    out[e] = std::uint8_t(v);
  }
}
void codesQ6K(const std::uint8_t* in, std::uint8_t* out) {
  for (int e = 0; e < kQK; ++e) {
    const int n = e / 128, k = (e / 32) % 4, l = e % 32;
    const int low = (in[64 * n + l + 32 * (k % 2)] >> (k < 2 ? 0 : 4)) & 15;
    const int high = (in[128 + 32 * n + l] >> (2 * k)) & 3;
    out[e] = std::uint8_t(low | (high << 4));  // q + 32
  }
}

BlockView::Constant constant(std::string name, std::uint32_t raw, int bits, float value) {
  BlockView::Constant c;
  c.name = std::move(name);
  c.raw = raw;
  c.rawBits = bits;
  c.value = value;
  return c;
}
std::string idx(const char* name, int j) { return std::string(name) + "[" + std::to_string(j) + "]"; }

// Codes, decoded values and each sub-block's levels (ascending) from the block's own decoder.
void fillValues(BlockView& v, const std::uint8_t* block, void (*codes)(const std::uint8_t*, std::uint8_t*),
                void (*dequantize)(const std::uint8_t*, std::size_t, float, float*), int subBlocks) {
  v.subBlocks = subBlocks;
  v.codes.resize(kQK);
  v.values.resize(kQK);
  codes(block, v.codes.data());
  dequantize(block, 1, 0.0f, v.values.data());
}
void sortLevels(BlockView& v) {
  for (auto& l : v.levels) std::sort(l.begin(), l.end());
}

void inspectQ2K(const std::uint8_t* in, float, BlockView& v) {
  v = {};
  v.structure = "super-block of 256: 16 sub-blocks of 16, 4-bit scale and 4-bit min each, fp16 d and dmin";
  const std::uint16_t dh = getU16(in + 80), mh = getU16(in + 82);
  const float d = f32(dh), dmin = f32(mh);
  for (int j = 0; j < 16; ++j) {
    const float dl = d * float(in[j] & 15), ml = dmin * float(in[j] >> 4);
    v.constants.push_back(constant(idx("scale", j), in[j] & 15u, 4, dl));
    v.constants.push_back(constant(idx("min", j), unsigned(in[j] >> 4), 4, ml));
    std::vector<float> lv;
    for (int q = 0; q < 4; ++q) lv.push_back(dl * float(q) - ml);
    v.levels.push_back(lv);
  }
  v.constants.push_back(constant("d", dh, 16, d));
  v.constants.push_back(constant("dmin", mh, 16, dmin));
  fillValues(v, in, codesQ2K, dequantizeQ2K, 16);
  sortLevels(v);
}
void inspectQ3K(const std::uint8_t* in, float, BlockView& v) {
  v = {};
  v.structure = "super-block of 256: 16 sub-blocks of 16, 6-bit signed scale each (field - 32), fp16 d";
  const std::uint16_t dh = getU16(in + 108);
  const float d = f32(dh);
  for (int j = 0; j < 16; ++j) {
    const int field = scaleFieldQ3(in + 96, j);
    const float dl = d * float(field - 32);
    v.constants.push_back(constant(idx("scale", j), unsigned(field), 6, dl));
    std::vector<float> lv;
    for (int q = -4; q < 4; ++q) lv.push_back(dl * float(q));
    v.levels.push_back(lv);
  }
  v.constants.push_back(constant("d", dh, 16, d));
  fillValues(v, in, codesQ3K, dequantizeQ3K, 16);
  sortLevels(v);
}
template <bool Q5>
void inspectQ45K(const std::uint8_t* in, float, BlockView& v) {
  v = {};
  v.structure = "super-block of 256: 8 sub-blocks of 32, 6-bit scale and 6-bit min each, fp16 d and dmin";
  const std::uint16_t dh = getU16(in), mh = getU16(in + 2);
  const float d = f32(dh), dmin = f32(mh);
  v.constants.push_back(constant("d", dh, 16, d));
  v.constants.push_back(constant("dmin", mh, 16, dmin));
  for (int j = 0; j < 8; ++j) {
    int sc, m;
    scaleMinK4(j, in + 4, sc, m);
    const float dl = d * float(sc), ml = dmin * float(m);
    v.constants.push_back(constant(idx("scale", j), unsigned(sc), 6, dl));
    v.constants.push_back(constant(idx("min", j), unsigned(m), 6, ml));
    std::vector<float> lv;
    for (int q = 0; q < (Q5 ? 32 : 16); ++q) lv.push_back(dl * float(q) - ml);
    v.levels.push_back(lv);
  }
  fillValues(v, in, codesQ45K<Q5>, dequantizeQ45K<Q5>, 8);
  sortLevels(v);
}
void inspectQ6K(const std::uint8_t* in, float, BlockView& v) {
  v = {};
  v.structure = "super-block of 256: 16 sub-blocks of 16, int8 scale each, fp16 d";
  const std::uint16_t dh = getU16(in + 208);
  const float d = f32(dh);
  for (int j = 0; j < 16; ++j) {
    const std::int8_t s = std::int8_t(in[192 + j]);
    const float dl = d * float(s);
    v.constants.push_back(constant(idx("scale", j), in[192 + j], 8, dl));
    std::vector<float> lv;
    for (int q = -32; q < 32; ++q) lv.push_back(dl * float(q));
    v.levels.push_back(lv);
  }
  v.constants.push_back(constant("d", dh, 16, d));
  fillValues(v, in, codesQ6K, dequantizeQ6K, 16);
  sortLevels(v);
}

// ---- The codec entries ----------------------------------------------------------------------------

void quantizeQ2K(const float* x, std::size_t blocks, float, std::uint8_t* out) {
  simdEnabled() ? lanesFor(TensorFormat::Q2_K)(x, blocks, out) : quantizeQ2KScalar(x, blocks, out);
}
void quantizeQ3K(const float* x, std::size_t blocks, float, std::uint8_t* out) {
  simdEnabled() ? lanesFor(TensorFormat::Q3_K)(x, blocks, out) : quantizeQ3KScalar(x, blocks, out);
}
void quantizeQ4K(const float* x, std::size_t blocks, float, std::uint8_t* out) {
  simdEnabled() ? lanesFor(TensorFormat::Q4_K)(x, blocks, out) : quantizeQ45KScalar<false>(x, blocks, out);
}
void quantizeQ5K(const float* x, std::size_t blocks, float, std::uint8_t* out) {
  simdEnabled() ? lanesFor(TensorFormat::Q5_K)(x, blocks, out) : quantizeQ45KScalar<true>(x, blocks, out);
}
void quantizeQ6K(const float* x, std::size_t blocks, float, std::uint8_t* out) {
  simdEnabled() ? lanesFor(TensorFormat::Q6_K)(x, blocks, out) : quantizeQ6KScalar(x, blocks, out);
}

}  // namespace

namespace ggml {

bool kquantQuantizeScalar(TensorFormat f, const float* x, std::size_t blocks, std::uint8_t* out) {
  switch (f) {
    case TensorFormat::Q2_K: quantizeQ2KScalar(x, blocks, out); return true;
    case TensorFormat::Q3_K: quantizeQ3KScalar(x, blocks, out); return true;
    case TensorFormat::Q4_K: quantizeQ45KScalar<false>(x, blocks, out); return true;
    case TensorFormat::Q5_K: quantizeQ45KScalar<true>(x, blocks, out); return true;
    case TensorFormat::Q6_K: quantizeQ6KScalar(x, blocks, out); return true;
    default: return false;
  }
}
bool kquantQuantizeSimd(TensorFormat f, const float* x, std::size_t blocks, std::uint8_t* out) {
  const QuantizeFn fn = lanesFor(f);
  if (!fn) return false;
  fn(x, blocks, out);
  return true;
}

}  // namespace ggml

std::vector<FormatDesc> ggmlKQuantFormats() {
  using formats::rawDesc;
  std::vector<FormatDesc> v = {
      rawDesc(TensorFormat::Q2_K, "q2_k", "ggml_kquants", "ggml", "ggml Q2_K: 256 = 16 x 16, 4-bit scale and min each, fp16 d and dmin", 2, 256, 84),
      rawDesc(TensorFormat::Q3_K, "q3_k", "ggml_kquants", "ggml", "ggml Q3_K: 256 = 16 x 16, 6-bit scales, fp16 d", 3, 256, 110),
      rawDesc(TensorFormat::Q4_K, "q4_k", "ggml_kquants", "ggml", "ggml Q4_K: 256 = 8 x 32, 6-bit scale and min each, fp16 d and dmin", 4, 256, 144),
      rawDesc(TensorFormat::Q5_K, "q5_k", "ggml_kquants", "ggml", "ggml Q5_K: 256 = 8 x 32, 6-bit scale and min each, fp16 d and dmin", 5, 256, 176),
      rawDesc(TensorFormat::Q6_K, "q6_k", "ggml_kquants", "ggml", "ggml Q6_K: 256 = 16 x 16, int8 scales, fp16 d", 6, 256, 210),
  };
  const struct {
    void (*q)(const float*, std::size_t, float, std::uint8_t*);
    void (*d)(const std::uint8_t*, std::size_t, float, float*);
    void (*c)(const std::uint8_t*, std::uint8_t*);
    void (*i)(const std::uint8_t*, float, BlockView&);
  } codecs[] = {
      {quantizeQ2K, dequantizeQ2K, codesQ2K, inspectQ2K},
      {quantizeQ3K, dequantizeQ3K, codesQ3K, inspectQ3K},
      {quantizeQ4K, dequantizeQ45K<false>, codesQ45K<false>, inspectQ45K<false>},
      {quantizeQ5K, dequantizeQ45K<true>, codesQ45K<true>, inspectQ45K<true>},
      {quantizeQ6K, dequantizeQ6K, codesQ6K, inspectQ6K},
  };
  for (std::size_t k = 0; k < v.size(); ++k) v[k] = formats::withCodec(v[k], codecs[k].q, codecs[k].d, codecs[k].c, codecs[k].i);
  return v;
}

}  // namespace qviz::core
