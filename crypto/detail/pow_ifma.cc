// AVX-512 IFMA kernel for crypto/detail/pow_batch.h: z^((p-5)/8) for eight
// elements at once (the field arithmetic is in fe25519_ifma.h).
#include "crypto/detail/pow_batch.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include "crypto/detail/fe25519_ifma.h"

namespace crypto::detail {

namespace {

using ifma::v8;

// Not inlined: one copy of the squaring loop serves the whole chain.
SHOAL_IFMA __attribute__((noinline)) v8 sq_n(v8 a, int n) noexcept {
    for (int i = 0; i < n; ++i) a = ifma::sq(a);
    return a;
}

// Out of line: the chain calls it eleven times.
SHOAL_IFMA __attribute__((noinline)) v8 mul_out(const v8& a, const v8& b) noexcept { return ifma::mul(a, b); }

SHOAL_IFMA v8 pow22523(const v8& z) noexcept {
    const v8 z2 = sq_n(z, 1);
    const v8 z9 = mul_out(sq_n(z2, 2), z);
    const v8 z11 = mul_out(z9, z2);
    const v8 z_5 = mul_out(sq_n(z11, 1), z9);
    const v8 z_10 = mul_out(sq_n(z_5, 5), z_5);
    const v8 z_20 = mul_out(sq_n(z_10, 10), z_10);
    const v8 z_40 = mul_out(sq_n(z_20, 20), z_20);
    const v8 z_50 = mul_out(sq_n(z_40, 10), z_10);
    const v8 z_100 = mul_out(sq_n(z_50, 50), z_50);
    const v8 z_200 = mul_out(sq_n(z_100, 100), z_100);
    const v8 z_250 = mul_out(sq_n(z_200, 50), z_50);
    return mul_out(sq_n(z_250, 2), z);
}


}  // namespace

bool ifma_available() noexcept {
    static const bool available = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512ifma");
    return available;
}

SHOAL_IFMA void pow22523_x8_ifma(fe values[8]) noexcept {
    ifma::scatter(&values[0].v[0], 5, pow22523(ifma::gather(&values[0].v[0], 5)));
}

}  // namespace crypto::detail

#endif
