// crypto/detail/ge25519.h -- edwards25519 group arithmetic for the batch verifier.
//
// The curve is -x^2 + y^2 = 1 + d x^2 y^2 over GF(2^255 - 19); its group has
// order 8L with L = 2^252 + 27742317777372353535851937790883648493, and is
// cyclic-by-prime: E = E[8] x E[L] with E[8] cyclic of order 8. "8E" below is
// the subgroup of multiples of 8, which is exactly the prime-order subgroup.
//
// Coordinates (RFC 8032 section 5.1.4, Hisil-Wong-Carter-Dawson 2008); every
// coordinate of a point is kept loose (fe25519.h):
//   ge_p3       extended (X:Y:Z:T), x = X/Z, y = Y/Z, xy = T/Z
//   ge_p2       projective (X:Y:Z)
//   ge_done     the four factors (E,F,G,H) every add/double ends with; X = EF, Y = GH, Z = FG, T = EH
//   ge_cached   (Y+X, Y-X, Z, 2dT), the right operand of an addition
//   ge_affine   (y+x, y-x, 2dxy), a cached point with Z = 1
// The addition formulas are complete on this curve (a = -1 is a square, d is
// not), so they are exact for every point, torsion included.
//
// Variable time: only public data passes through here.
// Thread safety: pure functions on caller-owned values; constants are immutable.
#pragma once

#include <cstdint>

#include "crypto/detail/fe25519.h"

namespace crypto::detail {

struct ge_p3 {
    fe X, Y, Z, T;
};
struct ge_p2 {
    fe X, Y, Z;
};
struct ge_done {
    fe E, F, G, H;
};
struct ge_cached {
    fe YplusX, YminusX, Z, T2d;
};
struct ge_affine {
    fe yplusx, yminusx, xy2d;
};

// Curve constants.
inline constexpr fe ge_d{{0x34dca135978a3, 0x1a8283b156ebd, 0x5e7a26001c029, 0x739c663a03cbb, 0x52036cee2b6ff}};
inline constexpr fe ge_d2{{0x69b9426b2f159, 0x35050762add7a, 0x3cf44c0038052, 0x6738cc7407977, 0x2406d9dc56dff}};
inline constexpr fe fe_sqrt_m1{{0x61b274a0ea0b0, 0x0d5a5fc8f189d, 0x7ef5e9cbd0c60, 0x78595a6804c9e, 0x2b8324804fc1d}};

[[nodiscard]] constexpr ge_p3 ge_identity() noexcept { return ge_p3{fe_zero_v, fe_one_v, fe_one_v, fe_zero_v}; }
// The base point B of RFC 8032 (y = 4/5, x even).
[[nodiscard]] ge_p3 ge_base() noexcept;

[[nodiscard]] ge_cached ge_to_cached(const ge_p3& p) noexcept;
[[nodiscard]] ge_p3 ge_to_p3(const ge_done& r) noexcept;
[[nodiscard]] ge_p2 ge_to_p2(const ge_done& r) noexcept;
[[nodiscard]] inline ge_p2 ge_p3_to_p2(const ge_p3& p) noexcept { return ge_p2{p.X, p.Y, p.Z}; }

[[nodiscard]] ge_done ge_add(const ge_p3& p, const ge_cached& q) noexcept;
[[nodiscard]] ge_done ge_sub(const ge_p3& p, const ge_cached& q) noexcept;
[[nodiscard]] ge_done ge_add(const ge_p3& p, const ge_affine& q) noexcept;
[[nodiscard]] ge_done ge_sub(const ge_p3& p, const ge_affine& q) noexcept;
[[nodiscard]] ge_done ge_dbl(const ge_p2& p) noexcept;
[[nodiscard]] inline ge_p3 ge_add_p3(const ge_p3& p, const ge_p3& q) noexcept {
    return ge_to_p3(ge_add(p, ge_to_cached(q)));
}
[[nodiscard]] inline ge_p3 ge_dbl_p3(const ge_p3& p) noexcept { return ge_to_p3(ge_dbl(ge_p3_to_p2(p))); }
[[nodiscard]] ge_p3 ge_neg(const ge_p3& p) noexcept;

// Canonical 32-byte encoding (y with the parity of x in bit 255); one inversion.
void ge_to_bytes(std::uint8_t out[32], const ge_p3& p) noexcept;
// True iff p is the identity (X = 0 and Y = Z).
[[nodiscard]] bool ge_is_identity(const ge_p3& p) noexcept;
// True iff p has order 1, 2, 4 or 8 (the points with x = 0, y = 0 or x = +-i*y).
[[nodiscard]] bool ge_is_low_order(const ge_p3& p) noexcept;

// Multiplies by a small non-negative integer (double-and-add; for tests and setup).
[[nodiscard]] ge_p3 ge_mul_small(const ge_p3& p, std::uint64_t k) noexcept;
// Multiplies by a 256-bit little-endian scalar (double-and-add, no reduction; for tests).
[[nodiscard]] ge_p3 ge_mul_bytes(const ge_p3& p, const std::uint8_t k[32]) noexcept;

// --- Decompression, split around its one exponentiation so that callers can run
// --- many exponentiations together (crypto/detail/pow_batch.h).
//
// Semantics are those of libsodium 1.0.18 ge25519_frombytes: y is bits 0..254
// (taken as is, even when >= p), x = sqrt((y^2-1)/(dy^2+1)) with the parity of
// bit 255. Additionally x = 0 with bit 255 set is refused (that encoding is not
// canonical; every such point is of small order and rejected earlier anyway).
struct decompress_state {
    fe y, u, v, v3;
    bool sign;
};
// Returns the value to raise to (p-5)/8.
[[nodiscard]] fe decompress_begin(decompress_state& st, const std::uint8_t s[32]) noexcept;
// `powed` is the value returned by decompress_begin raised to (p-5)/8.
// Returns false if s does not encode a curve point.
[[nodiscard]] bool decompress_finish(ge_p3& out, const decompress_state& st, const fe& powed) noexcept;
// Both halves in one call.
[[nodiscard]] bool ge_from_bytes(ge_p3& out, const std::uint8_t s[32]) noexcept;

// --- Prime-order-subgroup membership (P in 8E), after T. Pornin, "Point-halving
// --- and subgroup membership in twisted Edwards curves" (ePrint 2022/1164): P is in
// --- 8E iff it can be halved once (two square roots) and the half lies in 4E,
// --- which the quartic character of the order-4 Tate pairing decides (one more
// --- exponentiation). Three exponentiations in all, each by (p-5)/8, instead of a
// --- 253-bit scalar multiplication. See docs/batch_verification.md.
//
// Protocol: subgroup_begin -> pow -> subgroup_step2 -> pow -> subgroup_step3 -> pow
// -> subgroup_finish. Each step returns the value to raise to (p-5)/8 next, or sets
// `done` when the answer is already known (low-order input, or P not in 2E).
struct subgroup_state {
    fe e, u, w, wp, up, f;
    bool done = false;
    bool in_subgroup = false;
    bool degenerate = false;  // a value that cannot be zero was zero: decide another way
};
[[nodiscard]] fe subgroup_begin(subgroup_state& st, const ge_p3& p) noexcept;
[[nodiscard]] fe subgroup_step2(subgroup_state& st, const fe& powed) noexcept;
[[nodiscard]] fe subgroup_step3(subgroup_state& st, const fe& powed) noexcept;
void subgroup_finish(subgroup_state& st, const fe& powed) noexcept;
// All steps in one call (tests, and single items). The result is meaningless
// when st.degenerate is set; ge_in_prime_subgroup falls back to [L]P = 0 then.
[[nodiscard]] bool ge_in_prime_subgroup(const ge_p3& p) noexcept;
// Reference test: [L]P == identity (a 253-bit scalar multiplication).
[[nodiscard]] bool ge_in_prime_subgroup_slow(const ge_p3& p) noexcept;

}  // namespace crypto::detail
