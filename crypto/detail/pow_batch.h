// crypto/detail/pow_batch.h -- many exponentiations z -> z^((p-5)/8) at once.
//
// Point decompression and the subgroup test spend almost all their time in
// this one exponentiation (251 squarings, 11 multiplications), and a batch has
// many independent ones. The portable backend interleaves four chains so the
// CPU can overlap their multiplications; the AVX2 backend runs four chains per
// vector (radix 2^25.5, 32x32-bit multiplies), two vectors interleaved; the
// AVX-512 IFMA backend runs eight chains at once, one per 64-bit lane of 52-bit
// multiply-accumulate. The vector code is compiled with function-level target
// attributes only, so the rest of the build stays baseline x86-64, and it is
// selected at run time from CPUID.
//
// Thread safety: pure functions on caller-owned arrays.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "crypto/detail/fe25519.h"

namespace crypto::detail {

// Ordered from the floor up: a backend this CPU lacks resolves to the best
// available one below it.
enum class field_backend : std::uint8_t { automatic, portable, avx2, avx512ifma };

// True iff this CPU (and OS) supports AVX-512F and AVX-512 IFMA, and this build
// contains the IFMA code (x86-64 with GCC or Clang).
[[nodiscard]] bool ifma_available() noexcept;
// True iff this CPU (and OS) supports AVX2 and this build contains the AVX2 code.
[[nodiscard]] bool avx2_available() noexcept;
[[nodiscard]] bool backend_available(field_backend b) noexcept;
// What `requested` runs as on this machine: `automatic` is the process-wide
// default (set_default_backend) or, if that is automatic too, the best the CPU
// has; a backend the CPU lacks falls to the best available one below it.
[[nodiscard]] field_backend resolve_backend(field_backend requested) noexcept;
// Sets what `automatic` means from now on, for every thread. Returns false (and
// changes nothing) if the CPU lacks `b`.
bool set_default_backend(field_backend b) noexcept;
// "portable", "avx2" or "avx512ifma" ("auto" for automatic).
[[nodiscard]] const char* backend_name(field_backend b) noexcept;
// Every backend this CPU can run, from portable up (tests iterate over them).
[[nodiscard]] std::span<const field_backend> available_backends() noexcept;

// values[i] <- values[i]^((p-5)/8) for every i. Results are loose elements.
// REQUIRES: inputs loose. The backend is resolved with resolve_backend.
void pow22523_many(std::span<fe> values, field_backend backend) noexcept;

// The IFMA kernel itself: eight elements in place (tests call it directly).
// REQUIRES: ifma_available(); inputs loose.
void pow22523_x8_ifma(fe values[8]) noexcept;
// The AVX2 kernels: four elements in one vector, eight as two interleaved
// vectors. REQUIRES: avx2_available(); inputs loose. Results loose.
void pow22523_x4_avx2(fe values[4]) noexcept;
void pow22523_x8_avx2(fe values[8]) noexcept;

}  // namespace crypto::detail
