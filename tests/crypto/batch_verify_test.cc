// Tests of crypto::verify_batch: RFC 8032 vectors, every class of edge case
// libsodium 1.0.18 treats specially, and a differential run against
// crypto_sign_verify_detached. Every verdict is compared with libsodium's, on
// every field backend the CPU has (portable, AVX2, AVX-512 IFMA).
#include "crypto/batch_verify.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>

#include "ed25519_test_util.h"

namespace {

using namespace shoal_test;

class BatchVerify : public testing::Test {
protected:
    static void SetUpTestSuite() { ASSERT_TRUE(crypto::init()); }
};

owned_case from_hex_case(const char* pk, const char* msg, const char* sig, const char* what) {
    owned_case c;
    std::string raw;
    EXPECT_TRUE(base::from_hex(pk, c.pk));
    EXPECT_TRUE(base::from_hex(sig, c.sig));
    EXPECT_TRUE(base::from_hex(msg, raw));
    for (char ch : raw) c.msg.push_back(std::byte(static_cast<std::uint8_t>(ch)));
    c.what = what;
    return c;
}

// Runs `cases` through every option set, plus the production defaults, and
// returns the verdicts of the defaults.
std::vector<bool> verdicts_all_paths(const std::vector<owned_case>& cases) {
    for (const auto& opt : all_option_sets()) {
        SCOPED_TRACE(describe(opt));
        check_against_libsodium(cases, opt);
    }
    check_against_libsodium(cases, cd::batch_options{});
    std::vector<bool> out;
    for (const auto& c : cases) out.push_back(crypto::verify(c.sig, c.msg, c.pk));
    return out;
}

// Fills the batch with honest signatures around the cases under test, so that
// the equation path runs even when every case under test is rejected early.
std::vector<owned_case> with_honest_padding(std::vector<owned_case> cases, base::prng& rnd, std::size_t pad = 5) {
    for (std::size_t i = 0; i < pad; ++i) cases.push_back(honest_case(rnd));
    return cases;
}

// --------------------------------------------------------------- RFC 8032

TEST_F(BatchVerify, Rfc8032VectorsAreReproducedAndAccepted) {
    struct vec {
        const char *seed, *pk, *msg, *sig;
    };
    const vec vs[] = {
        {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
         "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
         "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
         "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
        {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
         "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
         "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
         "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
        {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
         "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
         "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
         "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
    };
    std::vector<owned_case> cases;
    for (const auto& v : vs) {
        owned_case c = from_hex_case(v.pk, v.msg, v.sig, "rfc8032");
        crypto::seed s;
        ASSERT_TRUE(base::from_hex(v.seed, s));
        const auto kp = crypto::keypair_from_seed(s);
        EXPECT_EQ(kp.pk, c.pk);
        EXPECT_EQ(crypto::sign(c.msg, kp.sk), c.sig);
        cases.push_back(c);
    }
    const auto verdicts = verdicts_all_paths(cases);
    for (bool v : verdicts) EXPECT_TRUE(v);
    // Each vector alone, too (a batch of one runs the equation when forced).
    for (const auto& c : cases) verdicts_all_paths({c});
}

TEST_F(BatchVerify, Rfc8032VectorsWithOneChangedByteAreRejected) {
    auto c = from_hex_case("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
                           "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
                           "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
                           "rfc8032 test 2");
    auto bad_msg = c, bad_r = c, bad_s = c;
    bad_msg.msg[0] ^= std::byte{1};
    bad_r.sig.data()[3] ^= 0x10;
    bad_s.sig.data()[40] ^= 0x01;
    const auto v = verdicts_all_paths({c, bad_msg, bad_r, bad_s});
    EXPECT_EQ(v, (std::vector<bool>{true, false, false, false}));
}

// ------------------------------------------------------------ small order

// Every encoding of the eight small-order points: canonical, with bit 255
// flipped, and the non-canonical y = p and y = p + 1 (which are 0 and 1).
std::vector<std::array<std::uint8_t, 32>> small_order_encodings() {
    std::vector<std::array<std::uint8_t, 32>> out;
    for (const auto& p : torsion_points()) {
        auto e = encode(p);
        out.push_back(e);
        e[31] ^= 0x80;
        out.push_back(e);
    }
    for (std::uint8_t low : {0xed, 0xee}) {
        std::array<std::uint8_t, 32> e;
        e.fill(0xff);
        e[0] = low;
        e[31] = 0x7f;
        out.push_back(e);
        e[31] = 0xff;
        out.push_back(e);
    }
    return out;
}

TEST_F(BatchVerify, SmallOrderPublicKeysAreRejected) {
    const std::uint64_t seed = test_seed(11);
    SCOPED_TRACE(testing::Message() << "seed=" << seed);
    base::prng rnd(seed);
    std::vector<owned_case> cases;
    for (const auto& e : small_order_encodings()) {
        // A signature that is valid for the small-order key as far as the
        // equation goes: with A of small order, S B = R + h A needs R = S B - h A.
        owned_case c = honest_case(rnd);
        std::memcpy(c.pk.data(), e.data(), 32);
        c.what = "small-order A " + base::to_hex(c.pk);
        cases.push_back(c);
    }
    const auto v = verdicts_all_paths(with_honest_padding(cases, rnd));
    for (std::size_t i = 0; i < cases.size(); ++i) EXPECT_FALSE(v[i]) << cases[i].what;
}

TEST_F(BatchVerify, SmallOrderRIsRejectedEvenWhenTheEquationHolds) {
    const std::uint64_t seed = test_seed(12);
    SCOPED_TRACE(testing::Message() << "seed=" << seed);
    base::prng rnd(seed);
    std::vector<owned_case> cases;
    for (const auto& e : small_order_encodings()) {
        // With S = h a, S B - h A = 0: the equation would accept R = identity
        // (up to torsion); libsodium refuses R of small order outright.
        owned_case c = honest_case(rnd);
        const auto kp = keypair_from_prng(rnd);
        c.pk = kp.pk;
        std::memcpy(c.sig.data(), e.data(), 32);
        std::uint8_t digest[64], h[32], a[32], sa[32];
        crypto_hash_sha512(digest, kp.sk.data(), 32);
        digest[0] &= 248;
        digest[31] &= 127;
        digest[31] |= 64;
        std::uint8_t wide[64] = {};
        std::memcpy(wide, digest, 32);
        crypto_core_ed25519_scalar_reduce(a, wide);
        crypto_hash_sha512_state st;
        crypto_hash_sha512_init(&st);
        crypto_hash_sha512_update(&st, c.sig.data(), 32);
        crypto_hash_sha512_update(&st, c.pk.data(), 32);
        crypto_hash_sha512_update(&st, reinterpret_cast<const std::uint8_t*>(c.msg.data()), c.msg.size());
        crypto_hash_sha512_final(&st, digest);
        crypto_core_ed25519_scalar_reduce(h, digest);
        crypto_core_ed25519_scalar_mul(sa, h, a);
        std::memcpy(c.sig.data() + 32, sa, 32);
        c.what = "small-order R " + base::to_hex(c.sig.bytes().subspan(0, 32));
        cases.push_back(c);
    }
    const auto v = verdicts_all_paths(with_honest_padding(cases, rnd));
    for (std::size_t i = 0; i < cases.size(); ++i) EXPECT_FALSE(v[i]) << cases[i].what;
}

TEST_F(BatchVerify, IdentityAsKeyAndAsRIsRejected) {
    base::prng rnd(test_seed(13));
    owned_case a = honest_case(rnd), r = honest_case(rnd), both = honest_case(rnd);
    const auto id = encode(cd::ge_identity());
    std::memcpy(a.pk.data(), id.data(), 32);
    std::memcpy(r.sig.data(), id.data(), 32);
    std::memcpy(both.pk.data(), id.data(), 32);
    std::memcpy(both.sig.data(), id.data(), 32);
    std::memset(both.sig.data() + 32, 0, 32);  // S = 0: [0]B = R + h A holds for A = R = identity
    const auto v = verdicts_all_paths(with_honest_padding({a, r, both}, rnd));
    EXPECT_FALSE(v[0]);
    EXPECT_FALSE(v[1]);
    EXPECT_FALSE(v[2]);
}

// ----------------------------------------------------------- non-canonical

std::vector<std::array<std::uint8_t, 32>> non_canonical_y_encodings() {
    // y in [p, 2^255): p + k for k = 0..18, each with both values of bit 255.
    std::vector<std::array<std::uint8_t, 32>> out;
    for (int k = 0; k <= 18; ++k) {
        std::array<std::uint8_t, 32> e;
        e.fill(0xff);
        e[0] = static_cast<std::uint8_t>(0xed + k);
        e[31] = 0x7f;
        out.push_back(e);
        e[31] = 0xff;
        out.push_back(e);
    }
    return out;
}

TEST_F(BatchVerify, NonCanonicalPublicKeysAreRejected) {
    base::prng rnd(test_seed(14));
    std::vector<owned_case> cases;
    for (const auto& e : non_canonical_y_encodings()) {
        owned_case c = honest_case(rnd);
        std::memcpy(c.pk.data(), e.data(), 32);
        c.what = "non-canonical A " + base::to_hex(c.pk);
        cases.push_back(c);
    }
    const auto v = verdicts_all_paths(with_honest_padding(cases, rnd));
    for (std::size_t i = 0; i < cases.size(); ++i) EXPECT_FALSE(v[i]) << cases[i].what;
}

TEST_F(BatchVerify, NonCanonicalRIsRejected) {
    base::prng rnd(test_seed(15));
    std::vector<owned_case> cases;
    for (const auto& e : non_canonical_y_encodings()) {
        owned_case c = honest_case(rnd);
        std::memcpy(c.sig.data(), e.data(), 32);
        c.what = "non-canonical R";
        cases.push_back(c);
    }
    // x = 0 with the sign bit set is the other non-canonical form; those
    // points (y = 1, y = -1) are of small order, covered above as well.
    const auto v = verdicts_all_paths(with_honest_padding(cases, rnd));
    for (std::size_t i = 0; i < cases.size(); ++i) EXPECT_FALSE(v[i]) << cases[i].what;
}

TEST_F(BatchVerify, NonCanonicalSIsRejected) {
    base::prng rnd(test_seed(16));
    const std::uint8_t l_bytes[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                      0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};
    std::vector<owned_case> cases;
    auto add_s = [&](owned_case c, const std::uint8_t s[32], const char* what) {
        std::memcpy(c.sig.data() + 32, s, 32);
        c.what = what;
        cases.push_back(c);
    };
    for (int i = 0; i < 4; ++i) {
        const owned_case c = honest_case(rnd);
        // S + L and S + 2L, ... (the same residue, so S B = R + h A still holds mod L).
        std::uint8_t s[32];
        std::memcpy(s, c.sig.data() + 32, 32);
        for (int k = 1; k <= 15; ++k) {
            unsigned carry = 0;
            for (int b = 0; b < 32; ++b) {
                const unsigned v = s[b] + l_bytes[b] + carry;
                s[b] = static_cast<std::uint8_t>(v);
                carry = v >> 8;
            }
            if (carry) break;
            add_s(c, s, "S + kL");
        }
        add_s(c, l_bytes, "S = L");
        std::uint8_t hi[32];
        std::memcpy(hi, c.sig.data() + 32, 32);
        hi[31] |= 0xe0;  // the three high bits libsodium's ED25519_COMPAT mode looks at
        add_s(c, hi, "S with high bits");
        std::uint8_t ff[32];
        std::memset(ff, 0xff, 32);
        add_s(c, ff, "S = 2^256 - 1");
    }
    const auto v = verdicts_all_paths(with_honest_padding(cases, rnd));
    for (std::size_t i = 0; i < cases.size(); ++i) EXPECT_FALSE(v[i]) << cases[i].what;
}

TEST_F(BatchVerify, SEqualToLMinusOneIsStillCanonical) {
    // The boundary the other way: S = L - 1 passes the cheap check (and then
    // fails the equation for an honest R, as libsodium does).
    base::prng rnd(test_seed(17));
    owned_case c = honest_case(rnd);
    const std::uint8_t lm1[32] = {0xec, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                  0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};
    EXPECT_TRUE(cd::scalar_is_canonical(lm1));
    std::memcpy(c.sig.data() + 32, lm1, 32);
    verdicts_all_paths(with_honest_padding({c}, rnd));
}

// ------------------------------------------------------------ off the curve

std::array<std::uint8_t, 32> off_curve_encoding(base::prng& rnd) {
    for (;;) {
        std::array<std::uint8_t, 32> e;
        for (auto& b : e) b = static_cast<std::uint8_t>(rnd());
        e[31] &= 0x7f;
        cd::ge_p3 p;
        if (cd::encoding_is_canonical(e.data()) && !cd::ge_from_bytes(p, e.data())) return e;
    }
}

TEST_F(BatchVerify, PointsNotOnTheCurveAreRejected) {
    base::prng rnd(test_seed(18));
    std::vector<owned_case> cases;
    for (int i = 0; i < 8; ++i) {
        owned_case a = honest_case(rnd), r = honest_case(rnd);
        const auto ea = off_curve_encoding(rnd), er = off_curve_encoding(rnd);
        std::memcpy(a.pk.data(), ea.data(), 32);
        std::memcpy(r.sig.data(), er.data(), 32);
        a.what = "A off curve";
        r.what = "R off curve";
        cases.push_back(a);
        cases.push_back(r);
    }
    const auto v = verdicts_all_paths(with_honest_padding(cases, rnd));
    for (std::size_t i = 0; i < cases.size(); ++i) EXPECT_FALSE(v[i]) << cases[i].what;
}

// ------------------------------------------------------------- mixed order

// Keys and nonces with a torsion component: libsodium (cofactorless) accepts
// exactly when T_R = -h T_A, while a cofactored equation alone would accept
// all of them. The batch must agree with libsodium on every combination.
TEST_F(BatchVerify, MixedOrderKeysAndNoncesMatchLibsodium) {
    const std::uint64_t seed = test_seed(19);
    SCOPED_TRACE(testing::Message() << "seed=" << seed);
    base::prng rnd(seed);
    std::vector<owned_case> cases;
    std::size_t accepted = 0, rejected = 0;
    for (int ta = 0; ta < 8; ++ta) {
        for (int tr = 0; tr < 8; ++tr) {
            for (int rep = 0; rep < 3; ++rep) {
                owned_case c = torsion_case(rnd, ta, tr);
                (crypto::verify(c.sig, c.msg, c.pk) ? accepted : rejected)++;
                cases.push_back(c);
            }
        }
    }
    // The test is only meaningful if both outcomes occur among torsioned inputs.
    EXPECT_GT(accepted, 8u);
    EXPECT_GT(rejected, 8u);
    verdicts_all_paths(cases);
}

TEST_F(BatchVerify, MixedOrderKeysThatLibsodiumAcceptsAreAccepted) {
    // Search for T_R = -h T_A with T_A of order 8: such signatures are valid
    // for libsodium although the key is not in the prime-order subgroup.
    base::prng rnd(test_seed(20));
    std::vector<owned_case> found;
    for (int tries = 0; tries < 4000 && found.size() < 6; ++tries) {
        const int ta = 1 + static_cast<int>(rnd.below(7));
        const int tr = static_cast<int>(rnd.below(8));
        owned_case c = torsion_case(rnd, ta, tr);
        if (crypto::verify(c.sig, c.msg, c.pk) && ta % 2 == 1) found.push_back(c);
    }
    ASSERT_GE(found.size(), 3u);
    const auto v = verdicts_all_paths(found);
    for (bool x : v) EXPECT_TRUE(x);
}

TEST_F(BatchVerify, TorsionOnROnlyIsRejectedAlthoughTheCofactoredEquationHolds) {
    base::prng rnd(test_seed(21));
    std::vector<owned_case> cases;
    for (int tr = 1; tr < 8; ++tr) {
        owned_case c = torsion_case(rnd, 0, tr);
        // [8](S B - h A - R) = 0 holds: the case a cofactored-only batch would accept.
        cd::ge_p3 A, R;
        ASSERT_TRUE(cd::ge_from_bytes(A, c.pk.data()));
        ASSERT_TRUE(cd::ge_from_bytes(R, c.sig.data()));
        std::uint8_t digest[64], h[32];
        crypto_hash_sha512_state st;
        crypto_hash_sha512_init(&st);
        crypto_hash_sha512_update(&st, c.sig.data(), 32);
        crypto_hash_sha512_update(&st, c.pk.data(), 32);
        crypto_hash_sha512_update(&st, reinterpret_cast<const std::uint8_t*>(c.msg.data()), c.msg.size());
        crypto_hash_sha512_final(&st, digest);
        crypto_core_ed25519_scalar_reduce(h, digest);
        const cd::ge_p3 sb = cd::base_mul(cd::scalar_from_bytes(c.sig.data() + 32));
        const cd::ge_p3 ha = cd::ge_mul_bytes(A, h);
        cd::ge_p3 d = cd::ge_add_p3(sb, cd::ge_neg(cd::ge_add_p3(ha, R)));
        EXPECT_FALSE(cd::ge_is_identity(d));
        for (int i = 0; i < 3; ++i) d = cd::ge_dbl_p3(d);
        EXPECT_TRUE(cd::ge_is_identity(d));
        cases.push_back(c);
    }
    const auto v = verdicts_all_paths(with_honest_padding(cases, rnd));
    for (std::size_t i = 0; i < cases.size(); ++i) EXPECT_FALSE(v[i]) << cases[i].what;
}

TEST_F(BatchVerify, TwoTorsionedItemsCannotCancelEachOther) {
    // Two items whose torsion defects are opposite: a cofactorless random
    // combination would see them cancel whenever z_1 = z_2 mod 8. Each must
    // still be rejected on its own.
    base::prng rnd(test_seed(22));
    std::vector<owned_case> cases;
    for (int t = 1; t < 8; ++t) {
        cases.push_back(torsion_case(rnd, 0, t));
        cases.push_back(torsion_case(rnd, 0, 8 - t));
    }
    for (const auto& c : cases) ASSERT_FALSE(crypto::verify(c.sig, c.msg, c.pk));
    const auto v = verdicts_all_paths(cases);
    for (bool x : v) EXPECT_FALSE(x);
}

// --------------------------------------------------------------- fallback

TEST_F(BatchVerify, OneForgeryIsFoundWithFewEquations) {
    base::prng rnd(test_seed(23));
    std::vector<owned_case> cases;
    for (int i = 0; i < 64; ++i) cases.push_back(honest_case(rnd));
    cases[37].sig.data()[50] ^= 0x04;  // S changed: passes every cheap check, fails the equation
    for (auto be : cd::available_backends()) {
        SCOPED_TRACE(cd::backend_name(be));
        cd::batch_options opt;
        opt.backend = be;
        crypto::batch_summary sum;
        EXPECT_EQ(check_against_libsodium(cases, opt, &sum), 0u);
        EXPECT_TRUE(sum.fell_back);
        EXPECT_EQ(sum.accepted, 63u);
        EXPECT_EQ(sum.single_checks, 1u);  // only the forged item reaches libsodium
        if (be == cd::field_backend::portable) {
            // Bisection: the whole batch, then at most two equations per halving level (64 -> 1: six levels).
            EXPECT_LE(sum.equations, 1u + 2u * 6u);
        } else if (be == cd::field_backend::avx2) {
            // Four-way search: the whole batch, the failing group of 16, then its failing group of 4.
            EXPECT_EQ(sum.equations, 3u);
        } else {
            // Eight-way search: the whole batch, then the failing group of 8 split over the lanes.
            EXPECT_EQ(sum.equations, 2u);
        }
    }
}

TEST_F(BatchVerify, EmptyBatchAndLongerOkSpanAreFine) {
    std::vector<crypto::verify_job> none;
    bool ok[3] = {true, false, true};
    const auto sum = crypto::verify_batch(none, std::span<bool>(ok, 3));
    EXPECT_EQ(sum.accepted + sum.rejected, 0u);
    EXPECT_TRUE(ok[0]);
    EXPECT_FALSE(ok[1]);
}

TEST_F(BatchVerify, BackendNameMatchesCpu) {
    EXPECT_STREQ(crypto::batch_verify_backend(), cd::ifma_available()   ? "avx512ifma"
                                                 : cd::avx2_available() ? "avx2"
                                                                        : "portable");
}

TEST_F(BatchVerify, BackendCanBeForcedByName) {
    EXPECT_FALSE(crypto::set_batch_verify_backend("sse9"));
    EXPECT_TRUE(crypto::set_batch_verify_backend("portable"));
    EXPECT_STREQ(crypto::batch_verify_backend(), "portable");
    EXPECT_EQ(crypto::set_batch_verify_backend("avx2"), cd::avx2_available());
    if (cd::avx2_available()) {
        EXPECT_STREQ(crypto::batch_verify_backend(), "avx2");
    }
    EXPECT_EQ(crypto::set_batch_verify_backend("ifma"), cd::ifma_available());
    if (cd::ifma_available()) {
        EXPECT_STREQ(crypto::batch_verify_backend(), "avx512ifma");
    }
    // Forced backends give libsodium's verdicts through the public entry point too.
    base::prng rnd(test_seed(24));
    std::vector<owned_case> cases;
    for (int i = 0; i < 12; ++i) cases.push_back(honest_case(rnd));
    cases[5].sig.data()[50] ^= 0x04;
    for (auto be : cd::available_backends()) {
        ASSERT_TRUE(crypto::set_batch_verify_backend(cd::backend_name(be)));
        std::vector<crypto::verify_job> jobs;
        for (const auto& c : cases) jobs.push_back(crypto::verify_job{c.msg, c.pk, c.sig});
        std::unique_ptr<bool[]> ok(new bool[jobs.size()]);
        crypto::verify_batch(jobs, std::span<bool>(ok.get(), jobs.size()));
        for (std::size_t i = 0; i < cases.size(); ++i) {
            EXPECT_EQ(ok[i], crypto::verify(cases[i].sig, cases[i].msg, cases[i].pk)) << cd::backend_name(be);
        }
    }
    EXPECT_TRUE(crypto::set_batch_verify_backend("auto"));
    EXPECT_EQ(cd::resolve_backend(cd::field_backend::automatic), cd::available_backends().back());
}

// ----------------------------------------------------------- differential

// Batch sizes 1..256 with no, one and many bad items of every kind, on every
// option set, each verdict compared with libsodium. Sized to stay well under
// 20 s under ASan; crypto_batch_verify_slow_test runs the same at >= 10^6.
TEST_F(BatchVerify, MatchesLibsodiumOnRandomBatches) {
    const std::uint64_t seed = test_seed(301);
    SCOPED_TRACE(testing::Message() << "seed=" << seed);
    base::prng rnd(seed);
    std::vector<std::size_t> sizes;
    for (std::size_t n = 1; n <= 16; ++n) sizes.push_back(n);
    for (std::size_t n : {31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 200, 255, 256}) sizes.push_back(n);
    std::size_t total = 0, disagreements = 0;
    for (const auto& opt : all_option_sets()) {
        SCOPED_TRACE(describe(opt));
        for (std::size_t n : sizes) {
            for (int scenario = 0; scenario < 3; ++scenario) {  // no, one, many bad items
                std::vector<owned_case> cases;
                for (std::size_t i = 0; i < n; ++i) cases.push_back(honest_case(rnd, 100));
                const std::size_t bad = scenario == 0 ? 0 : scenario == 1 ? 1 : 1 + rnd.below(n);
                for (std::size_t b = 0; b < bad; ++b) {
                    auto& c = cases[rnd.below(n)];
                    mutate(c, rnd, static_cast<mutation>(rnd.below(static_cast<std::uint64_t>(mutation::count))));
                }
                disagreements += check_against_libsodium(cases, opt);
                total += n;
            }
        }
    }
    EXPECT_EQ(disagreements, 0u);
    std::printf("differential: %zu items, %zu disagreements\n", total, disagreements);
}

}  // namespace
