#include "crypto/detail/msm.h"

#include <algorithm>
#include <array>

namespace crypto::detail {

namespace {

constexpr int base_window = 8;
constexpr std::size_t base_table_size = std::size_t{1} << (base_window - 2);  // B, 3B, ..., 127B

[[nodiscard]] ge_affine to_affine(const ge_p3& p) noexcept {
    const fe zinv = fe_invert(p.Z);
    const fe x = fe_mul(p.X, zinv);
    const fe y = fe_mul(p.Y, zinv);
    return ge_affine{fe_add(y, x), fe_sub(y, x), fe_mul(fe_mul(x, y), ge_d2)};
}

[[nodiscard]] std::array<ge_affine, base_table_size> build_base_table() noexcept {
    std::array<ge_affine, base_table_size> t;
    const ge_p3 b = ge_base();
    const ge_cached b2 = ge_to_cached(ge_dbl_p3(b));
    ge_p3 cur = b;
    for (std::size_t i = 0; i < base_table_size; ++i) {
        t[i] = to_affine(cur);
        cur = ge_to_p3(ge_add(cur, b2));
    }
    return t;
}

const std::array<ge_affine, base_table_size>& base_table() noexcept {
    static const std::array<ge_affine, base_table_size> table = build_base_table();
    return table;
}

// t <- t + d * (table entry) for a non-zero odd NAF digit d.
template <class Entry>
void add_digit(ge_done& t, int d, const Entry* table) noexcept {
    const ge_p3 p = ge_to_p3(t);
    t = d > 0 ? ge_add(p, table[d >> 1]) : ge_sub(p, table[(-d) >> 1]);
}

}  // namespace

// ---------------------------------------------------------------- Straus

void msm_straus::prepare(std::span<const ge_p3> points, std::span<const scalar> scalars) noexcept {
    const std::size_t n = points.size();
    _tables.resize(n * table_size);
    _digits.assign(n * scalar_wnaf_len, 0);
    _top.resize(n);
    std::int8_t naf[scalar_wnaf_len];
    for (std::size_t j = 0; j < n; ++j) {
        ge_cached* tab = &_tables[j * table_size];
        const ge_cached p2 = ge_to_cached(ge_dbl_p3(points[j]));
        ge_p3 cur = points[j];
        tab[0] = ge_to_cached(cur);
        for (std::size_t k = 1; k < table_size; ++k) {
            cur = ge_to_p3(ge_add(cur, p2));
            tab[k] = ge_to_cached(cur);
        }
        _top[j] = static_cast<std::uint16_t>(scalar_wnaf(naf, scalars[j], window));
        // Transposed (bit-major) so that one bit of a contiguous range of points is contiguous.
        for (std::size_t i = 0; i < _top[j]; ++i) _digits[i * n + j] = naf[i];
    }
}

ge_p3 msm_straus::run(std::size_t first, std::size_t count, const scalar& base) const noexcept {
    const std::size_t n = _top.size();
    std::int8_t bnaf[scalar_wnaf_len];
    std::size_t top = scalar_wnaf(bnaf, base, base_window);
    for (std::size_t j = first; j < first + count; ++j) top = std::max<std::size_t>(top, _top[j]);
    const ge_affine* btab = base_table().data();
    ge_done t = ge_dbl(ge_p3_to_p2(ge_identity()));
    for (std::size_t i = top; i-- > 0;) {
        t = ge_dbl(ge_to_p2(t));
        if (bnaf[i] != 0) add_digit(t, bnaf[i], btab);
        const std::int8_t* row = &_digits[i * n];
        for (std::size_t j = first; j < first + count; ++j) {
            if (row[j] != 0) add_digit(t, row[j], &_tables[j * table_size]);
        }
    }
    return ge_to_p3(t);
}

// ---------------------------------------------------------------- Pippenger

void msm_pippenger::prepare(std::span<const ge_p3> points, std::span<const scalar> scalars) noexcept {
    _points.resize(points.size());
    for (std::size_t j = 0; j < points.size(); ++j) _points[j] = ge_to_cached(points[j]);
    _scalars.assign(scalars.begin(), scalars.end());
}

int msm_pippenger::window_for(std::size_t count) noexcept {
    if (count < 16) return 4;
    if (count < 48) return 5;
    if (count < 160) return 6;
    if (count < 400) return 7;
    return 8;
}

ge_p3 msm_pippenger::run(std::size_t first, std::size_t count, const scalar& base) const noexcept {
    const int c = window_for(count + 1);
    const std::size_t nd = scalar_signed_radix_count(c);
    const std::size_t npts = count + 1;  // the range plus B
    std::vector<std::int16_t> digits(npts * nd);
    for (std::size_t j = 0; j < count; ++j) scalar_signed_radix(&digits[j * nd], _scalars[first + j], c);
    scalar_signed_radix(&digits[count * nd], base, c);
    const ge_cached bc = ge_to_cached(ge_base());

    const std::size_t nbuckets = std::size_t{1} << (c - 1);
    std::vector<ge_p3> buckets(nbuckets);
    std::vector<std::uint8_t> used(nbuckets);
    ge_p3 acc = ge_identity();
    bool acc_zero = true;
    for (std::size_t wi = nd; wi-- > 0;) {
        if (!acc_zero) {
            for (int k = 0; k < c; ++k) acc = ge_dbl_p3(acc);
        }
        std::fill(used.begin(), used.end(), 0);
        for (std::size_t j = 0; j < npts; ++j) {
            const int d = digits[j * nd + wi];
            if (d == 0) continue;
            const ge_cached& pc = j < count ? _points[first + j] : bc;
            const std::size_t b = static_cast<std::size_t>(d > 0 ? d : -d) - 1;
            if (!used[b]) {
                buckets[b] = ge_to_p3(d > 0 ? ge_add(ge_identity(), pc) : ge_sub(ge_identity(), pc));
                used[b] = 1;
            } else {
                buckets[b] = ge_to_p3(d > 0 ? ge_add(buckets[b], pc) : ge_sub(buckets[b], pc));
            }
        }
        // sum_b (b+1) * bucket[b] as a running sum from the top bucket down.
        ge_p3 running = ge_identity(), total = ge_identity();
        bool any = false;
        for (std::size_t b = nbuckets; b-- > 0;) {
            if (used[b]) {
                running = any ? ge_add_p3(running, buckets[b]) : buckets[b];
                any = true;
            }
            if (any) total = ge_add_p3(total, running);
        }
        if (any) {
            acc = acc_zero ? total : ge_add_p3(acc, total);
            acc_zero = false;
        }
    }
    return acc;
}

ge_p3 base_mul(const scalar& k) noexcept {
    std::int8_t naf[scalar_wnaf_len];
    const std::size_t top = scalar_wnaf(naf, k, base_window);
    const ge_affine* btab = base_table().data();
    ge_done t = ge_dbl(ge_p3_to_p2(ge_identity()));
    for (std::size_t i = top; i-- > 0;) {
        t = ge_dbl(ge_to_p2(t));
        if (naf[i] != 0) add_digit(t, naf[i], btab);
    }
    return ge_to_p3(t);
}

}  // namespace crypto::detail
