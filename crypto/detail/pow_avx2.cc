// AVX2 kernel for crypto/detail/pow_batch.h: z^((p-5)/8) for four elements
// at once, or eight as two interleaved chains (the field arithmetic is in
// fe25519_avx2.h).
#include "crypto/detail/pow_batch.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include "crypto/detail/fe25519_avx2.h"

namespace crypto::detail {

namespace {

using avx2::v4;

// K independent vectors side by side: one vector's squaring chain is
// latency-bound (its carries are sequential); two overlap a little. (Running
// radix-2^51 scalar chains beside the vectors, to use the idle integer
// multiplier, was measured slower: the front end is the limit.)
template <int K>
struct lanes {
    v4 g[K];
};

template <int K>
SHOAL_AVX2 __attribute__((noinline)) lanes<K> sq_n(lanes<K> a, int n) noexcept {
    for (int i = 0; i < n; ++i) {
#pragma GCC unroll 4
        for (int k = 0; k < K; ++k) a.g[k] = avx2::sq(a.g[k]);
    }
    return a;
}

template <int K>
SHOAL_AVX2 __attribute__((noinline)) lanes<K> mul_out(const lanes<K>& a, const lanes<K>& b) noexcept {
    lanes<K> r;
#pragma GCC unroll 4
    for (int k = 0; k < K; ++k) r.g[k] = avx2::mul(a.g[k], b.g[k]);
    return r;
}

template <int K>
SHOAL_AVX2 lanes<K> pow22523(const lanes<K>& z) noexcept {
    using L = lanes<K>;
    const L z2 = sq_n(z, 1);
    const L z9 = mul_out(sq_n(z2, 2), z);
    const L z11 = mul_out(z9, z2);
    const L z_5 = mul_out(sq_n(z11, 1), z9);
    const L z_10 = mul_out(sq_n(z_5, 5), z_5);
    const L z_20 = mul_out(sq_n(z_10, 10), z_10);
    const L z_40 = mul_out(sq_n(z_20, 20), z_20);
    const L z_50 = mul_out(sq_n(z_40, 10), z_10);
    const L z_100 = mul_out(sq_n(z_50, 50), z_50);
    const L z_200 = mul_out(sq_n(z_100, 100), z_100);
    const L z_250 = mul_out(sq_n(z_200, 50), z_50);
    return mul_out(sq_n(z_250, 2), z);
}

// values[0 .. 4 K) in place.
template <int K>
SHOAL_AVX2 void pow_k(fe* values) noexcept {
    lanes<K> z;
    for (int k = 0; k < K; ++k) z.g[k] = avx2::from_fe(values + 4 * k);
    const lanes<K> r = pow22523(z);
    for (int k = 0; k < K; ++k) avx2::to_fe(values + 4 * k, r.g[k]);
}

}  // namespace

bool avx2_available() noexcept {
    static const bool available = __builtin_cpu_supports("avx2");
    return available;
}

SHOAL_AVX2 void pow22523_x4_avx2(fe values[4]) noexcept { pow_k<1>(values); }
SHOAL_AVX2 void pow22523_x8_avx2(fe values[8]) noexcept { pow_k<2>(values); }

}  // namespace crypto::detail

#endif
