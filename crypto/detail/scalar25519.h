// crypto/detail/scalar25519.h -- integers modulo L for the batch verifier.
//
// L = 2^252 + 27742317777372353535851937790883648493 is the prime order of the
// edwards25519 base point. Reductions go through libsodium 1.0.18
// (crypto_core_ed25519_scalar_reduce); products and sums are exact multi-word
// integers reduced once at the end.
//
// Thread safety: pure functions on caller-owned values.
#pragma once

#include <cstddef>
#include <cstdint>

namespace crypto::detail {

// A 256-bit little-endian integer (four 64-bit words).
struct scalar {
    std::uint64_t w[4];
};

[[nodiscard]] scalar scalar_from_bytes(const std::uint8_t in[32]) noexcept;
void scalar_to_bytes(std::uint8_t out[32], const scalar& s) noexcept;

// True iff the 32 bytes, as a little-endian integer, are < L (libsodium 1.0.18
// sc25519_is_canonical: all 256 bits count).
[[nodiscard]] bool scalar_is_canonical(const std::uint8_t s[32]) noexcept;

// x mod L for a 512-bit little-endian input.
[[nodiscard]] scalar scalar_reduce512(const std::uint8_t in[64]) noexcept;

// (a * b) mod L for a < 2^128 (lo, hi) and b < 2^256.
[[nodiscard]] scalar scalar_mul128_mod_l(std::uint64_t a_lo, std::uint64_t a_hi, const scalar& b) noexcept;

// (L - s) mod L. REQUIRES: s < L.
[[nodiscard]] scalar scalar_negate(const scalar& s) noexcept;

// A 512-bit accumulator of 128 x 256-bit products: exact for fewer than 2^127 terms.
struct scalar_acc {
    std::uint64_t w[8] = {};
    void add_mul128(std::uint64_t a_lo, std::uint64_t a_hi, const scalar& b) noexcept;
    [[nodiscard]] scalar reduce() const noexcept;
};

// Width-w NAF of s: digits[i] in {0, +-1, +-3, ..., +-(2^(w-1) - 1)}, at most one
// non-zero digit in any w consecutive positions, sum digits[i] 2^i = s.
// REQUIRES: 2 <= w <= 8, s < 2^253 (any value reduced mod L). Writes
// scalar_wnaf_len digits; returns 1 + the index of the highest non-zero digit
// (0 when s = 0).
inline constexpr std::size_t scalar_wnaf_len = 264;
std::size_t scalar_wnaf(std::int8_t digits[scalar_wnaf_len], const scalar& s, int w) noexcept;

// Signed radix-2^c digits: digits[i] in [-2^(c-1), 2^(c-1)], sum digits[i] 2^(c i) = s.
// REQUIRES: 2 <= c <= 15, s < 2^255. Writes ceil(256 / c) + 1 digits; returns that count.
std::size_t scalar_signed_radix(std::int16_t* digits, const scalar& s, int c) noexcept;
[[nodiscard]] constexpr std::size_t scalar_signed_radix_count(int c) noexcept {
    return (256 + static_cast<std::size_t>(c) - 1) / static_cast<std::size_t>(c) + 1;
}

}  // namespace crypto::detail
