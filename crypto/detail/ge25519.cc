#include "crypto/detail/ge25519.h"

namespace crypto::detail {

namespace {

constexpr fe base_x{{0x62d608f25d51a, 0x412a4b4f6592a, 0x75b7171a4b31d, 0x1ff60527118fe, 0x216936d3cd6e5}};
constexpr fe base_y{{0x6666666666658, 0x4cccccccccccc, 0x1999999999999, 0x3333333333333, 0x6666666666666}};
constexpr fe fe_half{{0x7fffffffffff7, 0x7ffffffffffff, 0x7ffffffffffff, 0x7ffffffffffff, 0x3ffffffffffff}};
constexpr fe one_plus_i{{0x61b274a0ea0b1, 0x0d5a5fc8f189d, 0x7ef5e9cbd0c60, 0x78595a6804c9e, 0x2b8324804fc1d}};
constexpr fe one_minus_i{{0x1e4d8b5f15f3e, 0x72a5a0370e762, 0x010a16342f39f, 0x07a6a597fb361, 0x547cdb7fb03e2}};

// Constants of the subgroup test (see docs/batch_verification.md for where they
// come from). With a = -1 and d the curve constants, the map
//   u = (a - d)(1 + y)/(1 - y),  w = 2/x
// sends edwards25519 onto the curve  u w^2 = u^2 + A u + B  with A = 2(a + d),
// B = (a - d)^2. Its 2-isogenous curve has A' = -2A, B' = A^2 - 4B (B' is not a
// square). T4 = (a - d, lambda) is a point of order 4, and sqrt(2B') exists.
constexpr fe a_minus_d{{0x4b235eca68749, 0x657d7c4ea9142, 0x2185d9ffe3fd6, 0x0c6399c5fc344, 0x2dfc9311d4900}};
constexpr fe curve_A{{0x69b9426b2f157, 0x35050762add7a, 0x3cf44c0038052, 0x6738cc7407977, 0x2406d9dc56dff}};
constexpr fe curve_Ap{{0x2c8d7b29a1d3f, 0x15f5f13aa450a, 0x061767ff8ff5b, 0x318e6717f0d11, 0x37f24c4752400}};
constexpr fe lambda4{{0x4364e941d4160, 0x1ab4bf91e313b, 0x7debd397a18c0, 0x70b2b4d00993d, 0x570649009f83b}};
constexpr fe sqrt_2bp{{0x0c1376814bfa1, 0x22034e37edcac, 0x5e6d1c88d06dc, 0x49009982c0dcf, 0x67b1c8a467f58}};

// L = 2^252 + 27742317777372353535851937790883648493, little-endian.
constexpr std::uint8_t order_l[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                      0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};

[[nodiscard]] ge_done add_core(const ge_p3& p, const fe& ypx, const fe& ymx, const fe& t2d, const fe& zz) noexcept {
    const fe a = fe_mul(fe_sub(p.Y, p.X), ymx);
    const fe b = fe_mul(fe_add(p.Y, p.X), ypx);
    const fe c = fe_mul(p.T, t2d);
    const fe d = fe_add(zz, zz);
    return ge_done{fe_sub(b, a), fe_sub(d, c), fe_add(d, c), fe_add(b, a)};
}

[[nodiscard]] ge_done sub_core(const ge_p3& p, const fe& ypx, const fe& ymx, const fe& t2d, const fe& zz) noexcept {
    // p + (-q): -q swaps y+x with y-x and negates 2dxy.
    const fe a = fe_mul(fe_sub(p.Y, p.X), ypx);
    const fe b = fe_mul(fe_add(p.Y, p.X), ymx);
    const fe c = fe_mul(p.T, t2d);
    const fe d = fe_add(zz, zz);
    return ge_done{fe_sub(b, a), fe_add(d, c), fe_sub(d, c), fe_add(b, a)};
}

}  // namespace

ge_p3 ge_base() noexcept { return ge_p3{base_x, base_y, fe_one_v, fe_mul(base_x, base_y)}; }

ge_cached ge_to_cached(const ge_p3& p) noexcept {
    return ge_cached{fe_add(p.Y, p.X), fe_sub(p.Y, p.X), p.Z, fe_mul(p.T, ge_d2)};
}

ge_p3 ge_to_p3(const ge_done& r) noexcept {
    return ge_p3{fe_mul(r.E, r.F), fe_mul(r.G, r.H), fe_mul(r.F, r.G), fe_mul(r.E, r.H)};
}

ge_p2 ge_to_p2(const ge_done& r) noexcept { return ge_p2{fe_mul(r.E, r.F), fe_mul(r.G, r.H), fe_mul(r.F, r.G)}; }

ge_done ge_add(const ge_p3& p, const ge_cached& q) noexcept {
    return add_core(p, q.YplusX, q.YminusX, q.T2d, fe_mul(p.Z, q.Z));
}
ge_done ge_sub(const ge_p3& p, const ge_cached& q) noexcept {
    return sub_core(p, q.YplusX, q.YminusX, q.T2d, fe_mul(p.Z, q.Z));
}
ge_done ge_add(const ge_p3& p, const ge_affine& q) noexcept { return add_core(p, q.yplusx, q.yminusx, q.xy2d, p.Z); }
ge_done ge_sub(const ge_p3& p, const ge_affine& q) noexcept { return sub_core(p, q.yplusx, q.yminusx, q.xy2d, p.Z); }

ge_done ge_dbl(const ge_p2& p) noexcept {
    const fe a = fe_sq(p.X);
    const fe b = fe_sq(p.Y);
    const fe zz = fe_sq(p.Z);
    const fe c = fe_add(zz, zz);
    const fe h = fe_add(a, b);
    const fe g = fe_sub(a, b);
    return ge_done{fe_sub(h, fe_sq(fe_add(p.X, p.Y))), fe_add(c, g), g, h};
}

ge_p3 ge_neg(const ge_p3& p) noexcept { return ge_p3{fe_carry(fe_neg(p.X)), p.Y, p.Z, fe_carry(fe_neg(p.T))}; }

void ge_to_bytes(std::uint8_t out[32], const ge_p3& p) noexcept {
    const fe zinv = fe_invert(p.Z);
    const fe x = fe_mul(p.X, zinv);
    fe_to_bytes(out, fe_mul(p.Y, zinv));
    out[31] = static_cast<std::uint8_t>(out[31] | (fe_is_odd(x) ? 0x80 : 0x00));
}

bool ge_is_identity(const ge_p3& p) noexcept { return fe_is_zero(p.X) && fe_eq(p.Y, p.Z); }

bool ge_is_low_order(const ge_p3& p) noexcept {
    // E[4] is the set of points with x = 0 or y = 0. The doubling of P lands
    // in E[4] exactly when x = 0, y = 0 or x^2 = -y^2 (see ge_dbl: E = -2XY and
    // H = X^2 + Y^2 vanish there), so E[8] is x = 0, y = 0 or x = +-i y.
    if (fe_is_zero(p.X) || fe_is_zero(p.Y)) return true;
    const fe iy = fe_mul(p.Y, fe_sqrt_m1);
    return fe_eq(p.X, iy) || fe_eq(p.X, fe_neg(iy));
}

ge_p3 ge_mul_small(const ge_p3& p, std::uint64_t k) noexcept {
    ge_p3 r = ge_identity();
    for (int i = 63; i >= 0; --i) {
        r = ge_dbl_p3(r);
        if ((k >> i) & 1) r = ge_add_p3(r, p);
    }
    return r;
}

ge_p3 ge_mul_bytes(const ge_p3& p, const std::uint8_t k[32]) noexcept {
    const ge_cached pc = ge_to_cached(p);
    ge_p3 r = ge_identity();
    for (int i = 255; i >= 0; --i) {
        r = ge_dbl_p3(r);
        if ((k[i >> 3] >> (i & 7)) & 1) r = ge_to_p3(ge_add(r, pc));
    }
    return r;
}

fe decompress_begin(decompress_state& st, const std::uint8_t s[32]) noexcept {
    st.y = fe_from_bytes(s);
    st.sign = (s[31] >> 7) != 0;
    const fe y2 = fe_sq(st.y);
    st.u = fe_carry(fe_sub(y2, fe_one_v));        // y^2 - 1
    st.v = fe_add(fe_mul(y2, ge_d), fe_one_v);    // d y^2 + 1
    st.v3 = fe_mul(fe_sq(st.v), st.v);
    return fe_mul(st.u, fe_mul(fe_sq(st.v3), st.v));  // u v^7
}

bool decompress_finish(ge_p3& out, const decompress_state& st, const fe& powed) noexcept {
    // x = u v^3 (u v^7)^((p-5)/8) is a square root of +-u/v when u/v is a square.
    fe x = fe_mul(fe_mul(st.u, st.v3), powed);
    const fe vxx = fe_mul(st.v, fe_sq(x));
    if (!fe_eq(vxx, st.u)) {
        if (!fe_eq(vxx, fe_neg(st.u))) return false;
        x = fe_mul(x, fe_sqrt_m1);
    }
    x = fe_canonical(x);
    const bool zero = (x.v[0] | x.v[1] | x.v[2] | x.v[3] | x.v[4]) == 0;
    if (zero && st.sign) return false;
    if (((x.v[0] & 1) != 0) != st.sign) x = fe_carry(fe_neg(x));
    out = ge_p3{x, st.y, fe_one_v, fe_mul(x, st.y)};
    return true;
}

bool ge_from_bytes(ge_p3& out, const std::uint8_t s[32]) noexcept {
    decompress_state st;
    const fe w = decompress_begin(st, s);
    return decompress_finish(out, st, fe_pow22523(w));
}

fe subgroup_begin(subgroup_state& st, const ge_p3& p) noexcept {
    st = subgroup_state{};
    if (ge_is_low_order(p)) {
        // Among the eight low-order points only the identity lies in 8E; the
        // halving below has exceptional cases on them, so they are settled here.
        st.done = true;
        st.in_subgroup = ge_is_identity(p);
        return fe_one_v;
    }
    // Map to u w^2 = u^2 + A e^2 u + B e^4 with e = X(Z - Y), which clears the
    // denominators: u = (a-d)(Z+Y)(Z-Y)X^2, w = 2Z(Z-Y). Then undo the
    // isomorphism (u,w) -> (u/4, w/2) that closes [2] = iso o psi2 o psi1.
    const fe zmy = fe_sub(p.Z, p.Y);
    st.e = fe_mul(p.X, zmy);
    const fe u = fe_mul(fe_mul(a_minus_d, fe_add(p.Z, p.Y)), fe_mul(p.X, st.e));
    const fe w = fe_mul(fe_add(p.Z, p.Z), zmy);
    const fe u2 = fe_add(u, u);
    st.u = fe_carry(fe_add(u2, u2));  // 4u
    st.w = fe_add(w, w);              // 2w
    return st.u;
}

fe subgroup_step2(subgroup_state& st, const fe& powed) noexcept {
    // Invert psi2: w' = sqrt(u), which exists iff P is in 2E.
    const fe r = fe_mul(st.u, powed);
    const fe rr = fe_sq(r);
    if (fe_eq(rr, st.u)) {
        st.wp = r;
    } else if (fe_eq(rr, fe_neg(st.u))) {
        st.wp = fe_mul(r, fe_sqrt_m1);
    } else {
        st.done = true;  // not a double, so not in 8E
        return fe_one_v;
    }
    // u' = (u - A' e^2 - w' w)/2 on the curve with A' e^2, B' e^4.
    const fe e2 = fe_sq(st.e);
    st.up = fe_mul(fe_sub(fe_sub(st.u, fe_mul(curve_Ap, e2)), fe_mul(st.wp, st.w)), fe_half);
    if (fe_is_zero(st.up)) {
        st.done = st.degenerate = true;
        return fe_one_v;
    }
    return st.up;
}

fe subgroup_step3(subgroup_state& st, const fe& powed) noexcept {
    // Invert psi1. If u' is a square: w = sqrt(u'), u = (u' - A e^2 - w w')/2.
    // Otherwise the preimage is (B' e^4/u', -w'); since 2 is not a square, 2u'
    // is, and rescaling the curve by t = sqrt(2u') makes that preimage
    // (2B' e^4, -w' t) with the known root w = sqrt(2B') e^2: no division.
    const fe r = fe_mul(st.up, powed);  // r^2 is u', -u', i u' or -i u'
    const fe rr = fe_sq(r);
    const fe i_up = fe_mul(st.up, fe_sqrt_m1);
    fe e2 = fe_sq(st.e);
    fe w, u;
    if (fe_eq(rr, st.up) || fe_eq(rr, fe_neg(st.up))) {
        w = fe_eq(rr, st.up) ? r : fe_mul(r, fe_sqrt_m1);
        u = fe_mul(fe_sub(fe_sub(st.up, fe_mul(curve_A, e2)), fe_mul(w, st.wp)), fe_half);
    } else {
        fe t;
        if (fe_eq(rr, i_up)) {
            t = fe_mul(r, one_minus_i);  // (1-i)^2 = -2i
        } else if (fe_eq(rr, fe_neg(i_up))) {
            t = fe_mul(r, one_plus_i);  // (1+i)^2 = 2i
        } else {
            st.done = st.degenerate = true;
            return fe_one_v;
        }
        const fe wpt = fe_mul(st.wp, t);
        w = fe_mul(sqrt_2bp, e2);
        st.e = fe_mul(st.e, t);
        e2 = fe_sq(st.e);
        u = fe_mul(fe_add(fe_sub(fe_sq(w), fe_mul(curve_A, e2)), fe_mul(w, wpt)), fe_half);
    }
    // The half Q = (u, w) is in 4E iff the order-4 Tate pairing t(T4, Q) is 1,
    // i.e. iff f = u (w - lambda e)^2 is a fourth power. (Multiplying e by a
    // factor multiplies f by its fourth power, which does not change that.)
    st.f = fe_mul(u, fe_sq(fe_sub(w, fe_mul(lambda4, st.e))));
    if (fe_is_zero(st.f)) {
        st.done = st.degenerate = true;
        return fe_one_v;
    }
    return st.f;
}

void subgroup_finish(subgroup_state& st, const fe& powed) noexcept {
    // f^((p-1)/4) = (f^((p-5)/8))^2 f.
    st.done = true;
    st.in_subgroup = fe_eq(fe_mul(fe_sq(powed), st.f), fe_one_v);
}

bool ge_in_prime_subgroup(const ge_p3& p) noexcept {
    subgroup_state st;
    fe x = subgroup_begin(st, p);
    if (!st.done) x = subgroup_step2(st, fe_pow22523(x));
    if (!st.done) x = subgroup_step3(st, fe_pow22523(x));
    if (!st.done) subgroup_finish(st, fe_pow22523(x));
    if (st.degenerate) return ge_in_prime_subgroup_slow(p);
    return st.in_subgroup;
}

bool ge_in_prime_subgroup_slow(const ge_p3& p) noexcept { return ge_is_identity(ge_mul_bytes(p, order_l)); }

}  // namespace crypto::detail
