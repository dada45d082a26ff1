// The multi-scalar multiplication of msm.h on four AVX2 lanes.
//
// The design of msm_ifma.cc with four lanes instead of eight and the field
// arithmetic of fe25519_avx2.h (radix 2^25.5): each 64-bit lane runs its own
// fixed-window Straus sum over a quarter of the points, so all lanes execute
// the same instructions on different data:
//   * points are dealt to (slot, lane) pairs; long-scalar points (and B) fill
//     the "long" slots, points whose scalar is below 2^128 (the R_i of a
//     batch) the "short" slots; empty pairs hold the identity with scalar 0;
//   * scalars are recoded in signed radix 2^5 (digits in [-16, 16]); zero
//     digits add the identity, which the complete formulas handle;
//   * each slot has a table of 0P..16P per lane in cached form, each entry of
//     each lane a row of 40 limbs; the four rows the lanes' digits select are
//     loaded and transposed 4x4 (gathers were measured slower here);
//     negative digits swap y+x with y-x and F with G, which negates the entry;
//   * 5 doublings per window, short slots only in the low 27 windows; the
//     four lane sums are added at the end.
#include "crypto/detail/msm.h"

#include "crypto/detail/pow_batch.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <algorithm>
#include <vector>

#include "crypto/detail/fe25519_avx2.h"

namespace crypto::detail {

namespace {

using avx2::v4;

constexpr int window = 5;
constexpr std::size_t entries = 17;                                      // 0P .. 16P
constexpr std::size_t entry_vectors = 40;                                // 4 coordinates x 10 limbs
constexpr std::size_t long_windows = scalar_signed_radix_count(window);  // 53
constexpr std::size_t short_windows = 27;                                // 2^128 needs 26 digits + a carry
constexpr std::size_t lanes = 4;

// 32 bytes: one vector of four lanes.
struct alignas(32) lanes4 {
    long long q[4];
};

struct vp3 {
    v4 X, Y, Z, T;
};
struct vp2 {
    v4 X, Y, Z;
};
struct vcached {
    v4 ypx, ymx, z, t2d;
};

struct scratch {
    std::vector<lanes4> tables;  // [slot][entry][lane][40 limbs]: a lanes4 is four limbs of one row
    std::vector<lanes4> digits;  // [slot][window]
};

scratch& thread_scratch() noexcept {
    thread_local scratch s;
    return s;
}

SHOAL_AVX2 vcached to_cached(const vp3& p) noexcept {
    return vcached{avx2::vadd(p.Y, p.X), avx2::vsub(p.Y, p.X), p.Z, avx2::mul(p.T, avx2::broadcast(ge_d2))};
}

// p <- p + q, or p - q in the lanes whose neg mask is set. The formulas of
// ge25519.cc (add_core); -q swaps y+x with y-x and negates 2dxy, i.e. swaps F with G.
SHOAL_AVX2 void add(vp3& p, const vcached& q, __m256i neg) noexcept {
    const v4 ypx = avx2::select(neg, q.ypx, q.ymx);
    const v4 ymx = avx2::select(neg, q.ymx, q.ypx);
    const v4 a = avx2::mul(avx2::vsub(p.Y, p.X), ymx);
    const v4 b = avx2::mul(avx2::vadd(p.Y, p.X), ypx);
    const v4 c = avx2::mul(p.T, q.t2d);
    const v4 zz = avx2::mul(p.Z, q.z);
    const v4 d = avx2::vadd(zz, zz);  // < 2^27.01: fine as the minuend of vsub_c
    const v4 e = avx2::vsub(b, a);
    const v4 h = avx2::vadd(b, a);
    const v4 f0 = avx2::vsub_c(d, c);
    const v4 g0 = avx2::vadd_c(d, c);
    const v4 f = avx2::select(neg, f0, g0);
    const v4 g = avx2::select(neg, g0, f0);
    p.X = avx2::mul(e, f);
    p.Y = avx2::mul(g, h);
    p.Z = avx2::mul(f, g);
    p.T = avx2::mul(e, h);
}

// The four factors of a doubling (ge25519.cc ge_dbl).
struct vdone {
    v4 e, f, g, h;
};
SHOAL_AVX2_INLINE vdone dbl_core(const v4& x, const v4& y, const v4& z) noexcept {
    const v4 a = avx2::sq(x);
    const v4 b = avx2::sq(y);
    const v4 zz = avx2::sq(z);
    const v4 c = avx2::vadd(zz, zz);
    const v4 h = avx2::vadd(a, b);
    const v4 g = avx2::vsub(a, b);
    return vdone{avx2::vsub_c(h, avx2::sq(avx2::vadd(x, y))), avx2::vadd_c(c, g), g, h};
}
SHOAL_AVX2 vp2 dbl_p2(const vp2& p) noexcept {
    const vdone r = dbl_core(p.X, p.Y, p.Z);
    return vp2{avx2::mul(r.e, r.f), avx2::mul(r.g, r.h), avx2::mul(r.f, r.g)};
}
SHOAL_AVX2 vp3 dbl_p3(const vp2& p) noexcept {
    const vdone r = dbl_core(p.X, p.Y, p.Z);
    return vp3{avx2::mul(r.e, r.f), avx2::mul(r.g, r.h), avx2::mul(r.f, r.g), avx2::mul(r.e, r.h)};
}

// Rows a..d of a 4x4 matrix of 64-bit values <-> its columns.
SHOAL_AVX2_INLINE void transpose4(__m256i& a, __m256i& b, __m256i& c, __m256i& d) noexcept {
    const __m256i t0 = _mm256_unpacklo_epi64(a, b), t1 = _mm256_unpackhi_epi64(a, b);
    const __m256i t2 = _mm256_unpacklo_epi64(c, d), t3 = _mm256_unpackhi_epi64(c, d);
    a = _mm256_permute2x128_si256(t0, t2, 0x20);
    b = _mm256_permute2x128_si256(t1, t3, 0x20);
    c = _mm256_permute2x128_si256(t0, t2, 0x31);
    d = _mm256_permute2x128_si256(t1, t3, 0x31);
}

// The 40 limb vectors of a cached point, in order.
SHOAL_AVX2_INLINE __m256i* limb_ptr(vcached& c, int i) noexcept {
    v4* parts[4] = {&c.ypx, &c.ymx, &c.z, &c.t2d};
    return &parts[i / 10]->l[i % 10];
}

// Writes the four lanes of c as four rows of 40 limbs (lane k at out + 10 k).
SHOAL_AVX2 void store_cached(lanes4* out, vcached c) noexcept {
    for (int i = 0; i < 40; i += 4) {
        __m256i a = *limb_ptr(c, i), b = *limb_ptr(c, i + 1), x = *limb_ptr(c, i + 2), y = *limb_ptr(c, i + 3);
        transpose4(a, b, x, y);
        _mm256_store_si256(reinterpret_cast<__m256i*>(&out[0 + i / 4]), a);
        _mm256_store_si256(reinterpret_cast<__m256i*>(&out[10 + i / 4]), b);
        _mm256_store_si256(reinterpret_cast<__m256i*>(&out[20 + i / 4]), x);
        _mm256_store_si256(reinterpret_cast<__m256i*>(&out[30 + i / 4]), y);
    }
}

// Table of 0P..16P for the four points of one slot.
SHOAL_AVX2 void build_table(lanes4* out, const vp3& p) noexcept {
    const v4 zero = avx2::broadcast(fe_zero_v), one = avx2::broadcast(fe_one_v);
    store_cached(out, vcached{one, one, one, zero});
    const vcached pc = to_cached(p);
    store_cached(out + entry_vectors, pc);
    vp3 cur = dbl_p3(vp2{p.X, p.Y, p.Z});
    for (std::size_t e = 2; e < entries; ++e) {
        if (e > 2) add(cur, pc, _mm256_setzero_si256());
        store_cached(out + e * entry_vectors, to_cached(cur));
    }
}

// acc <- acc + digit * (table entry) in every lane, |digit| <= 16.
SHOAL_AVX2 void add_digit(vp3& acc, const lanes4* table, const lanes4& digit) noexcept {
    const __m256i d = _mm256_load_si256(reinterpret_cast<const __m256i*>(&digit));
    const __m256i neg = _mm256_cmpgt_epi64(_mm256_setzero_si256(), d);
    const lanes4* row[4];
    for (int k = 0; k < 4; ++k) {
        const long long q = digit.q[k];
        row[k] = table + (static_cast<std::size_t>(q < 0 ? -q : q) * lanes + static_cast<std::size_t>(k)) * 10;
    }
    vcached q;
#pragma GCC unroll 10
    for (int i = 0; i < 10; ++i) {
        __m256i a = _mm256_load_si256(reinterpret_cast<const __m256i*>(&row[0][i]));
        __m256i b = _mm256_load_si256(reinterpret_cast<const __m256i*>(&row[1][i]));
        __m256i c = _mm256_load_si256(reinterpret_cast<const __m256i*>(&row[2][i]));
        __m256i e = _mm256_load_si256(reinterpret_cast<const __m256i*>(&row[3][i]));
        transpose4(a, b, c, e);
        *limb_ptr(q, 4 * i) = a;
        *limb_ptr(q, 4 * i + 1) = b;
        *limb_ptr(q, 4 * i + 2) = c;
        *limb_ptr(q, 4 * i + 3) = e;
    }
    add(acc, q, neg);
}

// What each (slot, lane) pair holds: an index into points, empty, or B (with
// that lane's base scalar). Long slots come first, then short ones.
constexpr std::size_t empty_slot = ~std::size_t{0};
constexpr std::size_t base_slot = ~std::size_t{0} - 1;

struct plan {
    std::vector<std::size_t> entry;  // (long_slots + short_slots) x 4
    std::size_t long_slots = 0, short_slots = 0;
    void resize(std::size_t l, std::size_t s) {
        long_slots = l;
        short_slots = s;
        entry.assign((l + s) * lanes, empty_slot);
    }
    std::size_t& at(std::size_t slot, std::size_t lane) { return entry[slot * lanes + lane]; }
};

// Fills the table and the digits of one slot.
SHOAL_AVX2 void prepare_slot(scratch& sc, std::size_t slot, const std::size_t* lane_entry,
                             std::span<const ge_p3> points, std::span<const scalar> scalars, const scalar* bases,
                             std::size_t windows) noexcept {
    ge_p3 staged[lanes];
    std::int16_t dg[long_windows];
    for (std::size_t w = 0; w < long_windows; ++w) {
        for (auto& q : sc.digits[slot * long_windows + w].q) q = 0;
    }
    for (std::size_t k = 0; k < lanes; ++k) {
        const std::size_t idx = lane_entry[k];
        staged[k] = ge_identity();
        if (idx == empty_slot) continue;
        const bool is_base = idx == base_slot;
        const ge_p3& p = is_base ? ge_base() : points[idx];
        // from_fe needs limbs < 2^52; decoded points may carry fe_neg results.
        staged[k] = ge_p3{fe_carry(p.X), fe_carry(p.Y), fe_carry(p.Z), fe_carry(p.T)};
        scalar_signed_radix(dg, is_base ? bases[k] : scalars[idx], window);
        for (std::size_t w = 0; w < windows; ++w) sc.digits[slot * long_windows + w].q[k] = dg[w];
    }
    const vp3 p{avx2::from_fe4(staged[0].X, staged[1].X, staged[2].X, staged[3].X),
                avx2::from_fe4(staged[0].Y, staged[1].Y, staged[2].Y, staged[3].Y),
                avx2::from_fe4(staged[0].Z, staged[1].Z, staged[2].Z, staged[3].Z),
                avx2::from_fe4(staged[0].T, staged[1].T, staged[2].T, staged[3].T)};
    build_table(&sc.tables[slot * entries * entry_vectors], p);
}

SHOAL_AVX2 void run_lanes(const scratch& sc, const plan& pl, std::size_t top, ge_p3 out[lanes]) noexcept {
    const v4 zero = avx2::broadcast(fe_zero_v), one = avx2::broadcast(fe_one_v);
    vp3 acc{zero, one, one, zero};
    const std::size_t slots = pl.long_slots + pl.short_slots;
    for (std::size_t j = top; j-- > 0;) {
        if (j + 1 != top) {
            vp2 t{acc.X, acc.Y, acc.Z};
            for (int i = 0; i < window - 1; ++i) t = dbl_p2(t);
            acc = dbl_p3(t);
        }
        for (std::size_t s = 0; s < slots; ++s) {
            if (s >= pl.long_slots && j >= short_windows) break;
            add_digit(acc, &sc.tables[s * entries * entry_vectors], sc.digits[s * long_windows + j]);
        }
    }
    fe x[lanes], y[lanes], z[lanes], t[lanes];
    avx2::to_fe(x, acc.X);
    avx2::to_fe(y, acc.Y);
    avx2::to_fe(z, acc.Z);
    avx2::to_fe(t, acc.T);
    for (std::size_t k = 0; k < lanes; ++k) out[k] = ge_p3{x[k], y[k], z[k], t[k]};
}

// Runs a plan: the four lane sums.
SHOAL_AVX2 void run_plan(const plan& pl, std::span<const ge_p3> points, std::span<const scalar> scalars,
                         const scalar* bases, ge_p3 out[lanes]) noexcept {
    scratch& sc = thread_scratch();
    const std::size_t slots = pl.long_slots + pl.short_slots;
    sc.tables.resize(slots * entries * entry_vectors);
    sc.digits.resize(slots * long_windows);
    for (std::size_t s = 0; s < slots; ++s) {
        prepare_slot(sc, s, &pl.entry[s * lanes], points, scalars, bases,
                     s < pl.long_slots ? long_windows : short_windows);
    }
    // Skip windows that are zero in every lane (scalars below 2^253 leave the top one empty).
    std::size_t top = 0;
    for (std::size_t s = 0; s < slots; ++s) {
        for (std::size_t j = long_windows; j-- > top;) {
            bool nz = false;
            for (long long q : sc.digits[s * long_windows + j].q) nz |= q != 0;
            if (nz) {
                top = j + 1;
                break;
            }
        }
    }
    run_lanes(sc, pl, top, out);
}

plan& thread_plan() noexcept {
    thread_local plan p;
    return p;
}

}  // namespace

SHOAL_AVX2 ge_p3 msm_avx2(std::span<const ge_p3> points, std::span<const scalar> scalars, const scalar& base) noexcept {
    // Deal long scalars (and B) and short ones to their own slots, filling lanes in turn.
    std::vector<std::size_t> longs, shorts;
    for (std::size_t i = 0; i < scalars.size(); ++i) {
        (scalars[i].w[2] == 0 && scalars[i].w[3] == 0 ? shorts : longs).push_back(i);
    }
    longs.push_back(base_slot);
    plan& pl = thread_plan();
    pl.resize((longs.size() + lanes - 1) / lanes, (shorts.size() + lanes - 1) / lanes);
    for (std::size_t i = 0; i < longs.size(); ++i) pl.at(i / lanes, i % lanes) = longs[i];
    for (std::size_t i = 0; i < shorts.size(); ++i) pl.at(pl.long_slots + i / lanes, i % lanes) = shorts[i];
    scalar bases[lanes];
    for (auto& b : bases) b = base;
    ge_p3 lane[lanes];
    run_plan(pl, points, scalars, bases, lane);
    ge_p3 sum = lane[0];
    for (std::size_t k = 1; k < lanes; ++k) sum = ge_add_p3(sum, lane[k]);
    return sum;
}

SHOAL_AVX2 void msm_avx2_groups(std::span<const ge_p3> points, std::span<const scalar> scalars,
                                const std::size_t (&bounds)[5], const scalar (&bases)[4], ge_p3 (&out)[4]) noexcept {
    std::size_t most = 0;
    for (std::size_t k = 0; k < lanes; ++k) most = std::max(most, bounds[k + 1] - bounds[k]);
    plan& pl = thread_plan();
    pl.resize(most + 1, most);  // long: the A of each item, then B; short: the R of each item
    for (std::size_t k = 0; k < lanes; ++k) {
        for (std::size_t i = bounds[k]; i < bounds[k + 1]; ++i) {
            pl.at(i - bounds[k], k) = 2 * i + 1;
            pl.at(most + 1 + (i - bounds[k]), k) = 2 * i;
        }
        pl.at(most, k) = base_slot;
    }
    run_plan(pl, points, scalars, bases, out);
}

}  // namespace crypto::detail

#else

namespace crypto::detail {
ge_p3 msm_avx2(std::span<const ge_p3> points, std::span<const scalar> scalars, const scalar& base) noexcept {
    msm_straus s;
    s.prepare(points, scalars);
    return s.run(0, points.size(), base);
}
void msm_avx2_groups(std::span<const ge_p3> points, std::span<const scalar> scalars, const std::size_t (&bounds)[5],
                     const scalar (&bases)[4], ge_p3 (&out)[4]) noexcept {
    msm_straus s;
    s.prepare(points, scalars);
    for (std::size_t k = 0; k < 4; ++k) out[k] = s.run(2 * bounds[k], 2 * (bounds[k + 1] - bounds[k]), bases[k]);
}
}  // namespace crypto::detail

#endif
