// crypto/detail/fe25519.h -- portable arithmetic modulo p = 2^255 - 19.
//
// Internal to the batch verifier (crypto/batch_verify.h); nothing outside
// crypto/ includes it. Variable time: every input of the batch verifier is
// public, so no operation here tries to hide its operands.
//
// Representation: five unsigned 64-bit limbs in radix 2^51, value
// v[0] + v[1]*2^51 + ... + v[4]*2^204, not necessarily reduced. Bounds are part
// of each function's contract ("limbs < 2^k"); a freshly multiplied, squared
// or carried element has limbs < 2^52, which we call *loose*. mul/sq accept
// limbs up to 2^58, so sums and differences of a few loose elements may be fed
// to them without a carry.
//
// Thread safety: pure functions on caller-owned values.
#pragma once

#include <cstdint>
#include <cstring>

namespace crypto::detail {

__extension__ using u128 = unsigned __int128;

struct fe {
    std::uint64_t v[5];
};

inline constexpr std::uint64_t fe_mask51 = (std::uint64_t{1} << 51) - 1;

// The multiplications are forced inline: out of line, GCC returns each product
// through memory and the independent multiplications of a point formula no
// longer overlap (measured: the batch's MSM ran 1.5x slower).
#define SHOAL_FE_INLINE inline __attribute__((always_inline))

[[nodiscard]] constexpr fe fe_from_u64(std::uint64_t x) noexcept { return fe{{x & fe_mask51, x >> 51, 0, 0, 0}}; }
inline constexpr fe fe_zero_v{{0, 0, 0, 0, 0}};
inline constexpr fe fe_one_v{{1, 0, 0, 0, 0}};

// h = f + g. Limbs of the result are the sums of the limbs.
[[nodiscard]] inline fe fe_add(const fe& f, const fe& g) noexcept {
    return fe{{f.v[0] + g.v[0], f.v[1] + g.v[1], f.v[2] + g.v[2], f.v[3] + g.v[3], f.v[4] + g.v[4]}};
}

// h = f - g + 8p. REQUIRES: g.v[0] <= 2^54 - 152 and g.v[1..4] <= 2^54 - 8, which
// holds for sums of up to three loose elements and for any fe_neg result.
// Result limbs < f's + 2^54.
[[nodiscard]] inline fe fe_sub(const fe& f, const fe& g) noexcept {
    constexpr std::uint64_t b0 = 8 * ((std::uint64_t{1} << 51) - 19);
    constexpr std::uint64_t b1 = 8 * ((std::uint64_t{1} << 51) - 1);
    return fe{{f.v[0] + b0 - g.v[0], f.v[1] + b1 - g.v[1], f.v[2] + b1 - g.v[2], f.v[3] + b1 - g.v[3],
               f.v[4] + b1 - g.v[4]}};
}

// h = -f (as 8p - f). REQUIRES: as for the g of fe_sub. Result limbs <= 2^54.
[[nodiscard]] inline fe fe_neg(const fe& f) noexcept { return fe_sub(fe_zero_v, f); }

// Carries so that every limb is < 2^51 + 2^13 (loose). Accepts limbs < 2^63.
[[nodiscard]] inline fe fe_carry(const fe& f) noexcept {
    std::uint64_t r0 = f.v[0], r1 = f.v[1], r2 = f.v[2], r3 = f.v[3], r4 = f.v[4];
    r1 += r0 >> 51;
    r0 &= fe_mask51;
    r2 += r1 >> 51;
    r1 &= fe_mask51;
    r3 += r2 >> 51;
    r2 &= fe_mask51;
    r4 += r3 >> 51;
    r3 &= fe_mask51;
    r0 += (r4 >> 51) * 19;
    r4 &= fe_mask51;
    r1 += r0 >> 51;
    r0 &= fe_mask51;
    return fe{{r0, r1, r2, r3, r4}};
}

namespace fe_impl {
// Shared tail of mul and sq: carries the five 128-bit column sums into a loose
// element (limbs < 2^51 + 2^22). REQUIRES: t0..t4 < 2^124.
[[nodiscard]] SHOAL_FE_INLINE fe carry_wide(u128 t0, u128 t1, u128 t2, u128 t3, u128 t4) noexcept {
    t1 += t0 >> 51;
    t2 += t1 >> 51;
    t3 += t2 >> 51;
    t4 += t3 >> 51;
    const u128 w0 = (t0 & fe_mask51) + (t4 >> 51) * 19;  // < 2^51 + 2^78
    const std::uint64_t r0 = static_cast<std::uint64_t>(w0) & fe_mask51;
    const std::uint64_t r1 = (static_cast<std::uint64_t>(t1) & fe_mask51) + static_cast<std::uint64_t>(w0 >> 51);
    return fe{{r0, r1, static_cast<std::uint64_t>(t2) & fe_mask51, static_cast<std::uint64_t>(t3) & fe_mask51,
               static_cast<std::uint64_t>(t4) & fe_mask51}};
}
[[nodiscard]] SHOAL_FE_INLINE u128 m(std::uint64_t a, std::uint64_t b) noexcept { return static_cast<u128>(a) * b; }
}  // namespace fe_impl

// h = f * g, loose. REQUIRES: limbs of f and g < 2^58.
[[nodiscard]] SHOAL_FE_INLINE fe fe_mul(const fe& f, const fe& g) noexcept {
    using fe_impl::m;
    const std::uint64_t f0 = f.v[0], f1 = f.v[1], f2 = f.v[2], f3 = f.v[3], f4 = f.v[4];
    const std::uint64_t g0 = g.v[0], g1 = g.v[1], g2 = g.v[2], g3 = g.v[3], g4 = g.v[4];
    const std::uint64_t g1_19 = 19 * g1, g2_19 = 19 * g2, g3_19 = 19 * g3, g4_19 = 19 * g4;
    const u128 t0 = m(f0, g0) + m(f1, g4_19) + m(f2, g3_19) + m(f3, g2_19) + m(f4, g1_19);
    const u128 t1 = m(f0, g1) + m(f1, g0) + m(f2, g4_19) + m(f3, g3_19) + m(f4, g2_19);
    const u128 t2 = m(f0, g2) + m(f1, g1) + m(f2, g0) + m(f3, g4_19) + m(f4, g3_19);
    const u128 t3 = m(f0, g3) + m(f1, g2) + m(f2, g1) + m(f3, g0) + m(f4, g4_19);
    const u128 t4 = m(f0, g4) + m(f1, g3) + m(f2, g2) + m(f3, g1) + m(f4, g0);
    return fe_impl::carry_wide(t0, t1, t2, t3, t4);
}

// h = f^2, loose. REQUIRES: limbs of f < 2^58.
[[nodiscard]] SHOAL_FE_INLINE fe fe_sq(const fe& f) noexcept {
    using fe_impl::m;
    const std::uint64_t f0 = f.v[0], f1 = f.v[1], f2 = f.v[2], f3 = f.v[3], f4 = f.v[4];
    const std::uint64_t f0_2 = 2 * f0, f1_2 = 2 * f1, f3_19 = 19 * f3, f4_19 = 19 * f4;
    const u128 t0 = m(f0, f0) + m(f1_2, f4_19) + m(2 * f2, f3_19);
    const u128 t1 = m(f0_2, f1) + m(2 * f2, f4_19) + m(f3, f3_19);
    const u128 t2 = m(f0_2, f2) + m(f1, f1) + m(2 * f3, f4_19);
    const u128 t3 = m(f0_2, f3) + m(f1_2, f2) + m(f4, f4_19);
    const u128 t4 = m(f0_2, f4) + m(f1_2, f3) + m(f2, f2);
    return fe_impl::carry_wide(t0, t1, t2, t3, t4);
}

// h = f^(2^n), n >= 1.
[[nodiscard]] inline fe fe_sq_n(fe f, int n) noexcept {
    for (int i = 0; i < n; ++i) f = fe_sq(f);
    return f;
}

// h = f * c for a small constant, loose. REQUIRES: limbs of f < 2^58, c < 2^32.
[[nodiscard]] inline fe fe_mul_small(const fe& f, std::uint32_t c) noexcept {
    using fe_impl::m;
    return fe_impl::carry_wide(m(f.v[0], c), m(f.v[1], c), m(f.v[2], c), m(f.v[3], c), m(f.v[4], c));
}

// The canonical value of f (0 <= value < p), limbs < 2^51. Accepts limbs < 2^63.
[[nodiscard]] inline fe fe_canonical(const fe& f) noexcept {
    const fe c = fe_carry(f);  // limbs < 2^51 except c1 < 2^51 + 2^13
    std::uint64_t r0 = c.v[0], r1 = c.v[1], r2 = c.v[2], r3 = c.v[3], r4 = c.v[4];
    r2 += r1 >> 51;  // plain carries without the wrap: r0..r3 < 2^51, r4 <= 2^51, so value < 2p
    r1 &= fe_mask51;
    r3 += r2 >> 51;
    r2 &= fe_mask51;
    r4 += r3 >> 51;
    r3 &= fe_mask51;
    // value >= p iff value + 19 reaches 2^255; then value - p = value + 19 - 2^255.
    std::uint64_t q = (r0 + 19) >> 51;
    q = (r1 + q) >> 51;
    q = (r2 + q) >> 51;
    q = (r3 + q) >> 51;
    q = (r4 + q) >> 51;
    r0 += 19 * q;
    r1 += r0 >> 51;
    r0 &= fe_mask51;
    r2 += r1 >> 51;
    r1 &= fe_mask51;
    r3 += r2 >> 51;
    r2 &= fe_mask51;
    r4 += r3 >> 51;
    r3 &= fe_mask51;
    r4 &= fe_mask51;  // drops 2^255 when q = 1; a no-op when q = 0
    return fe{{r0, r1, r2, r3, r4}};
}

// Decodes 32 little-endian bytes, ignoring bit 255 (the caller reads the sign bit).
// The result may be >= p when the encoding is not canonical.
[[nodiscard]] inline fe fe_from_bytes(const std::uint8_t s[32]) noexcept {
    std::uint64_t w[4];
    std::memcpy(w, s, 32);  // little-endian host (x86-64 and arm64)
    return fe{{w[0] & fe_mask51, ((w[0] >> 51) | (w[1] << 13)) & fe_mask51, ((w[1] >> 38) | (w[2] << 26)) & fe_mask51,
               ((w[2] >> 25) | (w[3] << 39)) & fe_mask51, (w[3] >> 12) & fe_mask51}};
}

// Encodes the canonical value of f in 32 little-endian bytes (bit 255 clear).
inline void fe_to_bytes(std::uint8_t s[32], const fe& f) noexcept {
    const fe c = fe_canonical(f);
    const std::uint64_t w[4] = {c.v[0] | (c.v[1] << 51), (c.v[1] >> 13) | (c.v[2] << 38),
                                (c.v[2] >> 26) | (c.v[3] << 25), (c.v[3] >> 39) | (c.v[4] << 12)};
    std::memcpy(s, w, 32);
}

[[nodiscard]] inline bool fe_is_zero(const fe& f) noexcept {
    const fe c = fe_canonical(f);
    return (c.v[0] | c.v[1] | c.v[2] | c.v[3] | c.v[4]) == 0;
}
[[nodiscard]] inline bool fe_eq(const fe& f, const fe& g) noexcept { return fe_is_zero(fe_sub(f, g)); }
// The "sign" of RFC 8032: the low bit of the canonical value.
[[nodiscard]] inline bool fe_is_odd(const fe& f) noexcept { return (fe_canonical(f).v[0] & 1) != 0; }

// f^(2^250 - 1), the common prefix of the exponentiations below: 249 squarings, 10 multiplications.
[[nodiscard]] inline fe fe_pow_2_250_m1(const fe& z) noexcept {
    const fe z2 = fe_sq(z);                       // 2
    const fe z9 = fe_mul(fe_sq_n(z2, 2), z);      // 9
    const fe z11 = fe_mul(z9, z2);                // 11
    const fe z_5 = fe_mul(fe_sq(z11), z9);        // 2^5 - 1
    const fe z_10 = fe_mul(fe_sq_n(z_5, 5), z_5);     // 2^10 - 1
    const fe z_20 = fe_mul(fe_sq_n(z_10, 10), z_10);  // 2^20 - 1
    const fe z_40 = fe_mul(fe_sq_n(z_20, 20), z_20);  // 2^40 - 1
    const fe z_50 = fe_mul(fe_sq_n(z_40, 10), z_10);  // 2^50 - 1
    const fe z_100 = fe_mul(fe_sq_n(z_50, 50), z_50);      // 2^100 - 1
    const fe z_200 = fe_mul(fe_sq_n(z_100, 100), z_100);   // 2^200 - 1
    return fe_mul(fe_sq_n(z_200, 50), z_50);               // 2^250 - 1
}

// z^((p-5)/8) = z^(2^252 - 3): the one exponent the verifier needs. It yields
// square roots (z * z^((p-5)/8) = z^((p+3)/8)), ratios sqrt(u/v), and the
// quartic character z^((p-1)/4) = (z^((p-5)/8))^2 * z.
[[nodiscard]] inline fe fe_pow22523(const fe& z) noexcept { return fe_mul(fe_sq_n(fe_pow_2_250_m1(z), 2), z); }

// 1/z = z^(p-2) = z^(2^255 - 21); 1/0 = 0.
[[nodiscard]] inline fe fe_invert(const fe& z) noexcept {
    const fe z2 = fe_sq(z);
    const fe z11 = fe_mul(fe_mul(fe_sq_n(z2, 2), z), z2);
    return fe_mul(fe_sq_n(fe_pow_2_250_m1(z), 5), z11);
}

}  // namespace crypto::detail
