// crypto/batch_verify.h -- Ed25519 verification of many signatures at once.
//
// verify_batch gives, for every job, exactly the answer libsodium 1.0.18's
// crypto_sign_verify_detached gives -- including its cofactorless equation and
// its rejections of non-canonical and small-order encodings -- at a fraction of
// the cost per signature. It is the only hand-written curve code in the tree;
// docs/batch_verification.md states the acceptance rule, why the batch cannot
// disagree with libsodium, the algorithm and the measurements.
//
// In short: the same cheap rejections as libsodium; decompression of A and R;
// a prime-order-subgroup test on R + (h mod 8) A, which decides exactly the
// cases where the cofactored batch equation and libsodium's cofactorless one
// could differ; then one random linear combination
//     [8] ( -(sum z_i s_i) B + sum z_i R_i + sum (z_i h_i) A_i ) == identity
// with 128-bit z_i from libsodium's CSPRNG, checked by one multi-scalar
// multiplication (eight AVX-512 IFMA lanes or four AVX2 lanes when the CPU has
// them, Straus or Pippenger otherwise). If it fails, a search over sub-batches
// (eight- or four-way on the lanes, bisection otherwise) finds the bad items and
// libsodium settles them. A caller's key_cache (crypto/key_cache.h) saves
// decoding public keys it has seen.
//
// Inputs are public: nothing here is constant-time.
// Thread safety: verify_batch is reentrant and may run on any shard at once
// (each thread keeps its own scratch memory); crypto::init() must have run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "crypto/sign.h"

namespace crypto {

class key_cache;

// One signature to check. `msg` is borrowed for the duration of the call only.
struct verify_job {
    std::span<const std::byte> msg;
    public_key pk;
    signature sig;
};

// What one verify_batch call did (for counters; the verdicts are in `ok`).
struct batch_summary {
    std::uint32_t accepted = 0;
    std::uint32_t rejected = 0;
    // Rejected before any equation: the cheap checks, a point that does not
    // decode, or R + (h mod 8) A outside the prime-order subgroup.
    std::uint32_t rejected_early = 0;
    // Batch equations evaluated (multi-scalar multiplications): 1 when the
    // batch passes, more when bisection ran; 0 when no item needed one.
    std::uint32_t equations = 0;
    // Items settled by crypto_sign_verify_detached (bisection leaves, batches
    // too small to be worth an equation, and inputs the subgroup test declines).
    std::uint32_t single_checks = 0;
    // Public keys whose decoding a key_cache supplied (no exponentiation).
    std::uint32_t key_cache_hits = 0;
    // The first batch equation failed, so the batch fell back to bisection.
    bool fell_back = false;
};

// Verifies jobs[i] into ok[i], for every i, in order: ok[i] is true iff
// crypto_sign_verify_detached(jobs[i].sig, jobs[i].msg, jobs[i].pk) == 0 would
// be. The answer is the same whatever else is in the batch (a wrong answer
// needs a 2^-128 event of the CSPRNG; see the doc). An empty batch is fine.
// REQUIRES: ok.size() >= jobs.size() (extra entries are left untouched; a
// shorter ok gets verdicts for the first ok.size() jobs only);
// crypto::init() has run.
batch_summary verify_batch(std::span<const verify_job> jobs, std::span<bool> ok) noexcept;
// The same, looking public keys up in `keys` first and adding the ones it
// decodes (crypto/key_cache.h). Verdicts are identical with or without it.
batch_summary verify_batch(std::span<const verify_job> jobs, std::span<bool> ok, key_cache& keys) noexcept;

// The field arithmetic verify_batch uses: "avx512ifma", "avx2" or "portable"
// (the best this CPU has, from CPUID, unless set_batch_verify_backend chose).
[[nodiscard]] const char* batch_verify_backend() noexcept;

// Forces the field arithmetic of every later verify_batch call, process-wide:
// "auto" (the best the CPU has), "ifma" (or "avx512ifma"), "avx2", "portable".
// Returns false, changing nothing, for an unknown name or one this CPU cannot
// run. Verdicts are the same on every backend; only the speed differs.
bool set_batch_verify_backend(std::string_view name) noexcept;

}  // namespace crypto
