// crypto/detail/msm.h -- variable-base multi-scalar multiplication for the batch verifier.
//
// Computes  sum_i k_i P_i + k_B B  for a list of points P_i (with scalars k_i
// reduced mod L) and the base point B. Two portable algorithms with one
// interface, so the benchmark can compare them (docs/batch_verification.md has
// the numbers), and an AVX-512 IFMA one:
//
//   msm_straus     interleaved width-5 NAF (Straus/Shamir), one shared chain of
//                  doublings, 8 odd multiples per point, B from a fixed width-8
//                  table of 64 affine odd multiples.
//   msm_pippenger  signed-digit bucket method with window c chosen from the
//                  number of points; B is treated as one more point.
//   msm_ifma       eight lanes, each a fixed-window Straus over an eighth of
//                  the points; whole sums only.
//   msm_avx2       the same on four AVX2 lanes.
//
// prepare() precomputes per-point data once; run() may then be called on any
// contiguous sub-range (the batch verifier bisects a failed batch that way).
//
// Thread safety: an object is used by one thread at a time; the shared table of
// multiples of B is built once, thread-safely, on first use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "crypto/detail/ge25519.h"
#include "crypto/detail/scalar25519.h"

namespace crypto::detail {

// automatic: Straus below msm_pippenger_min_points points, Pippenger from there
// (the crossover measured in bench/crypto/verify_bench.cc BM_Msm_*).
enum class msm_algorithm : std::uint8_t { automatic, straus, pippenger };
inline constexpr std::size_t msm_pippenger_min_points = 256;

class msm_straus {
public:
    static constexpr int window = 5;
    static constexpr std::size_t table_size = std::size_t{1} << (window - 2);  // P, 3P, ..., 15P

    // REQUIRES: points.size() == scalars.size(); every scalar < 2^253.
    void prepare(std::span<const ge_p3> points, std::span<const scalar> scalars) noexcept;
    // sum_{first <= i < first + count} k_i P_i + base * B. REQUIRES: the range lies
    // within the prepared points; base < 2^253.
    [[nodiscard]] ge_p3 run(std::size_t first, std::size_t count, const scalar& base) const noexcept;

private:
    std::vector<ge_cached> _tables;    // table_size entries per point
    std::vector<std::int8_t> _digits;  // scalar_wnaf_len digits per point
    std::vector<std::uint16_t> _top;   // 1 + index of the highest non-zero digit, per point
};

class msm_pippenger {
public:
    void prepare(std::span<const ge_p3> points, std::span<const scalar> scalars) noexcept;
    [[nodiscard]] ge_p3 run(std::size_t first, std::size_t count, const scalar& base) const noexcept;
    // The window the run over `count` points uses (exposed for tests and tuning).
    [[nodiscard]] static int window_for(std::size_t count) noexcept;

private:
    std::vector<ge_cached> _points;
    std::vector<scalar> _scalars;
};

// The whole sum (no sub-ranges) on eight AVX-512 IFMA lanes: each lane runs a
// fixed-window Straus over an eighth of the points (msm_ifma.cc). Points whose
// scalar is below 2^128 only take the low windows. REQUIRES: ifma_available()
// (without IFMA in the build it falls back to msm_straus); scalars < 2^253.
[[nodiscard]] ge_p3 msm_ifma(std::span<const ge_p3> points, std::span<const scalar> scalars,
                             const scalar& base) noexcept;

// Eight sums at once, one per lane, for the batch verifier's layout (points
// R_0, A_0, R_1, A_1, ...): out[k] = sum over items i in [bounds[k], bounds[k+1])
// of k_{2i} R_i + k_{2i+1} A_i, plus bases[k] B. So one run checks eight
// sub-batches, and a failed batch is searched eight ways at a time.
// REQUIRES: ifma_available(); bounds non-decreasing within the points;
// scalars of R_i < 2^128, all scalars and bases < 2^253.
void msm_ifma_groups(std::span<const ge_p3> points, std::span<const scalar> scalars, const std::size_t (&bounds)[9],
                     const scalar (&bases)[8], ge_p3 (&out)[8]) noexcept;

// The same two on four AVX2 lanes (msm_avx2.cc; radix 2^25.5). REQUIRES:
// avx2_available() (without AVX2 in the build they fall back to msm_straus);
// as msm_ifma / msm_ifma_groups with four groups.
[[nodiscard]] ge_p3 msm_avx2(std::span<const ge_p3> points, std::span<const scalar> scalars,
                             const scalar& base) noexcept;
void msm_avx2_groups(std::span<const ge_p3> points, std::span<const scalar> scalars, const std::size_t (&bounds)[5],
                     const scalar (&bases)[4], ge_p3 (&out)[4]) noexcept;

// k * B with the fixed table (tests and setup). REQUIRES: k < 2^253.
[[nodiscard]] ge_p3 base_mul(const scalar& k) noexcept;

}  // namespace crypto::detail
