// crypto/detail/fe25519_ifma.h -- eight field elements at a time with AVX-512 IFMA.
//
// Internal to crypto/detail/pow_ifma.cc and msm_ifma.cc, the only files that
// call it, and only after ifma_available() (pow_batch.h) said yes. Every
// function carries a target attribute instead of the whole build being
// compiled for AVX-512.
//
// A v8 holds eight elements, one per 64-bit lane, in the radix 2^51 of
// fe25519.h: vector k holds limb k of all eight. vpmadd52luq / vpmadd52huq
// multiply the low 52 bits of each lane and add the low / high 52 bits of the
// 104-bit product to an accumulator, so every multiplication input must have
// limbs below 2^52. Every function here returns limbs below 2^51 + 2^16 (add
// and sub carry for that reason), so any result may be multiplied.
//
// In radix 2^51 the high half of a_i b_j weighs 2^(51(i+j+1)) * 2, so high
// halves are summed apart and doubled (squaring's off-diagonal terms once
// more); columns 5..9 fold into 0..4 times 19; one parallel carry finishes.
// The multiplication and squaring are written out in full: compilers keep
// loops over arrays of vectors in memory, which made them three times slower.
//
// Variable time; thread safety: pure functions.
#pragma once

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <immintrin.h>

#include <cstdint>

#include "crypto/detail/fe25519.h"

#define SHOAL_IFMA __attribute__((target("avx512f,avx512ifma")))
#define SHOAL_IFMA_INLINE SHOAL_IFMA inline __attribute__((always_inline))

namespace crypto::detail::ifma {

struct v8 {
    __m512i l[5];
};

// The masked (all lanes) shift forms are the same instructions; they avoid
// GCC 12's false -Wuninitialized on the unmasked intrinsics' _mm512_undefined_epi32().
inline constexpr __mmask8 all_lanes = 0xFF;

SHOAL_IFMA_INLINE __m512i lo(__m512i acc, __m512i a, __m512i b) noexcept { return _mm512_madd52lo_epu64(acc, a, b); }
SHOAL_IFMA_INLINE __m512i hi(__m512i acc, __m512i a, __m512i b) noexcept { return _mm512_madd52hi_epu64(acc, a, b); }
SHOAL_IFMA_INLINE __m512i vadd(__m512i a, __m512i b) noexcept { return _mm512_add_epi64(a, b); }
SHOAL_IFMA_INLINE __m512i shl(__m512i a, unsigned n) noexcept { return _mm512_maskz_slli_epi64(all_lanes, a, n); }
SHOAL_IFMA_INLINE __m512i shr(__m512i a, unsigned n) noexcept { return _mm512_maskz_srli_epi64(all_lanes, a, n); }
SHOAL_IFMA_INLINE __m512i times19(__m512i a) noexcept { return vadd(vadd(a, shl(a, 1)), shl(a, 4)); }

// Folds ten columns (each < 2^57) into a loose element: columns 5..9 come
// back times 19 (then < 2^62); one parallel carry leaves limbs < 2^51 + 2^16.
SHOAL_IFMA_INLINE v8 fold_carry(const __m512i z[10]) noexcept {
    const __m512i mask = _mm512_set1_epi64((std::int64_t{1} << 51) - 1);
    const __m512i t0 = vadd(z[0], times19(z[5]));
    const __m512i t1 = vadd(z[1], times19(z[6]));
    const __m512i t2 = vadd(z[2], times19(z[7]));
    const __m512i t3 = vadd(z[3], times19(z[8]));
    const __m512i t4 = vadd(z[4], times19(z[9]));
    v8 r;
    r.l[0] = vadd(_mm512_and_si512(t0, mask), times19(shr(t4, 51)));
    r.l[1] = vadd(_mm512_and_si512(t1, mask), shr(t0, 51));
    r.l[2] = vadd(_mm512_and_si512(t2, mask), shr(t1, 51));
    r.l[3] = vadd(_mm512_and_si512(t3, mask), shr(t2, 51));
    r.l[4] = vadd(_mm512_and_si512(t4, mask), shr(t3, 51));
    return r;
}

// One parallel carry of limbs < 2^62: result limbs < 2^51 + 2^16.
SHOAL_IFMA_INLINE v8 carry(const v8& a) noexcept {
    const __m512i mask = _mm512_set1_epi64((std::int64_t{1} << 51) - 1);
    v8 r;
    r.l[0] = vadd(_mm512_and_si512(a.l[0], mask), times19(shr(a.l[4], 51)));
    r.l[1] = vadd(_mm512_and_si512(a.l[1], mask), shr(a.l[0], 51));
    r.l[2] = vadd(_mm512_and_si512(a.l[2], mask), shr(a.l[1], 51));
    r.l[3] = vadd(_mm512_and_si512(a.l[3], mask), shr(a.l[2], 51));
    r.l[4] = vadd(_mm512_and_si512(a.l[4], mask), shr(a.l[3], 51));
    return r;
}

SHOAL_IFMA_INLINE v8 mul(const v8& a, const v8& b) noexcept {
    const __m512i zero = _mm512_setzero_si512();
    const __m512i l0 = lo(zero, a.l[0], b.l[0]);
    const __m512i l1 = lo(lo(zero, a.l[0], b.l[1]), a.l[1], b.l[0]);
    const __m512i l2 = lo(lo(lo(zero, a.l[0], b.l[2]), a.l[1], b.l[1]), a.l[2], b.l[0]);
    const __m512i l3 = lo(lo(lo(lo(zero, a.l[0], b.l[3]), a.l[1], b.l[2]), a.l[2], b.l[1]), a.l[3], b.l[0]);
    const __m512i l4 =
        lo(lo(lo(lo(lo(zero, a.l[0], b.l[4]), a.l[1], b.l[3]), a.l[2], b.l[2]), a.l[3], b.l[1]), a.l[4], b.l[0]);
    const __m512i l5 = lo(lo(lo(lo(zero, a.l[1], b.l[4]), a.l[2], b.l[3]), a.l[3], b.l[2]), a.l[4], b.l[1]);
    const __m512i l6 = lo(lo(lo(zero, a.l[2], b.l[4]), a.l[3], b.l[3]), a.l[4], b.l[2]);
    const __m512i l7 = lo(lo(zero, a.l[3], b.l[4]), a.l[4], b.l[3]);
    const __m512i l8 = lo(zero, a.l[4], b.l[4]);
    const __m512i h1 = hi(zero, a.l[0], b.l[0]);
    const __m512i h2 = hi(hi(zero, a.l[0], b.l[1]), a.l[1], b.l[0]);
    const __m512i h3 = hi(hi(hi(zero, a.l[0], b.l[2]), a.l[1], b.l[1]), a.l[2], b.l[0]);
    const __m512i h4 = hi(hi(hi(hi(zero, a.l[0], b.l[3]), a.l[1], b.l[2]), a.l[2], b.l[1]), a.l[3], b.l[0]);
    const __m512i h5 =
        hi(hi(hi(hi(hi(zero, a.l[0], b.l[4]), a.l[1], b.l[3]), a.l[2], b.l[2]), a.l[3], b.l[1]), a.l[4], b.l[0]);
    const __m512i h6 = hi(hi(hi(hi(zero, a.l[1], b.l[4]), a.l[2], b.l[3]), a.l[3], b.l[2]), a.l[4], b.l[1]);
    const __m512i h7 = hi(hi(hi(zero, a.l[2], b.l[4]), a.l[3], b.l[3]), a.l[4], b.l[2]);
    const __m512i h8 = hi(hi(zero, a.l[3], b.l[4]), a.l[4], b.l[3]);
    const __m512i h9 = hi(zero, a.l[4], b.l[4]);
    const __m512i z[10] = {l0,
                           vadd(l1, shl(h1, 1)),
                           vadd(l2, shl(h2, 1)),
                           vadd(l3, shl(h3, 1)),
                           vadd(l4, shl(h4, 1)),
                           vadd(l5, shl(h5, 1)),
                           vadd(l6, shl(h6, 1)),
                           vadd(l7, shl(h7, 1)),
                           vadd(l8, shl(h8, 1)),
                           shl(h9, 1)};
    return fold_carry(z);
}

// column k = s1 + 2 (s2 + 2 s4):
//   s1: low halves of a_i^2;  s2: low halves of a_i a_j (i < j) and high halves of a_i^2;
//   s4: high halves of a_i a_j (i < j).
SHOAL_IFMA_INLINE v8 sq(const v8& a) noexcept {
    const __m512i zero = _mm512_setzero_si512();
    const __m512i s1_0 = lo(zero, a.l[0], a.l[0]);
    const __m512i s2_1 = lo(hi(zero, a.l[0], a.l[0]), a.l[0], a.l[1]);
    const __m512i s1_2 = lo(zero, a.l[1], a.l[1]);
    const __m512i s2_2 = lo(zero, a.l[0], a.l[2]);
    const __m512i s4_2 = hi(zero, a.l[0], a.l[1]);
    const __m512i s2_3 = lo(hi(lo(zero, a.l[0], a.l[3]), a.l[1], a.l[1]), a.l[1], a.l[2]);
    const __m512i s4_3 = hi(zero, a.l[0], a.l[2]);
    const __m512i s1_4 = lo(zero, a.l[2], a.l[2]);
    const __m512i s2_4 = lo(lo(zero, a.l[0], a.l[4]), a.l[1], a.l[3]);
    const __m512i s4_4 = hi(hi(zero, a.l[0], a.l[3]), a.l[1], a.l[2]);
    const __m512i s2_5 = lo(hi(lo(zero, a.l[1], a.l[4]), a.l[2], a.l[2]), a.l[2], a.l[3]);
    const __m512i s4_5 = hi(hi(zero, a.l[0], a.l[4]), a.l[1], a.l[3]);
    const __m512i s1_6 = lo(zero, a.l[3], a.l[3]);
    const __m512i s2_6 = lo(zero, a.l[2], a.l[4]);
    const __m512i s4_6 = hi(hi(zero, a.l[1], a.l[4]), a.l[2], a.l[3]);
    const __m512i s2_7 = lo(hi(zero, a.l[3], a.l[3]), a.l[3], a.l[4]);
    const __m512i s4_7 = hi(zero, a.l[2], a.l[4]);
    const __m512i s1_8 = lo(zero, a.l[4], a.l[4]);
    const __m512i s4_8 = hi(zero, a.l[3], a.l[4]);
    const __m512i s2_9 = hi(zero, a.l[4], a.l[4]);
    const __m512i z[10] = {s1_0,
                           shl(s2_1, 1),
                           vadd(s1_2, shl(vadd(s2_2, shl(s4_2, 1)), 1)),
                           shl(vadd(s2_3, shl(s4_3, 1)), 1),
                           vadd(s1_4, shl(vadd(s2_4, shl(s4_4, 1)), 1)),
                           shl(vadd(s2_5, shl(s4_5, 1)), 1),
                           vadd(s1_6, shl(vadd(s2_6, shl(s4_6, 1)), 1)),
                           shl(vadd(s2_7, shl(s4_7, 1)), 1),
                           vadd(s1_8, shl(s4_8, 2)),
                           shl(s2_9, 1)};
    return fold_carry(z);
}

// a + b, carried. REQUIRES: loose inputs (as every function here returns).
SHOAL_IFMA_INLINE v8 add(const v8& a, const v8& b) noexcept {
    v8 r;
    for (int k = 0; k < 5; ++k) r.l[k] = vadd(a.l[k], b.l[k]);
    return carry(r);
}

// a - b + 2p, carried. REQUIRES: limbs of b < 2^52 - 38.
SHOAL_IFMA_INLINE v8 sub(const v8& a, const v8& b) noexcept {
    const __m512i p2_0 = _mm512_set1_epi64((std::int64_t{1} << 52) - 38);
    const __m512i p2_k = _mm512_set1_epi64((std::int64_t{1} << 52) - 2);
    v8 r;
    r.l[0] = _mm512_sub_epi64(vadd(a.l[0], p2_0), b.l[0]);
    for (int k = 1; k < 5; ++k) r.l[k] = _mm512_sub_epi64(vadd(a.l[k], p2_k), b.l[k]);
    return carry(r);
}

// The same constant in all eight lanes.
SHOAL_IFMA_INLINE v8 broadcast(const fe& f) noexcept {
    v8 r;
    for (int k = 0; k < 5; ++k) r.l[k] = _mm512_set1_epi64(static_cast<long long>(f.v[k]));
    return r;
}

// Lane-wise select: lanes set in m take b, the others a.
SHOAL_IFMA_INLINE v8 select(__mmask8 m, const v8& a, const v8& b) noexcept {
    v8 r;
    for (int k = 0; k < 5; ++k) r.l[k] = _mm512_mask_blend_epi64(m, a.l[k], b.l[k]);
    return r;
}

// Eight elements stored `stride` uint64 apart (element-major) <-> limb-major.
SHOAL_IFMA_INLINE __m512i lane_offsets(long long stride) noexcept {
    return _mm512_set_epi64(7 * stride, 6 * stride, 5 * stride, 4 * stride, 3 * stride, 2 * stride, stride, 0);
}

SHOAL_IFMA_INLINE v8 gather(const std::uint64_t* first, long long stride) noexcept {
    const __m512i idx = lane_offsets(stride);
    v8 r;
    for (int k = 0; k < 5; ++k) {
        r.l[k] = _mm512_mask_i64gather_epi64(_mm512_setzero_si512(), all_lanes, idx,
                                             static_cast<const void*>(first + k), 8);
    }
    return r;
}

SHOAL_IFMA_INLINE void scatter(std::uint64_t* first, long long stride, const v8& v) noexcept {
    const __m512i idx = lane_offsets(stride);
    for (int k = 0; k < 5; ++k) _mm512_i64scatter_epi64(static_cast<void*>(first + k), idx, v.l[k], 8);
}

}  // namespace crypto::detail::ifma

#endif
