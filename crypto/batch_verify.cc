// Batch Ed25519 verification; the design is in docs/batch_verification.md.
//
// Pipeline for a batch (each stage runs over every surviving item before the
// next starts, so that the exponentiations of all items run together):
//   1. cheap checks, identical to libsodium 1.0.18's (S < L; R and A not of
//      small order; A canonical) plus R canonical (libsodium compares R's bytes
//      with a canonical encoding, so a non-canonical R can never pass);
//   2. decompress A and R (one exponentiation each; none for an A found in the
//      caller's key_cache);
//   3. h = SHA-512(R || A || M) mod L;
//   4. subgroup test of R + (h mod 8) A (three exponentiations): outside the
//      prime-order subgroup means libsodium rejects, so we reject;
//   5. the batch equation over the survivors; if it fails, an eight-way search
//      on the IFMA lanes, or bisection on the portable MSM, then libsodium.
#include "crypto/batch_verify.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "crypto/detail/batch_verify_impl.h"
#include "crypto/detail/ge25519.h"
#include "crypto/hash.h"

namespace crypto::detail {

namespace {

// The y-coordinates (bits 0..254) of the eight points of order dividing 8,
// plus the two non-canonical encodings p and p + 1 of y = 0 and y = 1 -- the
// set libsodium 1.0.18 refuses for R and A, whatever bit 255 says.
constexpr std::uint8_t small_order_y[7][32] = {
    {0},   // y = 0: the two points of order 4
    {1},   // y = 1: the identity
    {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
     0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},  // order 8
    {0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
     0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},  // order 8
    {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},  // p - 1: order 2
    {0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},  // p = 0
    {0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},  // p + 1 = 1
};

struct candidate {
    std::size_t job;
    ge_p3 A, R;
    scalar h;
    std::uint64_t z_lo, z_hi;
    bool alive;
};

// Per-thread scratch: vectors keep their capacity from one batch to the next.
struct scratch {
    std::vector<candidate> cands;
    std::vector<decompress_state> dec;
    std::vector<subgroup_state> sub;
    std::vector<fe> pending;  // per candidate: the value the subgroup test raises next
    std::vector<fe> pows;
    std::vector<std::uint8_t> key_hit;  // per candidate: A came from the key cache
    std::vector<ge_p3> points;
    std::vector<scalar> scalars;
    std::vector<std::uint8_t> random;
    msm_straus straus;
    msm_pippenger pippenger;
};

scratch& thread_scratch() noexcept {
    thread_local scratch s;
    return s;
}

const std::uint8_t* u8(const std::byte* p) noexcept { return reinterpret_cast<const std::uint8_t*>(p); }
const std::uint8_t* r_bytes(const verify_job& j) noexcept { return j.sig.data(); }
const std::uint8_t* s_bytes(const verify_job& j) noexcept { return j.sig.data() + 32; }
const std::uint8_t* a_bytes(const verify_job& j) noexcept { return j.pk.data(); }

// Step 1. libsodium's own rejections, plus "R canonical", which libsodium gets
// implicitly from comparing R's bytes with a canonical encoding.
[[nodiscard]] bool passes_cheap_checks(const verify_job& j) noexcept {
    return scalar_is_canonical(s_bytes(j)) && !encoding_has_small_order(r_bytes(j)) &&
           encoding_is_canonical(a_bytes(j)) && !encoding_has_small_order(a_bytes(j)) &&
           encoding_is_canonical(r_bytes(j));
}

// [8] p == identity: the cofactored form of the batch equation.
[[nodiscard]] bool is_identity_times_8(ge_p3 p) noexcept {
    for (int i = 0; i < 3; ++i) p = ge_dbl_p3(p);
    return ge_is_identity(p);
}

class batch_run {
public:
    batch_run(std::span<const verify_job> jobs, std::span<bool> ok, const batch_options& opt) noexcept
        : _jobs(jobs), _ok(ok), _opt(opt), _sc(thread_scratch()), _backend(resolve_backend(opt.backend)) {}

    batch_summary run() noexcept;

private:
    void settle(std::size_t job, bool verdict) noexcept;
    void settle_single(std::size_t job) noexcept;
    void decompress_all() noexcept;
    void hash_all() noexcept;
    void subgroup_all() noexcept;
    template <class Step>
    void subgroup_pow_round(Step step) noexcept;
    void compact() noexcept;
    void equation_path() noexcept;
    void prepare_msm() noexcept;
    [[nodiscard]] scalar base_scalar(std::size_t lo, std::size_t hi) const noexcept;
    template <std::size_t G>
    void lanes_search(std::size_t lo, std::size_t hi) noexcept;
    [[nodiscard]] bool equation_holds(std::size_t lo, std::size_t hi) noexcept;
    void bisect(std::size_t lo, std::size_t hi) noexcept;

    std::span<const verify_job> _jobs;
    std::span<bool> _ok;
    const batch_options& _opt;
    scratch& _sc;
    field_backend _backend;
    msm_algorithm _msm = msm_algorithm::straus;  // the portable MSM of this batch
    batch_summary _sum;
};

void batch_run::settle(std::size_t job, bool verdict) noexcept {
    _ok[job] = verdict;
    ++(verdict ? _sum.accepted : _sum.rejected);
}

void batch_run::settle_single(std::size_t job) noexcept {
    const verify_job& j = _jobs[job];
    ++_sum.single_checks;
    settle(job, crypto::verify(j.sig, j.msg, j.pk));
}

batch_summary batch_run::run() noexcept {
    const std::size_t n = std::min(_jobs.size(), _ok.size());
    _sc.cands.clear();
    for (std::size_t i = 0; i < n; ++i) {
        if (passes_cheap_checks(_jobs[i])) {
            _sc.cands.push_back(candidate{i, {}, {}, {}, 0, 0, true});
        } else {
            settle(i, false);
            ++_sum.rejected_early;
        }
    }
    if (_sc.cands.size() < std::max<std::size_t>(_opt.min_equation_items, 1)) {
        for (const candidate& c : _sc.cands) settle_single(c.job);
        return _sum;
    }
    decompress_all();
    hash_all();
    subgroup_all();
    compact();
    if (_sc.cands.size() < std::max<std::size_t>(_opt.min_equation_items, 1)) {
        for (const candidate& c : _sc.cands) settle_single(c.job);
    } else {
        equation_path();
    }
    return _sum;
}

// Step 2: both points of every candidate, their exponentiations run together;
// public keys found in the key cache skip theirs.
void batch_run::decompress_all() noexcept {
    const std::size_t m = _sc.cands.size();
    _sc.dec.resize(2 * m);
    _sc.key_hit.assign(m, 0);
    _sc.pows.clear();
    for (std::size_t i = 0; i < m; ++i) {
        candidate& c = _sc.cands[i];
        const verify_job& j = _jobs[c.job];
        if (_opt.keys != nullptr && _opt.keys->find(a_bytes(j), c.A)) {
            _sc.key_hit[i] = 1;
            ++_sum.key_cache_hits;
        } else {
            _sc.pows.push_back(decompress_begin(_sc.dec[2 * i], a_bytes(j)));
        }
        _sc.pows.push_back(decompress_begin(_sc.dec[2 * i + 1], r_bytes(j)));
    }
    pow22523_many(_sc.pows, _backend);
    std::size_t k = 0;
    for (std::size_t i = 0; i < m; ++i) {
        candidate& c = _sc.cands[i];
        bool a_ok = true;
        if (!_sc.key_hit[i]) {
            a_ok = decompress_finish(c.A, _sc.dec[2 * i], _sc.pows[k++]);
            if (a_ok && _opt.keys != nullptr) _opt.keys->insert(a_bytes(_jobs[c.job]), c.A);
        }
        const bool r_ok = decompress_finish(c.R, _sc.dec[2 * i + 1], _sc.pows[k++]);
        if (!a_ok || !r_ok) {
            // A off the curve: libsodium's decoding fails. R off the curve: its
            // bytes can never equal the encoding of a computed point.
            c.alive = false;
            settle(c.job, false);
            ++_sum.rejected_early;
        }
    }
}

// Step 3: h = SHA-512(R || A || M) reduced mod L, as libsodium computes it.
void batch_run::hash_all() noexcept {
    for (candidate& c : _sc.cands) {
        if (!c.alive) continue;
        const verify_job& j = _jobs[c.job];
        crypto_hash_sha512_state st;
        crypto_hash_sha512_init(&st);
        crypto_hash_sha512_update(&st, r_bytes(j), 32);
        crypto_hash_sha512_update(&st, a_bytes(j), 32);
        crypto_hash_sha512_update(&st, u8(j.msg.data()), j.msg.size());
        std::uint8_t digest[64];
        crypto_hash_sha512_final(&st, digest);
        c.h = scalar_reduce512(digest);
    }
}

// R + k A for k = h mod 8, written as k in [-3, 4] (a multiple of 8 times A is
// in the prime-order subgroup, so any k = h mod 8 gives the same answer).
[[nodiscard]] ge_p3 r_plus_small_a(const ge_p3& r, const ge_p3& a, unsigned h_mod8) noexcept {
    const int k = h_mod8 <= 4 ? static_cast<int>(h_mod8) : static_cast<int>(h_mod8) - 8;
    if (k == 0) return r;
    const unsigned mag = static_cast<unsigned>(k < 0 ? -k : k);
    ge_p3 ka = a;
    if (mag == 2 || mag == 4) ka = ge_dbl_p3(a);
    if (mag == 3) ka = ge_add_p3(ge_dbl_p3(a), a);
    if (mag == 4) ka = ge_dbl_p3(ka);
    const ge_cached kc = ge_to_cached(ka);
    return ge_to_p3(k > 0 ? ge_add(r, kc) : ge_sub(r, kc));
}

// One round of the subgroup test: raise every pending value, then apply `step`.
template <class Step>
void batch_run::subgroup_pow_round(Step step) noexcept {
    _sc.pows.clear();
    for (std::size_t i = 0; i < _sc.sub.size(); ++i) {
        if (!_sc.sub[i].done) _sc.pows.push_back(_sc.pending[i]);
    }
    pow22523_many(_sc.pows, _backend);
    std::size_t k = 0;
    for (std::size_t i = 0; i < _sc.sub.size(); ++i) {
        if (!_sc.sub[i].done) _sc.pending[i] = step(_sc.sub[i], _sc.pows[k++]);
    }
}

// Step 4: every candidate's R + (h mod 8) A must lie in the prime-order subgroup.
void batch_run::subgroup_all() noexcept {
    const std::size_t m = _sc.cands.size();
    _sc.sub.resize(m);
    _sc.pending.resize(m);
    for (std::size_t i = 0; i < m; ++i) {
        const candidate& c = _sc.cands[i];
        subgroup_state& st = _sc.sub[i];
        if (!c.alive) {
            st = subgroup_state{};
            st.done = true;
            continue;
        }
        _sc.pending[i] = subgroup_begin(st, r_plus_small_a(c.R, c.A, static_cast<unsigned>(c.h.w[0] & 7)));
    }
    subgroup_pow_round([](subgroup_state& st, const fe& x) noexcept { return subgroup_step2(st, x); });
    subgroup_pow_round([](subgroup_state& st, const fe& x) noexcept { return subgroup_step3(st, x); });
    subgroup_pow_round([](subgroup_state& st, const fe& x) noexcept {
        subgroup_finish(st, x);
        return fe_zero_v;
    });
    for (std::size_t i = 0; i < m; ++i) {
        candidate& c = _sc.cands[i];
        if (!c.alive) continue;
        const subgroup_state& st = _sc.sub[i];
        if (st.degenerate) {
            c.alive = false;  // never seen in practice; libsodium decides
            settle_single(c.job);
        } else if (!st.in_subgroup) {
            // R + hA has a torsion component, so sB - hA != R: libsodium rejects.
            c.alive = false;
            settle(c.job, false);
            ++_sum.rejected_early;
        }
    }
}

void batch_run::compact() noexcept {
    auto& v = _sc.cands;
    v.erase(std::remove_if(v.begin(), v.end(), [](const candidate& c) { return !c.alive; }), v.end());
}

// Step 5. Points are laid out R_0, A_0, R_1, A_1, ... so that a contiguous range
// of candidates is a contiguous range of points.
void batch_run::equation_path() noexcept {
    const std::size_t m = _sc.cands.size();
    _sc.random.resize(16 * m);
    crypto::random_bytes(_sc.random.data(), _sc.random.size());
    _sc.points.resize(2 * m);
    _sc.scalars.resize(2 * m);
    for (std::size_t i = 0; i < m; ++i) {
        candidate& c = _sc.cands[i];
        std::memcpy(&c.z_lo, &_sc.random[16 * i], 8);
        std::memcpy(&c.z_hi, &_sc.random[16 * i + 8], 8);
        if ((c.z_lo | c.z_hi) == 0) c.z_lo = 1;  // z = 0 would leave the item unchecked
        _sc.points[2 * i] = c.R;
        _sc.scalars[2 * i] = scalar{{c.z_lo, c.z_hi, 0, 0}};
        _sc.points[2 * i + 1] = c.A;
        _sc.scalars[2 * i + 1] = scalar_mul128_mod_l(c.z_lo, c.z_hi, c.h);
    }
    _msm = _opt.msm != msm_algorithm::automatic      ? _opt.msm
           : 2 * m + 1 >= msm_pippenger_min_points ? msm_algorithm::pippenger
                                                   : msm_algorithm::straus;
    if (_opt.msm != msm_algorithm::pippenger) {
        if (_backend == field_backend::avx512ifma && m >= _opt.min_ifma_msm_items) {
            lanes_search<8>(0, m);
            return;
        }
        if (_backend == field_backend::avx2 && m >= _opt.min_avx2_msm_items) {
            lanes_search<4>(0, m);
            return;
        }
    }
    prepare_msm();
    if (equation_holds(0, m)) {
        for (const candidate& c : _sc.cands) settle(c.job, true);
        return;
    }
    _sum.fell_back = true;
    bisect(0, m);
}

void batch_run::prepare_msm() noexcept {
    if (_msm == msm_algorithm::straus) {
        _sc.straus.prepare(_sc.points, _sc.scalars);
    } else {
        _sc.pippenger.prepare(_sc.points, _sc.scalars);
    }
}

scalar batch_run::base_scalar(std::size_t lo, std::size_t hi) const noexcept {
    scalar_acc acc;
    for (std::size_t i = lo; i < hi; ++i) {
        const candidate& c = _sc.cands[i];
        acc.add_mul128(c.z_lo, c.z_hi, scalar_from_bytes(s_bytes(_jobs[c.job])));
    }
    return scalar_negate(acc.reduce());
}

// Candidates [lo, hi) on the vector lanes (G = 8 IFMA lanes, or 4 AVX2
// lanes): one multi-scalar multiplication yields the equations of G
// sub-batches (msm_ifma_groups, msm_avx2_groups). Groups whose equation holds
// are accepted; a failing group is searched again the same way, or, when
// small, handed to libsodium item by item. One forgery among 64 costs one more
// run over its group and one libsodium call (IFMA: group of 8; AVX2: 16, then 4).
template <std::size_t G>
void batch_run::lanes_search(std::size_t lo, std::size_t hi) noexcept {
    std::size_t bounds[G + 1];
    scalar bases[G];
    for (std::size_t k = 0; k <= G; ++k) bounds[k] = lo + (hi - lo) * k / G;
    for (std::size_t k = 0; k < G; ++k) bases[k] = base_scalar(bounds[k], bounds[k + 1]);
    ge_p3 sums[G];
    if constexpr (G == 8) {
        msm_ifma_groups(_sc.points, _sc.scalars, bounds, bases, sums);
    } else {
        msm_avx2_groups(_sc.points, _sc.scalars, bounds, bases, sums);
    }
    ++_sum.equations;
    const std::size_t leaf = std::max<std::size_t>(_opt.bisect_leaf, 2);
    for (std::size_t k = 0; k < G; ++k) {
        const std::size_t b = bounds[k], e = bounds[k + 1];
        if (b == e) continue;
        if (is_identity_times_8(sums[k])) {
            for (std::size_t i = b; i < e; ++i) settle(_sc.cands[i].job, true);
            continue;
        }
        _sum.fell_back = true;
        if (e - b <= leaf) {
            for (std::size_t i = b; i < e; ++i) settle_single(_sc.cands[i].job);
        } else {
            lanes_search<G>(b, e);
        }
    }
}

// [8] (-(sum z_i s_i) B + sum z_i R_i + sum z_i h_i A_i) == identity over candidates [lo, hi).
bool batch_run::equation_holds(std::size_t lo, std::size_t hi) noexcept {
    const scalar base = base_scalar(lo, hi);
    ++_sum.equations;
    return is_identity_times_8(_msm == msm_algorithm::straus ? _sc.straus.run(2 * lo, 2 * (hi - lo), base)
                                                             : _sc.pippenger.run(2 * lo, 2 * (hi - lo), base));
}

// REQUIRES: the equation over [lo, hi) is known to fail. With the same z_i,
// the sums of the two halves add up to the whole, so when the left half holds
// the right one fails without being evaluated.
void batch_run::bisect(std::size_t lo, std::size_t hi) noexcept {
    if (hi - lo <= std::max<std::size_t>(_opt.bisect_leaf, 1)) {
        for (std::size_t i = lo; i < hi; ++i) settle_single(_sc.cands[i].job);
        return;
    }
    const std::size_t mid = lo + (hi - lo) / 2;
    if (equation_holds(lo, mid)) {
        for (std::size_t i = lo; i < mid; ++i) settle(_sc.cands[i].job, true);
        bisect(mid, hi);
        return;
    }
    bisect(lo, mid);
    if (equation_holds(mid, hi)) {
        for (std::size_t i = mid; i < hi; ++i) settle(_sc.cands[i].job, true);
    } else {
        bisect(mid, hi);
    }
}

}  // namespace

bool encoding_has_small_order(const std::uint8_t s[32]) noexcept {
    std::uint8_t y[32];
    std::memcpy(y, s, 32);
    y[31] &= 0x7f;
    for (const auto& bad : small_order_y) {
        if (std::memcmp(y, bad, 32) == 0) return true;
    }
    return false;
}

bool encoding_is_canonical(const std::uint8_t s[32]) noexcept {
    // Not canonical iff bits 0..254 are in [p, 2^255): s[0] >= 0xed, s[1..30] = 0xff, s[31] & 0x7f = 0x7f.
    if ((s[31] & 0x7f) != 0x7f || s[0] < 0xed) return true;
    for (int i = 1; i < 31; ++i) {
        if (s[i] != 0xff) return true;
    }
    return false;
}

batch_summary verify_batch_with(std::span<const verify_job> jobs, std::span<bool> ok,
                                const batch_options& options) noexcept {
    return batch_run(jobs, ok, options).run();
}

}  // namespace crypto::detail

namespace crypto {

batch_summary verify_batch(std::span<const verify_job> jobs, std::span<bool> ok) noexcept {
    return detail::verify_batch_with(jobs, ok, detail::batch_options{});
}

batch_summary verify_batch(std::span<const verify_job> jobs, std::span<bool> ok, key_cache& keys) noexcept {
    detail::batch_options o;
    o.keys = &keys;
    return detail::verify_batch_with(jobs, ok, o);
}

const char* batch_verify_backend() noexcept {
    return detail::backend_name(detail::resolve_backend(detail::field_backend::automatic));
}

bool set_batch_verify_backend(std::string_view name) noexcept {
    using detail::field_backend;
    const field_backend b = name == "auto"                          ? field_backend::automatic
                            : name == "ifma" || name == "avx512ifma" ? field_backend::avx512ifma
                            : name == "avx2"                         ? field_backend::avx2
                            : name == "portable"                     ? field_backend::portable
                                                                     : field_backend{255};
    if (b == field_backend{255}) return false;
    return detail::set_default_backend(b);
}

}  // namespace crypto
