// The multi-scalar multiplication of msm.h on eight AVX-512 IFMA lanes.
//
// Each of the eight 64-bit lanes runs its own Straus sum over one eighth of
// the points, so all lanes execute the same instructions on different data:
//   * points are dealt to (slot, lane) pairs; long-scalar points (and B) fill
//     the "long" slots, points whose scalar is below 2^128 (the R_i of a
//     batch) the "short" slots; empty pairs hold the identity with scalar 0;
//   * scalars are recoded in signed radix 2^5 (digits in [-16, 16]), so every
//     window has a digit in every lane -- zero digits add the identity, which
//     the complete formulas handle -- and no lane waits for another;
//   * each slot has a table of 0P..16P per lane in cached form, laid out so
//     that one gather per limb fetches the entry each lane's digit selects;
//     negative digits swap y+x with y-x and F with G, which negates the entry;
//   * 5 doublings per window (shared by a lane's points), short slots only in
//     the low 27 windows; the eight lane sums are added at the end.
// With 2n + 1 points a lane does about (n/8) * (52 + 27) additions and 260
// doublings, against n * 63 additions for the scalar Straus: the lanes win
// from about 8 signatures up (see docs/batch_verification.md).
#include "crypto/detail/msm.h"

#include "crypto/detail/pow_batch.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <algorithm>
#include <vector>

#include "crypto/detail/fe25519_ifma.h"

namespace crypto::detail {

namespace {

using ifma::v8;

constexpr int window = 5;
constexpr std::size_t entries = 17;                                  // 0P .. 16P
constexpr std::size_t entry_vectors = 20;                            // 4 coordinates x 5 limbs
constexpr std::size_t long_windows = scalar_signed_radix_count(window);  // 53
constexpr std::size_t short_windows = 27;                            // 2^128 needs 26 digits + a carry

// 64 bytes: one vector of eight lanes.
struct alignas(64) lanes8 {
    long long q[8];
};

struct vp3 {
    v8 X, Y, Z, T;
};
struct vp2 {
    v8 X, Y, Z;
};
struct vcached {
    v8 ypx, ymx, z, t2d;
};

struct scratch {
    std::vector<lanes8> tables;  // [slot][entry][20 vectors]
    std::vector<lanes8> digits;  // [slot][window]
    std::vector<ge_p3> staged;   // eight points of one slot
};

scratch& thread_scratch() noexcept {
    thread_local scratch s;
    return s;
}

SHOAL_IFMA vcached to_cached(const vp3& p) noexcept {
    return vcached{ifma::add(p.Y, p.X), ifma::sub(p.Y, p.X), p.Z, ifma::mul(p.T, ifma::broadcast(ge_d2))};
}

// p <- p + q, or p - q in the lanes set in neg. Formulas of ge25519.cc (add_core);
// -q swaps y+x with y-x and negates 2dxy, i.e. swaps F with G.
SHOAL_IFMA void add(vp3& p, const vcached& q, __mmask8 neg) noexcept {
    const v8 ypx = ifma::select(neg, q.ypx, q.ymx);
    const v8 ymx = ifma::select(neg, q.ymx, q.ypx);
    const v8 a = ifma::mul(ifma::sub(p.Y, p.X), ymx);
    const v8 b = ifma::mul(ifma::add(p.Y, p.X), ypx);
    const v8 c = ifma::mul(p.T, q.t2d);
    const v8 zz = ifma::mul(p.Z, q.z);
    const v8 d = ifma::add(zz, zz);
    const v8 e = ifma::sub(b, a);
    const v8 h = ifma::add(b, a);
    const v8 f0 = ifma::sub(d, c);
    const v8 g0 = ifma::add(d, c);
    const v8 f = ifma::select(neg, f0, g0);
    const v8 g = ifma::select(neg, g0, f0);
    p.X = ifma::mul(e, f);
    p.Y = ifma::mul(g, h);
    p.Z = ifma::mul(f, g);
    p.T = ifma::mul(e, h);
}

// The four factors of a doubling (ge25519.cc ge_dbl).
struct vdone {
    v8 e, f, g, h;
};
SHOAL_IFMA_INLINE vdone dbl_core(const v8& x, const v8& y, const v8& z) noexcept {
    const v8 a = ifma::sq(x);
    const v8 b = ifma::sq(y);
    const v8 zz = ifma::sq(z);
    const v8 c = ifma::add(zz, zz);
    const v8 h = ifma::add(a, b);
    const v8 g = ifma::sub(a, b);
    return vdone{ifma::sub(h, ifma::sq(ifma::add(x, y))), ifma::add(c, g), g, h};
}
SHOAL_IFMA vp2 dbl_p2(const vp2& p) noexcept {
    const vdone r = dbl_core(p.X, p.Y, p.Z);
    return vp2{ifma::mul(r.e, r.f), ifma::mul(r.g, r.h), ifma::mul(r.f, r.g)};
}
SHOAL_IFMA vp3 dbl_p3(const vp2& p) noexcept {
    const vdone r = dbl_core(p.X, p.Y, p.Z);
    return vp3{ifma::mul(r.e, r.f), ifma::mul(r.g, r.h), ifma::mul(r.f, r.g), ifma::mul(r.e, r.h)};
}

SHOAL_IFMA void store_cached(lanes8* out, const vcached& c) noexcept {
    const v8* parts[4] = {&c.ypx, &c.ymx, &c.z, &c.t2d};
    for (int i = 0; i < 4; ++i) {
        for (int k = 0; k < 5; ++k) _mm512_store_si512(static_cast<void*>(&out[5 * i + k]), parts[i]->l[k]);
    }
}

// Table of 0P..16P for the eight points of one slot.
SHOAL_IFMA void build_table(lanes8* out, const vp3& p) noexcept {
    const v8 zero = ifma::broadcast(fe_zero_v), one = ifma::broadcast(fe_one_v);
    store_cached(out, vcached{one, one, one, zero});
    const vcached pc = to_cached(p);
    store_cached(out + entry_vectors, pc);
    vp3 cur = dbl_p3(vp2{p.X, p.Y, p.Z});
    for (std::size_t e = 2; e < entries; ++e) {
        if (e > 2) add(cur, pc, 0);
        store_cached(out + e * entry_vectors, to_cached(cur));
    }
}

// acc <- acc + digit * (table entry) in every lane, |digit| <= 16.
SHOAL_IFMA void add_digit(vp3& acc, const lanes8* table, const lanes8& digit) noexcept {
    const __m512i d = _mm512_load_si512(static_cast<const void*>(&digit));
    const __mmask8 neg = _mm512_cmplt_epi64_mask(d, _mm512_setzero_si512());
    const __m512i mag = _mm512_maskz_abs_epi64(ifma::all_lanes, d);
    // qword index of (entry |d|, lane k): |d| * 160 + k
    const __m512i idx = _mm512_add_epi64(_mm512_add_epi64(ifma::shl(mag, 7), ifma::shl(mag, 5)), ifma::lane_offsets(1));
    vcached q;
    v8* part[4] = {&q.ypx, &q.ymx, &q.z, &q.t2d};
    for (int i = 0; i < 4; ++i) {
        for (int k = 0; k < 5; ++k) {
            part[i]->l[k] = _mm512_mask_i64gather_epi64(_mm512_setzero_si512(), ifma::all_lanes, idx,
                                                        static_cast<const void*>(&table[5 * i + k]), 8);
        }
    }
    add(acc, q, neg);
}

// What each (slot, lane) pair holds: an index into points, empty, or B (with
// that lane's base scalar). Long slots come first, then short ones.
constexpr std::size_t empty_slot = ~std::size_t{0};
constexpr std::size_t base_slot = ~std::size_t{0} - 1;

struct plan {
    std::vector<std::size_t> entry;  // (long_slots + short_slots) x 8
    std::size_t long_slots = 0, short_slots = 0;
    void resize(std::size_t l, std::size_t s) {
        long_slots = l;
        short_slots = s;
        entry.assign((l + s) * 8, empty_slot);
    }
    std::size_t& at(std::size_t slot, std::size_t lane) { return entry[slot * 8 + lane]; }
};

// Fills the table and the digits of one slot.
SHOAL_IFMA void prepare_slot(scratch& sc, std::size_t slot, const std::size_t* lane_entry,
                             std::span<const ge_p3> points, std::span<const scalar> scalars, const scalar* bases,
                             std::size_t windows) noexcept {
    sc.staged.assign(8, ge_identity());
    std::int16_t dg[long_windows];
    for (std::size_t w = 0; w < long_windows; ++w) {
        for (auto& q : sc.digits[slot * long_windows + w].q) q = 0;
    }
    for (std::size_t k = 0; k < 8; ++k) {
        const std::size_t idx = lane_entry[k];
        if (idx == empty_slot) continue;
        const bool is_base = idx == base_slot;
        sc.staged[k] = is_base ? ge_base() : points[idx];
        scalar_signed_radix(dg, is_base ? bases[k] : scalars[idx], window);
        for (std::size_t w = 0; w < windows; ++w) sc.digits[slot * long_windows + w].q[k] = dg[w];
    }
    const std::uint64_t* raw = &sc.staged[0].X.v[0];
    constexpr long long stride = sizeof(ge_p3) / sizeof(std::uint64_t);  // 20
    const vp3 p{ifma::gather(raw, stride), ifma::gather(raw + 5, stride), ifma::gather(raw + 10, stride),
                ifma::gather(raw + 15, stride)};
    build_table(&sc.tables[slot * entries * entry_vectors], p);
}

SHOAL_IFMA void run_lanes(const scratch& sc, const plan& pl, std::size_t top, ge_p3 out[8]) noexcept {
    vp3 acc{ifma::broadcast(fe_zero_v), ifma::broadcast(fe_one_v), ifma::broadcast(fe_one_v),
            ifma::broadcast(fe_zero_v)};
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
    std::uint64_t* raw = &out[0].X.v[0];
    constexpr long long stride = sizeof(ge_p3) / sizeof(std::uint64_t);
    ifma::scatter(raw, stride, acc.X);
    ifma::scatter(raw + 5, stride, acc.Y);
    ifma::scatter(raw + 10, stride, acc.Z);
    ifma::scatter(raw + 15, stride, acc.T);
}

// Runs a plan: the eight lane sums.
SHOAL_IFMA void run_plan(const plan& pl, std::span<const ge_p3> points, std::span<const scalar> scalars,
                         const scalar* bases, ge_p3 out[8]) noexcept {
    scratch& sc = thread_scratch();
    const std::size_t slots = pl.long_slots + pl.short_slots;
    sc.tables.resize(slots * entries * entry_vectors);
    sc.digits.resize(slots * long_windows);
    for (std::size_t s = 0; s < slots; ++s) {
        prepare_slot(sc, s, &pl.entry[s * 8], points, scalars, bases, s < pl.long_slots ? long_windows : short_windows);
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

SHOAL_IFMA ge_p3 msm_ifma(std::span<const ge_p3> points, std::span<const scalar> scalars, const scalar& base) noexcept {
    // Deal long scalars (and B) and short ones to their own slots, filling lanes in turn.
    std::vector<std::size_t> longs, shorts;
    for (std::size_t i = 0; i < scalars.size(); ++i) {
        (scalars[i].w[2] == 0 && scalars[i].w[3] == 0 ? shorts : longs).push_back(i);
    }
    longs.push_back(base_slot);
    plan& pl = thread_plan();
    pl.resize((longs.size() + 7) / 8, (shorts.size() + 7) / 8);
    for (std::size_t i = 0; i < longs.size(); ++i) pl.at(i / 8, i % 8) = longs[i];
    for (std::size_t i = 0; i < shorts.size(); ++i) pl.at(pl.long_slots + i / 8, i % 8) = shorts[i];
    scalar bases[8];
    for (auto& b : bases) b = base;
    ge_p3 lane[8];
    run_plan(pl, points, scalars, bases, lane);
    ge_p3 sum = lane[0];
    for (int k = 1; k < 8; ++k) sum = ge_add_p3(sum, lane[k]);
    return sum;
}

SHOAL_IFMA void msm_ifma_groups(std::span<const ge_p3> points, std::span<const scalar> scalars,
                                const std::size_t (&bounds)[9], const scalar (&bases)[8], ge_p3 (&out)[8]) noexcept {
    std::size_t most = 0;
    for (std::size_t k = 0; k < 8; ++k) most = std::max(most, bounds[k + 1] - bounds[k]);
    plan& pl = thread_plan();
    pl.resize(most + 1, most);  // long: the A of each item, then B; short: the R of each item
    for (std::size_t k = 0; k < 8; ++k) {
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
ge_p3 msm_ifma(std::span<const ge_p3> points, std::span<const scalar> scalars, const scalar& base) noexcept {
    msm_straus s;
    s.prepare(points, scalars);
    return s.run(0, points.size(), base);
}
void msm_ifma_groups(std::span<const ge_p3> points, std::span<const scalar> scalars, const std::size_t (&bounds)[9],
                     const scalar (&bases)[8], ge_p3 (&out)[8]) noexcept {
    msm_straus s;
    s.prepare(points, scalars);
    for (std::size_t k = 0; k < 8; ++k) out[k] = s.run(2 * bounds[k], 2 * (bounds[k + 1] - bounds[k]), bases[k]);
}
}  // namespace crypto::detail

#endif
