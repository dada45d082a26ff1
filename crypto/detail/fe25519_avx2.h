// crypto/detail/fe25519_avx2.h -- four field elements at a time with AVX2.
//
// Internal to the AVX2 kernels (pow_avx2.cc, msm_avx2.cc), the only files that include it,
// and only called after avx2_available() (pow_batch.h) said yes. Every
// function carries a target attribute instead of the whole build being
// compiled for AVX2.
//
// Representation (the approach of ref10 and of curve25519-dalek's AVX2
// backend, written anew): radix 2^25.5, ten limbs of alternately 26 and 25
// bits, value l0 + l1 2^26 + l2 2^51 + l3 2^77 + ... + l9 2^230. A v4 holds
// four elements, one per 64-bit lane: vector k holds limb k of all four.
// vpmuludq multiplies the low 32 bits of each lane into a 64-bit product, so
// every multiplication input (after scaling by 2, 4 or 19) must stay below
// 2^32, and column sums below 2^64: the bounds are stated at vadd/vsub.
//
// The products are written out in full (generated once, accumulated row by
// row): compilers keep loops over arrays of vectors in memory.
//
// Variable time; thread safety: pure functions.
#pragma once

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <immintrin.h>

#include <cstdint>

#include "crypto/detail/fe25519.h"

#define SHOAL_AVX2 __attribute__((target("avx2")))
#define SHOAL_AVX2_INLINE SHOAL_AVX2 inline __attribute__((always_inline))

namespace crypto::detail::avx2 {

struct v4 {
    __m256i l[10];
};

SHOAL_AVX2_INLINE __m256i add(__m256i a, __m256i b) noexcept { return _mm256_add_epi64(a, b); }
// An empty asm that makes the compiler treat v as rewritten: it keeps the
// row-by-row accumulation order of mul and sq (ten accumulators in registers,
// the other operand read from memory). Without it GCC 12 computes all the
// products first and spills them, which measured about 1.2x slower.
SHOAL_AVX2_INLINE void pin(__m256i& v) noexcept { asm("" : "+x"(v)); }
// Puts the scaled copies of the operands in memory before the products start,
// so that they are read as memory operands instead of competing with the ten
// accumulators for the sixteen registers. Used in mul (the point formulas:
// a third fewer stack moves there); the squaring measured faster without it.
SHOAL_AVX2_INLINE void spill(const __m256i* a, const __m256i* b) noexcept {
    asm volatile("" : : "r"(a), "r"(b) : "memory");
}

SHOAL_AVX2_INLINE __m256i m(__m256i a, __m256i b) noexcept { return _mm256_mul_epu32(a, b); }
// a * 19 for any lane value (shifts and adds).
SHOAL_AVX2_INLINE __m256i times19(__m256i a) noexcept {
    return add(add(a, _mm256_slli_epi64(a, 1)), _mm256_slli_epi64(a, 4));
}
// a * 19 for lanes below 2^32 (one multiplication).
SHOAL_AVX2_INLINE __m256i times19_small(__m256i a) noexcept { return m(a, _mm256_set1_epi64x(19)); }

// Two interleaved carry chains (0..4 and 4..9, then 9 -> 0 times 19), the
// order of ref10's fe_mul. Columns < 2^63; result limbs < 2^26 + 2^17 (even)
// and < 2^25 + 2^17 (odd).
template <int i>
SHOAL_AVX2_INLINE void carry_step(__m256i h[10]) noexcept {
    constexpr int bits = i % 2 == 0 ? 26 : 25;
    const __m256i c = _mm256_srli_epi64(h[i], bits);
    h[i] = _mm256_and_si256(h[i], _mm256_set1_epi64x((std::int64_t{1} << bits) - 1));
    h[i + 1] = add(h[i + 1], c);
}

SHOAL_AVX2_INLINE v4 carry(__m256i h[10]) noexcept {
    carry_step<0>(h);
    carry_step<4>(h);
    carry_step<1>(h);
    carry_step<5>(h);
    carry_step<2>(h);
    carry_step<6>(h);
    carry_step<3>(h);
    carry_step<7>(h);
    carry_step<4>(h);
    carry_step<8>(h);
    const __m256i c9 = _mm256_srli_epi64(h[9], 25);  // may exceed 2^32: times19 by shifts
    h[9] = _mm256_and_si256(h[9], _mm256_set1_epi64x((std::int64_t{1} << 25) - 1));
    h[0] = add(h[0], times19(c9));
    carry_step<0>(h);
    v4 r;
#pragma GCC unroll 10
    for (int i = 0; i < 10; ++i) r.l[i] = h[i];
    return r;
}

// h = a * b, carried. REQUIRES: a and b carried, or add/sub results (see vadd).
SHOAL_AVX2_INLINE v4 mul(const v4& a, const v4& b) noexcept {
    const __m256i* f = a.l;
    const __m256i* g = b.l;
    __m256i f2[10], g19[10], h[10];
#pragma GCC unroll 10
    for (int i = 1; i < 10; i += 2) f2[i] = _mm256_slli_epi64(f[i], 1);
#pragma GCC unroll 10
    for (int i = 1; i < 10; ++i) g19[i] = times19_small(g[i]);
    spill(f2, g19);
    h[0] = m(f[0], g[0]);
    h[1] = m(f[0], g[1]);
    h[2] = m(f[0], g[2]);
    h[3] = m(f[0], g[3]);
    h[4] = m(f[0], g[4]);
    h[5] = m(f[0], g[5]);
    h[6] = m(f[0], g[6]);
    h[7] = m(f[0], g[7]);
    h[8] = m(f[0], g[8]);
    h[9] = m(f[0], g[9]);
    h[1] = add(h[1], m(f[1], g[0]));
    pin(h[1]);
    h[2] = add(h[2], m(f2[1], g[1]));
    pin(h[2]);
    h[3] = add(h[3], m(f[1], g[2]));
    pin(h[3]);
    h[4] = add(h[4], m(f2[1], g[3]));
    pin(h[4]);
    h[5] = add(h[5], m(f[1], g[4]));
    pin(h[5]);
    h[6] = add(h[6], m(f2[1], g[5]));
    pin(h[6]);
    h[7] = add(h[7], m(f[1], g[6]));
    pin(h[7]);
    h[8] = add(h[8], m(f2[1], g[7]));
    pin(h[8]);
    h[9] = add(h[9], m(f[1], g[8]));
    pin(h[9]);
    h[0] = add(h[0], m(f2[1], g19[9]));
    pin(h[0]);
    h[2] = add(h[2], m(f[2], g[0]));
    pin(h[2]);
    h[3] = add(h[3], m(f[2], g[1]));
    pin(h[3]);
    h[4] = add(h[4], m(f[2], g[2]));
    pin(h[4]);
    h[5] = add(h[5], m(f[2], g[3]));
    pin(h[5]);
    h[6] = add(h[6], m(f[2], g[4]));
    pin(h[6]);
    h[7] = add(h[7], m(f[2], g[5]));
    pin(h[7]);
    h[8] = add(h[8], m(f[2], g[6]));
    pin(h[8]);
    h[9] = add(h[9], m(f[2], g[7]));
    pin(h[9]);
    h[0] = add(h[0], m(f[2], g19[8]));
    pin(h[0]);
    h[1] = add(h[1], m(f[2], g19[9]));
    pin(h[1]);
    h[3] = add(h[3], m(f[3], g[0]));
    pin(h[3]);
    h[4] = add(h[4], m(f2[3], g[1]));
    pin(h[4]);
    h[5] = add(h[5], m(f[3], g[2]));
    pin(h[5]);
    h[6] = add(h[6], m(f2[3], g[3]));
    pin(h[6]);
    h[7] = add(h[7], m(f[3], g[4]));
    pin(h[7]);
    h[8] = add(h[8], m(f2[3], g[5]));
    pin(h[8]);
    h[9] = add(h[9], m(f[3], g[6]));
    pin(h[9]);
    h[0] = add(h[0], m(f2[3], g19[7]));
    pin(h[0]);
    h[1] = add(h[1], m(f[3], g19[8]));
    pin(h[1]);
    h[2] = add(h[2], m(f2[3], g19[9]));
    pin(h[2]);
    h[4] = add(h[4], m(f[4], g[0]));
    pin(h[4]);
    h[5] = add(h[5], m(f[4], g[1]));
    pin(h[5]);
    h[6] = add(h[6], m(f[4], g[2]));
    pin(h[6]);
    h[7] = add(h[7], m(f[4], g[3]));
    pin(h[7]);
    h[8] = add(h[8], m(f[4], g[4]));
    pin(h[8]);
    h[9] = add(h[9], m(f[4], g[5]));
    pin(h[9]);
    h[0] = add(h[0], m(f[4], g19[6]));
    pin(h[0]);
    h[1] = add(h[1], m(f[4], g19[7]));
    pin(h[1]);
    h[2] = add(h[2], m(f[4], g19[8]));
    pin(h[2]);
    h[3] = add(h[3], m(f[4], g19[9]));
    pin(h[3]);
    h[5] = add(h[5], m(f[5], g[0]));
    pin(h[5]);
    h[6] = add(h[6], m(f2[5], g[1]));
    pin(h[6]);
    h[7] = add(h[7], m(f[5], g[2]));
    pin(h[7]);
    h[8] = add(h[8], m(f2[5], g[3]));
    pin(h[8]);
    h[9] = add(h[9], m(f[5], g[4]));
    pin(h[9]);
    h[0] = add(h[0], m(f2[5], g19[5]));
    pin(h[0]);
    h[1] = add(h[1], m(f[5], g19[6]));
    pin(h[1]);
    h[2] = add(h[2], m(f2[5], g19[7]));
    pin(h[2]);
    h[3] = add(h[3], m(f[5], g19[8]));
    pin(h[3]);
    h[4] = add(h[4], m(f2[5], g19[9]));
    pin(h[4]);
    h[6] = add(h[6], m(f[6], g[0]));
    pin(h[6]);
    h[7] = add(h[7], m(f[6], g[1]));
    pin(h[7]);
    h[8] = add(h[8], m(f[6], g[2]));
    pin(h[8]);
    h[9] = add(h[9], m(f[6], g[3]));
    pin(h[9]);
    h[0] = add(h[0], m(f[6], g19[4]));
    pin(h[0]);
    h[1] = add(h[1], m(f[6], g19[5]));
    pin(h[1]);
    h[2] = add(h[2], m(f[6], g19[6]));
    pin(h[2]);
    h[3] = add(h[3], m(f[6], g19[7]));
    pin(h[3]);
    h[4] = add(h[4], m(f[6], g19[8]));
    pin(h[4]);
    h[5] = add(h[5], m(f[6], g19[9]));
    pin(h[5]);
    h[7] = add(h[7], m(f[7], g[0]));
    pin(h[7]);
    h[8] = add(h[8], m(f2[7], g[1]));
    pin(h[8]);
    h[9] = add(h[9], m(f[7], g[2]));
    pin(h[9]);
    h[0] = add(h[0], m(f2[7], g19[3]));
    pin(h[0]);
    h[1] = add(h[1], m(f[7], g19[4]));
    pin(h[1]);
    h[2] = add(h[2], m(f2[7], g19[5]));
    pin(h[2]);
    h[3] = add(h[3], m(f[7], g19[6]));
    pin(h[3]);
    h[4] = add(h[4], m(f2[7], g19[7]));
    pin(h[4]);
    h[5] = add(h[5], m(f[7], g19[8]));
    pin(h[5]);
    h[6] = add(h[6], m(f2[7], g19[9]));
    pin(h[6]);
    h[8] = add(h[8], m(f[8], g[0]));
    pin(h[8]);
    h[9] = add(h[9], m(f[8], g[1]));
    pin(h[9]);
    h[0] = add(h[0], m(f[8], g19[2]));
    pin(h[0]);
    h[1] = add(h[1], m(f[8], g19[3]));
    pin(h[1]);
    h[2] = add(h[2], m(f[8], g19[4]));
    pin(h[2]);
    h[3] = add(h[3], m(f[8], g19[5]));
    pin(h[3]);
    h[4] = add(h[4], m(f[8], g19[6]));
    pin(h[4]);
    h[5] = add(h[5], m(f[8], g19[7]));
    pin(h[5]);
    h[6] = add(h[6], m(f[8], g19[8]));
    pin(h[6]);
    h[7] = add(h[7], m(f[8], g19[9]));
    pin(h[7]);
    h[9] = add(h[9], m(f[9], g[0]));
    pin(h[9]);
    h[0] = add(h[0], m(f2[9], g19[1]));
    pin(h[0]);
    h[1] = add(h[1], m(f[9], g19[2]));
    pin(h[1]);
    h[2] = add(h[2], m(f2[9], g19[3]));
    pin(h[2]);
    h[3] = add(h[3], m(f[9], g19[4]));
    pin(h[3]);
    h[4] = add(h[4], m(f2[9], g19[5]));
    pin(h[4]);
    h[5] = add(h[5], m(f[9], g19[6]));
    pin(h[5]);
    h[6] = add(h[6], m(f2[9], g19[7]));
    pin(h[6]);
    h[7] = add(h[7], m(f[9], g19[8]));
    pin(h[7]);
    h[8] = add(h[8], m(f2[9], g19[9]));
    pin(h[8]);
    return carry(h);
}

// h = a^2, carried. REQUIRES: as mul.
SHOAL_AVX2_INLINE v4 sq(const v4& a) noexcept {
    const __m256i* f = a.l;
    __m256i f2[10], f4[10], f19[10], h[10];
#pragma GCC unroll 10
    for (int i = 0; i < 10; ++i) f2[i] = _mm256_slli_epi64(f[i], 1);
#pragma GCC unroll 10
    for (int i = 1; i < 10; i += 2) f4[i] = _mm256_slli_epi64(f[i], 2);
#pragma GCC unroll 10
    for (int i = 5; i < 10; ++i) f19[i] = times19_small(f[i]);
    h[0] = m(f[0], f[0]);
    h[1] = m(f2[0], f[1]);
    h[2] = m(f2[0], f[2]);
    h[3] = m(f2[0], f[3]);
    h[4] = m(f2[0], f[4]);
    h[5] = m(f2[0], f[5]);
    h[6] = m(f2[0], f[6]);
    h[7] = m(f2[0], f[7]);
    h[8] = m(f2[0], f[8]);
    h[9] = m(f2[0], f[9]);
    h[2] = add(h[2], m(f2[1], f[1]));
    pin(h[2]);
    h[3] = add(h[3], m(f2[1], f[2]));
    pin(h[3]);
    h[4] = add(h[4], m(f4[1], f[3]));
    pin(h[4]);
    h[5] = add(h[5], m(f2[1], f[4]));
    pin(h[5]);
    h[6] = add(h[6], m(f4[1], f[5]));
    pin(h[6]);
    h[7] = add(h[7], m(f2[1], f[6]));
    pin(h[7]);
    h[8] = add(h[8], m(f4[1], f[7]));
    pin(h[8]);
    h[9] = add(h[9], m(f2[1], f[8]));
    pin(h[9]);
    h[0] = add(h[0], m(f4[1], f19[9]));
    pin(h[0]);
    h[4] = add(h[4], m(f[2], f[2]));
    pin(h[4]);
    h[5] = add(h[5], m(f2[2], f[3]));
    pin(h[5]);
    h[6] = add(h[6], m(f2[2], f[4]));
    pin(h[6]);
    h[7] = add(h[7], m(f2[2], f[5]));
    pin(h[7]);
    h[8] = add(h[8], m(f2[2], f[6]));
    pin(h[8]);
    h[9] = add(h[9], m(f2[2], f[7]));
    pin(h[9]);
    h[0] = add(h[0], m(f2[2], f19[8]));
    pin(h[0]);
    h[1] = add(h[1], m(f2[2], f19[9]));
    pin(h[1]);
    h[6] = add(h[6], m(f2[3], f[3]));
    pin(h[6]);
    h[7] = add(h[7], m(f2[3], f[4]));
    pin(h[7]);
    h[8] = add(h[8], m(f4[3], f[5]));
    pin(h[8]);
    h[9] = add(h[9], m(f2[3], f[6]));
    pin(h[9]);
    h[0] = add(h[0], m(f4[3], f19[7]));
    pin(h[0]);
    h[1] = add(h[1], m(f2[3], f19[8]));
    pin(h[1]);
    h[2] = add(h[2], m(f4[3], f19[9]));
    pin(h[2]);
    h[8] = add(h[8], m(f[4], f[4]));
    pin(h[8]);
    h[9] = add(h[9], m(f2[4], f[5]));
    pin(h[9]);
    h[0] = add(h[0], m(f2[4], f19[6]));
    pin(h[0]);
    h[1] = add(h[1], m(f2[4], f19[7]));
    pin(h[1]);
    h[2] = add(h[2], m(f2[4], f19[8]));
    pin(h[2]);
    h[3] = add(h[3], m(f2[4], f19[9]));
    pin(h[3]);
    h[0] = add(h[0], m(f2[5], f19[5]));
    pin(h[0]);
    h[1] = add(h[1], m(f2[5], f19[6]));
    pin(h[1]);
    h[2] = add(h[2], m(f4[5], f19[7]));
    pin(h[2]);
    h[3] = add(h[3], m(f2[5], f19[8]));
    pin(h[3]);
    h[4] = add(h[4], m(f4[5], f19[9]));
    pin(h[4]);
    h[2] = add(h[2], m(f[6], f19[6]));
    pin(h[2]);
    h[3] = add(h[3], m(f2[6], f19[7]));
    pin(h[3]);
    h[4] = add(h[4], m(f2[6], f19[8]));
    pin(h[4]);
    h[5] = add(h[5], m(f2[6], f19[9]));
    pin(h[5]);
    h[4] = add(h[4], m(f2[7], f19[7]));
    pin(h[4]);
    h[5] = add(h[5], m(f2[7], f19[8]));
    pin(h[5]);
    h[6] = add(h[6], m(f4[7], f19[9]));
    pin(h[6]);
    h[6] = add(h[6], m(f[8], f19[8]));
    pin(h[6]);
    h[7] = add(h[7], m(f2[8], f19[9]));
    pin(h[7]);
    h[8] = add(h[8], m(f2[9], f19[9]));
    pin(h[8]);
    return carry(h);
}

// Four radix-2^51 elements into one v4. REQUIRES: limbs < 2^52 (loose).
SHOAL_AVX2_INLINE v4 from_fe(const fe* x) noexcept {
    const __m256i m26 = _mm256_set1_epi64x((std::int64_t{1} << 26) - 1);
    v4 r;
#pragma GCC unroll 10
    for (int k = 0; k < 5; ++k) {
        const __m256i w = _mm256_set_epi64x(static_cast<std::int64_t>(x[3].v[k]), static_cast<std::int64_t>(x[2].v[k]),
                                            static_cast<std::int64_t>(x[1].v[k]), static_cast<std::int64_t>(x[0].v[k]));
        r.l[2 * k] = _mm256_and_si256(w, m26);
        r.l[2 * k + 1] = _mm256_srli_epi64(w, 26);  // < 2^26
    }
    return r;
}


// One parallel carry pass (every limb at once, the top one folded times 19).
// REQUIRES: limbs < 2^32. Result limbs < 2^26 + 2^12 (even), < 2^25 + 2^7 (odd).
SHOAL_AVX2_INLINE v4 carry_parallel(const v4& a) noexcept {
    const __m256i m26 = _mm256_set1_epi64x((std::int64_t{1} << 26) - 1);
    const __m256i m25 = _mm256_set1_epi64x((std::int64_t{1} << 25) - 1);
    __m256i c[10];
    v4 r;
#pragma GCC unroll 10
    for (int i = 0; i < 10; ++i) {
        c[i] = _mm256_srli_epi64(a.l[i], i % 2 == 0 ? 26 : 25);
        r.l[i] = _mm256_and_si256(a.l[i], i % 2 == 0 ? m26 : m25);
    }
    r.l[0] = add(r.l[0], times19_small(c[9]));
#pragma GCC unroll 10
    for (int i = 1; i < 10; ++i) r.l[i] = add(r.l[i], c[i - 1]);
    return r;
}

// Four elements given one by one (element k in lane k), carried. REQUIRES: limbs < 2^52.
SHOAL_AVX2_INLINE v4 from_fe4(const fe& a, const fe& b, const fe& c, const fe& d) noexcept {
    const fe x[4] = {a, b, c, d};
    return carry_parallel(from_fe(x));
}

// The same constant in all four lanes, carried. REQUIRES: limbs < 2^52.
SHOAL_AVX2_INLINE v4 broadcast(const fe& f) noexcept { return from_fe4(f, f, f, f); }

// Carried operands: results of mul, sq, from_fe and the *_c functions (limbs
// < 2^26 + 2^17 even, < 2^25 + 2^17 odd). mul and sq also accept the
// uncarried sums and differences of two carried operands (add, sub): limbs
// < 2^27.6, so 19 times a limb still fits 32 bits and a column sum
// (coefficients summing to at most 286 < 2^8.2) stays below 2^64.

// a + b, not carried: only as an input of mul or sq. REQUIRES: a, b carried.
SHOAL_AVX2_INLINE v4 vadd(const v4& a, const v4& b) noexcept {
    v4 r;
#pragma GCC unroll 10
    for (int i = 0; i < 10; ++i) r.l[i] = add(a.l[i], b.l[i]);
    return r;
}

// a - b + 2p, not carried: only as an input of mul or sq. REQUIRES: a, b carried
// (b's limbs are then below those of 2p: 2^27 - 38, 2^27 - 2 even, 2^26 - 2 odd).
SHOAL_AVX2_INLINE v4 vsub(const v4& a, const v4& b) noexcept {
    const __m256i p2_0 = _mm256_set1_epi64x((std::int64_t{1} << 27) - 38);
    const __m256i p2_even = _mm256_set1_epi64x((std::int64_t{1} << 27) - 2);
    const __m256i p2_odd = _mm256_set1_epi64x((std::int64_t{1} << 26) - 2);
    v4 r;
#pragma GCC unroll 10
    for (int i = 0; i < 10; ++i) {
        const __m256i p2 = i == 0 ? p2_0 : i % 2 == 0 ? p2_even : p2_odd;
        r.l[i] = _mm256_sub_epi64(add(a.l[i], p2), b.l[i]);
    }
    return r;
}

// a + b, carried. REQUIRES: limbs < 2^31 (a carried operand or an add/sub result).
SHOAL_AVX2_INLINE v4 vadd_c(const v4& a, const v4& b) noexcept { return carry_parallel(vadd(a, b)); }

// a - b + 4p, carried. REQUIRES: limbs of a < 2^31, b carried.
SHOAL_AVX2_INLINE v4 vsub_c(const v4& a, const v4& b) noexcept {
    const __m256i p4_0 = _mm256_set1_epi64x((std::int64_t{1} << 28) - 76);
    const __m256i p4_even = _mm256_set1_epi64x((std::int64_t{1} << 28) - 4);
    const __m256i p4_odd = _mm256_set1_epi64x((std::int64_t{1} << 27) - 4);
    v4 r;
#pragma GCC unroll 10
    for (int i = 0; i < 10; ++i) {
        const __m256i p4 = i == 0 ? p4_0 : i % 2 == 0 ? p4_even : p4_odd;
        r.l[i] = _mm256_sub_epi64(add(a.l[i], p4), b.l[i]);
    }
    return carry_parallel(r);
}

// Lane-wise select: lanes whose mask is all ones take b, the others a.
SHOAL_AVX2_INLINE v4 select(__m256i mask, const v4& a, const v4& b) noexcept {
    v4 r;
#pragma GCC unroll 10
    for (int i = 0; i < 10; ++i) r.l[i] = _mm256_blendv_epi8(a.l[i], b.l[i], mask);
    return r;
}

// Back to radix 2^51: limb k = l(2k) + l(2k+1) 2^26 < 2^51 + 2^44, loose.
SHOAL_AVX2_INLINE void to_fe(fe* x, const v4& a) noexcept {
#pragma GCC unroll 10
    for (int k = 0; k < 5; ++k) {
        alignas(32) std::uint64_t w[4];
        _mm256_store_si256(reinterpret_cast<__m256i*>(w), add(a.l[2 * k], _mm256_slli_epi64(a.l[2 * k + 1], 26)));
        #pragma GCC unroll 10
        for (int j = 0; j < 4; ++j) x[j].v[k] = w[j];
    }
}

}  // namespace crypto::detail::avx2

#endif
