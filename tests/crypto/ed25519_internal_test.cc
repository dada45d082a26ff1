// Tests of the batch verifier's building blocks (crypto/detail/): field
// arithmetic on both backends, point encoding, the subgroup test against a
// multiplication by L, scalar recodings, and the two multi-scalar
// multiplications against a naive sum.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "crypto/detail/fe25519.h"
#include "crypto/detail/ge25519.h"
#include "crypto/detail/msm.h"
#include "crypto/detail/pow_batch.h"
#include "crypto/detail/scalar25519.h"
#include "ed25519_test_util.h"

namespace {

using namespace shoal_test;
using cd::fe;

fe random_fe(base::prng& rnd, bool loose_max = false) {
    fe f;
    for (auto& l : f.v) l = loose_max ? (std::uint64_t{1} << 52) - 1 - rnd.below(1 << 20) : rnd() & cd::fe_mask51;
    return f;
}

std::array<std::uint8_t, 32> bytes_of(const fe& f) {
    std::array<std::uint8_t, 32> b;
    cd::fe_to_bytes(b.data(), f);
    return b;
}

TEST(Fe25519, InverseAndCanonicalForm) {
    const std::uint64_t seed = test_seed(41);
    SCOPED_TRACE(testing::Message() << "seed=" << seed);
    base::prng rnd(seed);
    for (int i = 0; i < 200; ++i) {
        const fe x = random_fe(rnd, i % 2 == 1);
        if (cd::fe_is_zero(x)) continue;
        EXPECT_TRUE(cd::fe_eq(cd::fe_mul(x, cd::fe_invert(x)), cd::fe_one_v));
        // canonical form round-trips through bytes
        const auto b = bytes_of(x);
        EXPECT_EQ(bytes_of(cd::fe_from_bytes(b.data())), b);
        EXPECT_EQ(b[31] & 0x80, 0);
    }
}

TEST(Fe25519, ValuesAtAndAboveTheModulusReduce) {
    // y = p + k encodes k; 2^255 - 1 = p + 18.
    for (int k = 0; k <= 18; ++k) {
        std::uint8_t e[32];
        std::memset(e, 0xff, 32);
        e[0] = static_cast<std::uint8_t>(0xed + k);
        e[31] = 0x7f;
        const auto b = bytes_of(cd::fe_from_bytes(e));
        EXPECT_EQ(b[0], k);
        for (int i = 1; i < 32; ++i) EXPECT_EQ(b[i], 0);
    }
    EXPECT_TRUE(cd::fe_is_zero(cd::fe_sub(cd::fe_zero_v, cd::fe_zero_v)));
    EXPECT_FALSE(cd::fe_is_odd(cd::fe_neg(cd::fe_one_v)));  // p - 1 is even
}

TEST(Fe25519, Pow22523GivesSquareRoots) {
    base::prng rnd(test_seed(42));
    int squares = 0;
    for (int i = 0; i < 100; ++i) {
        const fe x = random_fe(rnd);
        const fe r = cd::fe_mul(x, cd::fe_pow22523(x));  // x^((p+3)/8)
        const fe rr = cd::fe_sq(r);
        if (cd::fe_eq(rr, x) || cd::fe_eq(rr, cd::fe_neg(x))) {
            ++squares;
            // then x^((p-1)/4) is +-1 ...
        } else {
            // ... otherwise it is +-i: x is not a square.
            EXPECT_TRUE(cd::fe_eq(rr, cd::fe_mul(x, cd::fe_sqrt_m1)) ||
                        cd::fe_eq(rr, cd::fe_neg(cd::fe_mul(x, cd::fe_sqrt_m1))));
        }
    }
    EXPECT_GT(squares, 20);
    EXPECT_LT(squares, 80);
}

TEST(PowBatch, IfmaMatchesPortable) {
    if (!cd::ifma_available()) GTEST_SKIP() << "no AVX-512 IFMA on this CPU";
    const std::uint64_t seed = test_seed(43);
    SCOPED_TRACE(testing::Message() << "seed=" << seed);
    base::prng rnd(seed);
    for (int round = 0; round < 50; ++round) {
        std::vector<fe> in(8 * 3 + static_cast<std::size_t>(round % 8));
        for (std::size_t i = 0; i < in.size(); ++i) {
            // Canonical, maximal-loose and special values.
            in[i] = i % 3 == 0 ? random_fe(rnd) : i % 3 == 1 ? random_fe(rnd, true) : cd::fe_from_u64(rnd.below(4));
        }
        std::vector<fe> a = in, b = in;
        cd::pow22523_many(a, cd::field_backend::avx512ifma);
        cd::pow22523_many(b, cd::field_backend::portable);
        for (std::size_t i = 0; i < in.size(); ++i) {
            EXPECT_EQ(bytes_of(a[i]), bytes_of(b[i])) << "element " << i;
            EXPECT_EQ(bytes_of(b[i]), bytes_of(cd::fe_pow22523(in[i])));
            for (auto l : a[i].v) EXPECT_LT(l, std::uint64_t{1} << 52);  // loose
        }
    }
}

// The AVX2 kernels (4 and 8 lanes, and the padded remainders of pow22523_many)
// against the portable exponentiation, on canonical, maximal loose and tiny inputs.
TEST(PowBatch, Avx2MatchesPortable) {
    if (!cd::avx2_available()) GTEST_SKIP() << "no AVX2 on this CPU";
    const std::uint64_t seed = test_seed(47);
    SCOPED_TRACE(testing::Message() << "seed=" << seed);
    base::prng rnd(seed);
    for (int round = 0; round < 50; ++round) {
        std::vector<fe> in(8 * 2 + static_cast<std::size_t>(round % 9));
        for (std::size_t i = 0; i < in.size(); ++i) {
            in[i] = i % 3 == 0 ? random_fe(rnd) : i % 3 == 1 ? random_fe(rnd, true) : cd::fe_from_u64(rnd.below(4));
        }
        std::vector<fe> a = in;
        cd::pow22523_many(a, cd::field_backend::avx2);
        for (std::size_t i = 0; i < in.size(); ++i) {
            EXPECT_EQ(bytes_of(a[i]), bytes_of(cd::fe_pow22523(in[i]))) << "element " << i;
            for (auto l : a[i].v) EXPECT_LT(l, std::uint64_t{1} << 52);  // loose
        }
    }
    // Every limb at its loose maximum, and p itself (non-canonical zero).
    std::vector<fe> edge(4, fe{{(std::uint64_t{1} << 52) - 1, (std::uint64_t{1} << 52) - 1, (std::uint64_t{1} << 52) - 1,
                               (std::uint64_t{1} << 52) - 1, (std::uint64_t{1} << 52) - 1}});
    edge[1] = fe{{cd::fe_mask51 - 18, cd::fe_mask51, cd::fe_mask51, cd::fe_mask51, cd::fe_mask51}};
    std::vector<fe> e = edge;
    cd::pow22523_x4_avx2(e.data());
    for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(bytes_of(e[i]), bytes_of(cd::fe_pow22523(edge[i])));
}

TEST(Ge25519, EncodeDecodeRoundTripAndGroupOrder) {
    base::prng rnd(test_seed(44));
    const cd::ge_p3 b = cd::ge_base();
    const std::uint8_t l_bytes[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                      0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};
    EXPECT_TRUE(cd::ge_is_identity(cd::ge_mul_bytes(b, l_bytes)));
    EXPECT_EQ(base::to_hex(std::span<const std::byte>(reinterpret_cast<const std::byte*>(encode(b).data()), 32)),
              "5866666666666666666666666666666666666666666666666666666666666666");
    for (int i = 0; i < 20; ++i) {
        const auto k = random_scalar(rnd);
        const cd::ge_p3 p = cd::ge_add_p3(cd::base_mul(cd::scalar_from_bytes(k.data())),
                                          torsion_points()[rnd.below(8)]);
        const auto e = encode(p);
        cd::ge_p3 q;
        ASSERT_TRUE(cd::ge_from_bytes(q, e.data()));
        EXPECT_EQ(encode(q), e);
        // base_mul agrees with double-and-add
        EXPECT_EQ(encode(cd::base_mul(cd::scalar_from_bytes(k.data()))), encode(cd::ge_mul_bytes(b, k.data())));
    }
}

TEST(Ge25519, TorsionPointsHaveTheRightOrders) {
    const auto& t = torsion_points();
    EXPECT_TRUE(cd::ge_is_identity(t[0]));
    for (int k = 0; k < 8; ++k) {
        EXPECT_EQ(encode(t[k]), encode(cd::ge_mul_small(t[1], static_cast<std::uint64_t>(k))));
        EXPECT_TRUE(cd::ge_is_low_order(t[k]));
        EXPECT_TRUE(cd::encoding_has_small_order(encode(t[k]).data()));
    }
    EXPECT_TRUE(cd::ge_is_identity(cd::ge_mul_small(t[1], 8)));
    EXPECT_FALSE(cd::ge_is_identity(cd::ge_mul_small(t[1], 4)));
    EXPECT_FALSE(cd::ge_is_low_order(cd::ge_base()));
}

// The subgroup test (two square roots and a quartic character) against [L]P,
// for points with each of the eight torsion components, on both backends.
TEST(Ge25519, SubgroupTestMatchesMultiplicationByL) {
    const std::uint64_t seed = test_seed(45);
    SCOPED_TRACE(testing::Message() << "seed=" << seed);
    base::prng rnd(seed);
    std::vector<cd::ge_p3> pts;
    std::vector<bool> expect;
    for (int i = 0; i < 96; ++i) {
        const int t = i % 8;
        const auto k = random_scalar(rnd);
        cd::ge_p3 p = cd::ge_add_p3(cd::base_mul(cd::scalar_from_bytes(k.data())), torsion_points()[t]);
        // a random projective representative (Z != 1)
        const fe z = random_fe(rnd);
        p = cd::ge_p3{cd::fe_mul(p.X, z), cd::fe_mul(p.Y, z), cd::fe_mul(p.Z, z), cd::fe_mul(p.T, z)};
        pts.push_back(p);
        expect.push_back(t == 0);
        EXPECT_EQ(cd::ge_in_prime_subgroup_slow(p), t == 0);
        EXPECT_EQ(cd::ge_in_prime_subgroup(p), t == 0) << "torsion index " << t;
    }
    for (int t = 0; t < 8; ++t) {
        pts.push_back(torsion_points()[t]);
        expect.push_back(t == 0);
        EXPECT_EQ(cd::ge_in_prime_subgroup(torsion_points()[t]), t == 0);
    }
    for (auto be : cd::available_backends()) {
        SCOPED_TRACE(cd::backend_name(be));
        std::vector<cd::subgroup_state> st(pts.size());
        std::vector<fe> pending(pts.size());
        for (std::size_t i = 0; i < pts.size(); ++i) pending[i] = cd::subgroup_begin(st[i], pts[i]);
        for (int round = 0; round < 3; ++round) {
            std::vector<fe> pw;
            for (std::size_t i = 0; i < pts.size(); ++i) {
                if (!st[i].done) pw.push_back(pending[i]);
            }
            cd::pow22523_many(pw, be);
            std::size_t k = 0;
            for (std::size_t i = 0; i < pts.size(); ++i) {
                if (st[i].done) continue;
                if (round == 0) pending[i] = cd::subgroup_step2(st[i], pw[k++]);
                if (round == 1) pending[i] = cd::subgroup_step3(st[i], pw[k++]);
                if (round == 2) cd::subgroup_finish(st[i], pw[k++]);
            }
        }
        for (std::size_t i = 0; i < pts.size(); ++i) {
            EXPECT_TRUE(st[i].done);
            EXPECT_FALSE(st[i].degenerate);
            EXPECT_EQ(st[i].in_subgroup, expect[i]) << "point " << i;
        }
    }
}

TEST(Scalar25519, RecodingsReconstructTheScalar) {
    base::prng rnd(test_seed(46));
    for (int i = 0; i < 200; ++i) {
        const auto k = random_scalar(rnd);
        const cd::scalar s = cd::scalar_from_bytes(k.data());
        for (int w : {2, 4, 5, 8}) {
            std::int8_t naf[cd::scalar_wnaf_len];
            const std::size_t top = cd::scalar_wnaf(naf, s, w);
            // sum naf[i] 2^i == s, computed on points: sum naf[i] 2^i B == s B
            cd::ge_p3 acc = cd::ge_identity();
            for (std::size_t j = cd::scalar_wnaf_len; j-- > 0;) {
                acc = cd::ge_dbl_p3(acc);
                if (naf[j] != 0) {
                    EXPECT_LT(j, top);
                    EXPECT_EQ(naf[j] & 1, 1);
                    EXPECT_LT(naf[j] < 0 ? -naf[j] : naf[j], 1 << (w - 1));
                    const auto mag = static_cast<std::uint64_t>(naf[j] < 0 ? -naf[j] : naf[j]);
                    const cd::ge_p3 m = cd::ge_mul_small(cd::ge_base(), mag);
                    acc = cd::ge_add_p3(acc, naf[j] < 0 ? cd::ge_neg(m) : m);
                }
            }
            if (i < 10) {
                EXPECT_EQ(encode(acc), encode(cd::base_mul(s))) << "w=" << w;
            }
            for (std::size_t j = 0; j + 1 < cd::scalar_wnaf_len; ++j) {
                if (naf[j] != 0) {
                    for (int d = 1; d < w && j + static_cast<std::size_t>(d) < cd::scalar_wnaf_len; ++d) {
                        EXPECT_EQ(naf[j + static_cast<std::size_t>(d)], 0);
                    }
                }
            }
        }
        for (int c : {4, 5, 6, 7, 8}) {
            std::vector<std::int16_t> dg(cd::scalar_signed_radix_count(c));
            cd::scalar_signed_radix(dg.data(), s, c);
            std::vector<std::int64_t> digits(dg.begin(), dg.end());
            for (auto d : digits) {
                EXPECT_GE(d, -(1 << (c - 1)));
                EXPECT_LT(d, 1 << (c - 1));
            }
            if (i < 5) {  // sum digits[j] 2^(c j) B == s B
                cd::ge_p3 acc = cd::ge_identity();
                for (std::size_t j = digits.size(); j-- > 0;) {
                    for (int b = 0; b < c; ++b) acc = cd::ge_dbl_p3(acc);
                    const std::int64_t d = digits[j];
                    const cd::ge_p3 m = cd::ge_mul_small(cd::ge_base(), static_cast<std::uint64_t>(d < 0 ? -d : d));
                    acc = cd::ge_add_p3(acc, d < 0 ? cd::ge_neg(m) : m);
                }
                EXPECT_EQ(encode(acc), encode(cd::base_mul(s))) << "c=" << c;
            }
        }
    }
}

TEST(Scalar25519, CanonicalityAndArithmetic) {
    base::prng rnd(test_seed(47));
    for (int i = 0; i < 100; ++i) {
        const auto a = random_scalar(rnd);
        const auto b = random_scalar(rnd);
        EXPECT_TRUE(cd::scalar_is_canonical(a.data()));
        // (z * b) mod L against libsodium's scalar_mul, z < 2^128
        std::uint8_t z[32] = {};
        for (int j = 0; j < 16; ++j) z[j] = static_cast<std::uint8_t>(rnd());
        std::uint8_t want[32];
        crypto_core_ed25519_scalar_mul(want, z, b.data());
        std::uint64_t zl, zh;
        std::memcpy(&zl, z, 8);
        std::memcpy(&zh, z + 8, 8);
        std::uint8_t got[32];
        cd::scalar_to_bytes(got, cd::scalar_mul128_mod_l(zl, zh, cd::scalar_from_bytes(b.data())));
        EXPECT_EQ(std::memcmp(got, want, 32), 0);
        // negate: a + (-a) = 0
        std::uint8_t neg[32], sum[32];
        cd::scalar_to_bytes(neg, cd::scalar_negate(cd::scalar_from_bytes(a.data())));
        crypto_core_ed25519_scalar_add(sum, a.data(), neg);
        for (auto x : sum) EXPECT_EQ(x, 0);
    }
}

// Straus and Pippenger against the plain sum of k_i P_i, on random sub-ranges.
TEST(Msm, BothAlgorithmsMatchTheNaiveSum) {
    const std::uint64_t seed = test_seed(48);
    SCOPED_TRACE(testing::Message() << "seed=" << seed);
    base::prng rnd(seed);
    for (std::size_t n : {1u, 2u, 5u, 17u, 40u}) {
        std::vector<cd::ge_p3> pts;
        std::vector<cd::scalar> ks;
        for (std::size_t i = 0; i < n; ++i) {
            const auto k = random_scalar(rnd);
            pts.push_back(cd::ge_add_p3(cd::base_mul(cd::scalar_from_bytes(random_scalar(rnd).data())),
                                        torsion_points()[rnd.below(8)]));
            cd::scalar s = cd::scalar_from_bytes(k.data());
            if (i % 3 == 1) s.w[2] = s.w[3] = 0;  // 128-bit scalars, as the batch uses for R
            ks.push_back(s);
        }
        const auto base_k = random_scalar(rnd);
        const cd::scalar bs = cd::scalar_from_bytes(base_k.data());
        cd::msm_straus st;
        cd::msm_pippenger pp;
        st.prepare(pts, ks);
        pp.prepare(pts, ks);
        for (int trial = 0; trial < 3; ++trial) {
            const std::size_t first = rnd.below(n);
            const std::size_t count = 1 + rnd.below(n - first);
            cd::ge_p3 want = cd::base_mul(bs);
            for (std::size_t i = first; i < first + count; ++i) {
                std::uint8_t kb[32];
                cd::scalar_to_bytes(kb, ks[i]);
                want = cd::ge_add_p3(want, cd::ge_mul_bytes(pts[i], kb));
            }
            EXPECT_EQ(encode(st.run(first, count, bs)), encode(want)) << "straus n=" << n;
            EXPECT_EQ(encode(pp.run(first, count, bs)), encode(want)) << "pippenger n=" << n;
        }
    }
}

// The eight-lane MSM against the portable Straus: point counts that do and do
// not fill the lanes, only long or only short scalars, zero scalars, torsion.
TEST(Msm, IfmaLanesMatchPortableStraus) {
    if (!cd::ifma_available()) GTEST_SKIP() << "no AVX-512 IFMA on this CPU";
    const std::uint64_t seed = test_seed(49);
    SCOPED_TRACE(testing::Message() << "seed=" << seed);
    base::prng rnd(seed);
    for (std::size_t n : {1u, 2u, 7u, 8u, 9u, 16u, 17u, 33u, 130u}) {
        for (int shape = 0; shape < 4; ++shape) {
            std::vector<cd::ge_p3> pts;
            std::vector<cd::scalar> ks;
            for (std::size_t i = 0; i < n; ++i) {
                pts.push_back(cd::ge_add_p3(cd::base_mul(cd::scalar_from_bytes(random_scalar(rnd).data())),
                                            torsion_points()[rnd.below(8)]));
                cd::scalar s = cd::scalar_from_bytes(random_scalar(rnd).data());
                const bool short_one = shape == 1 || (shape == 3 && i % 2 == 0);
                if (short_one) s.w[2] = s.w[3] = 0;
                if (shape == 2 && i % 5 == 0) s = cd::scalar{{0, 0, 0, 0}};
                if (shape == 3 && i % 7 == 3) s = cd::scalar{{~0ull, ~0ull, 0, 0}};  // 2^128 - 1
                ks.push_back(s);
            }
            const cd::scalar bs =
                shape == 2 ? cd::scalar{{0, 0, 0, 0}} : cd::scalar_from_bytes(random_scalar(rnd).data());
            cd::msm_straus st;
            st.prepare(pts, ks);
            EXPECT_EQ(encode(cd::msm_ifma(pts, ks, bs)), encode(st.run(0, n, bs))) << "n=" << n << " shape=" << shape;
        }
    }
}

// The eight-lane grouped sums (one sub-batch per lane) against the portable
// Straus on the same item ranges, including empty and single-item groups.
TEST(Msm, IfmaGroupsMatchPortableRanges) {
    if (!cd::ifma_available()) GTEST_SKIP() << "no AVX-512 IFMA on this CPU";
    const std::uint64_t seed = test_seed(50);
    SCOPED_TRACE(testing::Message() << "seed=" << seed);
    base::prng rnd(seed);
    for (std::size_t items : {1u, 5u, 8u, 13u, 64u, 70u}) {
        std::vector<cd::ge_p3> pts;
        std::vector<cd::scalar> ks;
        for (std::size_t i = 0; i < items; ++i) {
            for (int half = 0; half < 2; ++half) {  // R_i (128-bit scalar), then A_i
                pts.push_back(cd::ge_add_p3(cd::base_mul(cd::scalar_from_bytes(random_scalar(rnd).data())),
                                            torsion_points()[rnd.below(8)]));
                cd::scalar s = cd::scalar_from_bytes(random_scalar(rnd).data());
                if (half == 0) s.w[2] = s.w[3] = 0;
                ks.push_back(s);
            }
        }
        cd::msm_straus st;
        st.prepare(pts, ks);
        for (int trial = 0; trial < 3; ++trial) {
            std::size_t bounds[9];
            bounds[0] = 0;
            bounds[8] = items;
            for (int k = 1; k < 8; ++k) bounds[k] = rnd.below(items + 1);
            std::sort(bounds + 1, bounds + 8);
            cd::scalar bases[8];
            for (auto& b : bases) b = cd::scalar_from_bytes(random_scalar(rnd).data());
            cd::ge_p3 out[8];
            cd::msm_ifma_groups(pts, ks, bounds, bases, out);
            for (std::size_t k = 0; k < 8; ++k) {
                EXPECT_EQ(encode(out[k]), encode(st.run(2 * bounds[k], 2 * (bounds[k + 1] - bounds[k]), bases[k])))
                    << "items=" << items << " lane " << k;
            }
        }
    }
}

// The four-lane AVX2 MSM against the portable Straus: point counts that do and do
// not fill the lanes, only long or only short scalars, zero scalars, torsion.
TEST(Msm, Avx2LanesMatchPortableStraus) {
    if (!cd::avx2_available()) GTEST_SKIP() << "no AVX2 on this CPU";
    const std::uint64_t seed = test_seed(51);
    SCOPED_TRACE(testing::Message() << "seed=" << seed);
    base::prng rnd(seed);
    for (std::size_t n : {1u, 2u, 3u, 4u, 5u, 8u, 9u, 17u, 33u, 130u}) {
        for (int shape = 0; shape < 4; ++shape) {
            std::vector<cd::ge_p3> pts;
            std::vector<cd::scalar> ks;
            for (std::size_t i = 0; i < n; ++i) {
                pts.push_back(cd::ge_add_p3(cd::base_mul(cd::scalar_from_bytes(random_scalar(rnd).data())),
                                            torsion_points()[rnd.below(8)]));
                cd::scalar s = cd::scalar_from_bytes(random_scalar(rnd).data());
                const bool short_one = shape == 1 || (shape == 3 && i % 2 == 0);
                if (short_one) s.w[2] = s.w[3] = 0;
                if (shape == 2 && i % 5 == 0) s = cd::scalar{{0, 0, 0, 0}};
                if (shape == 3 && i % 7 == 3) s = cd::scalar{{~0ull, ~0ull, 0, 0}};  // 2^128 - 1
                ks.push_back(s);
            }
            const cd::scalar bs =
                shape == 2 ? cd::scalar{{0, 0, 0, 0}} : cd::scalar_from_bytes(random_scalar(rnd).data());
            cd::msm_straus st;
            st.prepare(pts, ks);
            EXPECT_EQ(encode(cd::msm_avx2(pts, ks, bs)), encode(st.run(0, n, bs))) << "n=" << n << " shape=" << shape;
        }
    }
}

// The four-lane AVX2 grouped sums (one sub-batch per lane) against the portable
// Straus on the same item ranges, including empty and single-item groups.
TEST(Msm, Avx2GroupsMatchPortableRanges) {
    if (!cd::avx2_available()) GTEST_SKIP() << "no AVX2 on this CPU";
    const std::uint64_t seed = test_seed(52);
    SCOPED_TRACE(testing::Message() << "seed=" << seed);
    base::prng rnd(seed);
    for (std::size_t items : {1u, 5u, 8u, 13u, 64u, 70u}) {
        std::vector<cd::ge_p3> pts;
        std::vector<cd::scalar> ks;
        for (std::size_t i = 0; i < items; ++i) {
            for (int half = 0; half < 2; ++half) {  // R_i (128-bit scalar), then A_i
                pts.push_back(cd::ge_add_p3(cd::base_mul(cd::scalar_from_bytes(random_scalar(rnd).data())),
                                            torsion_points()[rnd.below(8)]));
                cd::scalar s = cd::scalar_from_bytes(random_scalar(rnd).data());
                if (half == 0) s.w[2] = s.w[3] = 0;
                ks.push_back(s);
            }
        }
        cd::msm_straus st;
        st.prepare(pts, ks);
        for (int trial = 0; trial < 3; ++trial) {
            std::size_t bounds[5];
            bounds[0] = 0;
            bounds[4] = items;
            for (int k = 1; k < 4; ++k) bounds[k] = rnd.below(items + 1);
            std::sort(bounds + 1, bounds + 4);
            cd::scalar bases[4];
            for (auto& b : bases) b = cd::scalar_from_bytes(random_scalar(rnd).data());
            cd::ge_p3 out[4];
            cd::msm_avx2_groups(pts, ks, bounds, bases, out);
            for (std::size_t k = 0; k < 4; ++k) {
                EXPECT_EQ(encode(out[k]), encode(st.run(2 * bounds[k], 2 * (bounds[k + 1] - bounds[k]), bases[k])))
                    << "items=" << items << " lane " << k;
            }
        }
    }
}

}  // namespace
