// crypto/detail/pow_batch.h -- many exponentiations z -> z^((p-5)/8) at once.
//
// Point decompression and the subgroup test spend almost all their time in
// this one exponentiation (251 squarings, 11 multiplications), and a batch has
// many independent ones. The portable backend interleaves four chains so the
// CPU can overlap their multiplications; the AVX-512 IFMA backend runs eight
// chains at once, one per 64-bit lane of 52-bit multiply-accumulate. The IFMA
// code is compiled with a function-level target attribute only, so the rest of
// the build stays baseline x86-64, and it is selected at run time from CPUID.
//
// Thread safety: pure functions on caller-owned arrays.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "crypto/detail/fe25519.h"

namespace crypto::detail {

enum class field_backend : std::uint8_t { automatic, portable, avx512ifma };

// True iff this CPU (and OS) supports AVX-512F and AVX-512 IFMA, and this build
// contains the IFMA code (x86-64 with GCC or Clang).
[[nodiscard]] bool ifma_available() noexcept;
// The backend `automatic` resolves to on this machine.
[[nodiscard]] field_backend resolve_backend(field_backend requested) noexcept;

// values[i] <- values[i]^((p-5)/8) for every i. Results are loose elements.
// REQUIRES: inputs loose. `avx512ifma` falls back to portable when unavailable.
void pow22523_many(std::span<fe> values, field_backend backend) noexcept;

// The IFMA kernel itself: eight elements in place (tests call it directly).
// REQUIRES: ifma_available(); inputs loose.
void pow22523_x8_ifma(fe values[8]) noexcept;

}  // namespace crypto::detail
