#include "crypto/detail/pow_batch.h"

#include <atomic>

namespace crypto::detail {

namespace {

// Below this many leftover elements the portable chains beat a padded IFMA vector.
constexpr std::size_t ifma_min_partial = 2;

// K independent copies of one operation, so that the compiler issues their
// multiplications back to back and the out-of-order core overlaps them (one
// chain is latency-bound: about 31 cycles per squaring here, against about 20
// when several run together).
template <std::size_t K>
struct fe_k {
    fe v[K];
};

template <std::size_t K>
[[nodiscard]] inline fe_k<K> sq_n_k(fe_k<K> a, int n) noexcept {
    for (int i = 0; i < n; ++i) {
        for (auto& x : a.v) x = fe_sq(x);
    }
    return a;
}

template <std::size_t K>
[[nodiscard]] inline fe_k<K> mul_k(const fe_k<K>& a, const fe_k<K>& b) noexcept {
    fe_k<K> r;
    for (std::size_t k = 0; k < K; ++k) r.v[k] = fe_mul(a.v[k], b.v[k]);
    return r;
}

// The chain of fe_pow22523, K lanes at a time.
template <std::size_t K>
[[nodiscard]] fe_k<K> pow22523_k(const fe_k<K>& z) noexcept {
    const fe_k<K> z2 = sq_n_k(z, 1);
    const fe_k<K> z9 = mul_k(sq_n_k(z2, 2), z);
    const fe_k<K> z11 = mul_k(z9, z2);
    const fe_k<K> z_5 = mul_k(sq_n_k(z11, 1), z9);
    const fe_k<K> z_10 = mul_k(sq_n_k(z_5, 5), z_5);
    const fe_k<K> z_20 = mul_k(sq_n_k(z_10, 10), z_10);
    const fe_k<K> z_40 = mul_k(sq_n_k(z_20, 20), z_20);
    const fe_k<K> z_50 = mul_k(sq_n_k(z_40, 10), z_10);
    const fe_k<K> z_100 = mul_k(sq_n_k(z_50, 50), z_50);
    const fe_k<K> z_200 = mul_k(sq_n_k(z_100, 100), z_100);
    const fe_k<K> z_250 = mul_k(sq_n_k(z_200, 50), z_50);
    return mul_k(sq_n_k(z_250, 2), z);
}

template <std::size_t K>
std::size_t pow_groups(std::span<fe> values, std::size_t i) noexcept {
    for (; i + K <= values.size(); i += K) {
        fe_k<K> z;
        for (std::size_t k = 0; k < K; ++k) z.v[k] = values[i + k];
        const fe_k<K> r = pow22523_k(z);
        for (std::size_t k = 0; k < K; ++k) values[i + k] = r.v[k];
    }
    return i;
}

void pow_portable(std::span<fe> values) noexcept {
    std::size_t i = pow_groups<4>(values, 0);
    i = pow_groups<2>(values, i);
    for (; i < values.size(); ++i) values[i] = fe_pow22523(values[i]);
}

}  // namespace

#if !(defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)))
bool ifma_available() noexcept { return false; }
bool avx2_available() noexcept { return false; }
void pow22523_x8_ifma(fe values[8]) noexcept { pow_portable(std::span<fe>(values, 8)); }
void pow22523_x4_avx2(fe values[4]) noexcept { pow_portable(std::span<fe>(values, 4)); }
void pow22523_x8_avx2(fe values[8]) noexcept { pow_portable(std::span<fe>(values, 8)); }
#endif

namespace {

std::atomic<field_backend> default_backend{field_backend::automatic};

// Groups of eight, then four; a remainder of two or more is padded to four
// (a partial vector costs as much as a full one), a single one goes portable.
void pow_avx2(std::span<fe> values) noexcept {
    std::size_t i = 0;
    for (; i + 8 <= values.size(); i += 8) pow22523_x8_avx2(&values[i]);
    if (i + 4 <= values.size()) {
        pow22523_x4_avx2(&values[i]);
        i += 4;
    }
    const std::size_t rest = values.size() - i;
    if (rest >= 2) {
        fe tmp[4];
        for (std::size_t k = 0; k < 4; ++k) tmp[k] = values[i + (k < rest ? k : 0)];
        pow22523_x4_avx2(tmp);
        for (std::size_t k = 0; k < rest; ++k) values[i + k] = tmp[k];
    } else if (rest == 1) {
        values[i] = fe_pow22523(values[i]);
    }
}

}  // namespace

bool backend_available(field_backend b) noexcept {
    switch (b) {
    case field_backend::avx512ifma: return ifma_available();
    case field_backend::avx2: return avx2_available();
    default: return true;
    }
}

field_backend resolve_backend(field_backend requested) noexcept {
    if (requested == field_backend::automatic) requested = default_backend.load(std::memory_order_relaxed);
    if (requested == field_backend::automatic) requested = field_backend::avx512ifma;
    if (requested == field_backend::avx512ifma && !ifma_available()) requested = field_backend::avx2;
    if (requested == field_backend::avx2 && !avx2_available()) requested = field_backend::portable;
    return requested;
}

bool set_default_backend(field_backend b) noexcept {
    if (!backend_available(b)) return false;
    default_backend.store(b, std::memory_order_relaxed);
    return true;
}

const char* backend_name(field_backend b) noexcept {
    switch (b) {
    case field_backend::portable: return "portable";
    case field_backend::avx2: return "avx2";
    case field_backend::avx512ifma: return "avx512ifma";
    default: return "auto";
    }
}

std::span<const field_backend> available_backends() noexcept {
    static const auto list = [] {
        struct backends {
            field_backend v[3];
            std::size_t n = 0;
        } out;
        for (auto b : {field_backend::portable, field_backend::avx2, field_backend::avx512ifma}) {
            if (backend_available(b)) out.v[out.n++] = b;
        }
        return out;
    }();
    return {list.v, list.n};
}

void pow22523_many(std::span<fe> values, field_backend backend) noexcept {
    const field_backend b = resolve_backend(backend);
    if (b == field_backend::portable) {
        pow_portable(values);
        return;
    }
    if (b == field_backend::avx2) {
        pow_avx2(values);
        return;
    }
    std::size_t i = 0;
    for (; i + 8 <= values.size(); i += 8) pow22523_x8_ifma(&values[i]);
    const std::size_t rest = values.size() - i;
    if (rest >= ifma_min_partial) {
        // A partial vector costs as much as a full one: pad with copies.
        fe tmp[8];
        for (std::size_t k = 0; k < 8; ++k) tmp[k] = values[i + (k < rest ? k : 0)];
        pow22523_x8_ifma(tmp);
        for (std::size_t k = 0; k < rest; ++k) values[i + k] = tmp[k];
    } else if (rest > 0) {
        pow_portable(values.subspan(i));
    }
}

}  // namespace crypto::detail
