// crypto/detail/batch_verify_impl.h -- knobs of the batch verifier, for tests and benchmarks.
//
// crypto::verify_batch is verify_batch_with(jobs, ok, batch_options{}). Tests
// use the options to force the portable field arithmetic (so both backends are
// checked against libsodium on an IFMA machine), to force the equation path on
// batches small enough that production would hand them to libsodium, and to
// pick the multi-scalar multiplication the benchmark compares.
//
// Thread safety: as crypto::verify_batch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "crypto/batch_verify.h"
#include "crypto/key_cache.h"
#include "crypto/detail/msm.h"
#include "crypto/detail/pow_batch.h"

namespace crypto::detail {

struct batch_options {
    field_backend backend = field_backend::automatic;
    // The portable MSM; with the IFMA backend the first equation of a batch of
    // min_ifma_msm_items or more runs on the IFMA lanes unless this says pippenger.
    msm_algorithm msm = msm_algorithm::automatic;
    // Fewer candidates than this (after the cheap checks) are verified one by
    // one with libsodium instead of through an equation.
    std::size_t min_equation_items = 2;
    // Bisection stops at sub-batches this small and hands them to libsodium.
    std::size_t bisect_leaf = 1;
    // With the IFMA backend, the first equation runs on the IFMA lanes
    // (msm_ifma) from this many candidates up; bisection always runs on the
    // portable MSM.
    std::size_t min_ifma_msm_items = 8;
    // The same for the AVX2 backend and its four lanes (msm_avx2): below 16
    // the scalar Straus wins (BM_Msm_Avx2 against BM_Msm_Straus).
    std::size_t min_avx2_msm_items = 16;
    // Decoded public keys to look up and fill (none when null).
    key_cache* keys = nullptr;
};

batch_summary verify_batch_with(std::span<const verify_job> jobs, std::span<bool> ok,
                                const batch_options& options) noexcept;

// libsodium 1.0.18's ge25519_has_small_order on an encoding: true iff bits
// 0..254 equal the y-coordinate (canonical or the non-canonical p, p + 1) of a
// point of order 1, 2, 4 or 8. Bit 255 is ignored.
[[nodiscard]] bool encoding_has_small_order(const std::uint8_t s[32]) noexcept;
// libsodium 1.0.18's ge25519_is_canonical: bits 0..254 are < p (bit 255 ignored).
[[nodiscard]] bool encoding_is_canonical(const std::uint8_t s[32]) noexcept;

}  // namespace crypto::detail
