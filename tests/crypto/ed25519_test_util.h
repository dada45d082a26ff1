// tests/crypto/ed25519_test_util.h -- signature corpora for the batch verifier's tests.
//
// Builds honest signatures through libsodium, hand-made signatures whose key
// and nonce carry chosen small-order (torsion) components, and mutations of
// both; and checks a verify_batch run against crypto_sign_verify_detached item
// by item. Everything random comes from a seeded base::prng.
#pragma once

#include <gtest/gtest.h>
#include <sodium.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "base/random.h"
#include "crypto/batch_verify.h"
#include "crypto/detail/batch_verify_impl.h"
#include "crypto/detail/ge25519.h"
#include "crypto/detail/msm.h"
#include "crypto/detail/scalar25519.h"
#include "crypto/hash.h"
#include "crypto/sign.h"

namespace shoal_test {

namespace cd = crypto::detail;

// Seed for a test: SHOAL_TEST_SEED overrides the default, so that a failure
// printed with its seed can be replayed.
inline std::uint64_t test_seed(std::uint64_t fallback) {
    const char* env = std::getenv("SHOAL_TEST_SEED");
    return env ? std::strtoull(env, nullptr, 0) : fallback;
}

// One owned test case: the message lives here, the job views it.
struct owned_case {
    std::vector<std::byte> msg;
    crypto::public_key pk;
    crypto::signature sig;
    std::string what;  // how it was made, for failure messages
};

inline std::vector<std::byte> random_message(base::prng& rnd, std::size_t max_len) {
    std::vector<std::byte> m(rnd.below(max_len + 1));
    for (auto& b : m) b = std::byte(static_cast<std::uint8_t>(rnd()));
    return m;
}

inline crypto::keypair keypair_from_prng(base::prng& rnd) {
    std::array<std::uint8_t, 32> s;
    for (auto& b : s) b = static_cast<std::uint8_t>(rnd());
    return crypto::keypair_from_seed(crypto::seed(s));
}

inline owned_case honest_case(base::prng& rnd, std::size_t max_len = 200) {
    owned_case c;
    c.msg = random_message(rnd, max_len);
    const auto kp = keypair_from_prng(rnd);
    c.pk = kp.pk;
    c.sig = crypto::sign(c.msg, kp.sk);
    c.what = "honest";
    return c;
}

// The eight points of order dividing 8, as k * T8 for one generator T8 (k = 0..7).
inline const std::array<cd::ge_p3, 8>& torsion_points() {
    static const std::array<cd::ge_p3, 8> pts = [] {
        // Encodings of k * T8 for k = 0..7 (bit 255 = parity of x).
        const char* hex[8] = {
            "0100000000000000000000000000000000000000000000000000000000000000",
            "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
            "0000000000000000000000000000000000000000000000000000000000000000",
            "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
            "0000000000000000000000000000000000000000000000000000000000000080",
            "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
        };
        std::array<cd::ge_p3, 8> out;
        for (int k = 0; k < 8; ++k) {
            std::string raw;
            if (!base::from_hex(hex[k], raw) || raw.size() != 32) std::abort();
            std::uint8_t b[32];
            std::memcpy(b, raw.data(), 32);
            if (!cd::ge_from_bytes(out[k], b)) std::abort();
        }
        return out;
    }();
    return pts;
}

inline std::array<std::uint8_t, 32> encode(const cd::ge_p3& p) {
    std::array<std::uint8_t, 32> b;
    cd::ge_to_bytes(b.data(), p);
    return b;
}

inline std::array<std::uint8_t, 32> random_scalar(base::prng& rnd) {
    std::uint8_t wide[64];
    for (auto& b : wide) b = static_cast<std::uint8_t>(rnd());
    std::array<std::uint8_t, 32> s;
    crypto_core_ed25519_scalar_reduce(s.data(), wide);
    return s;
}

// A signature made by hand with key A = aB + T_A and nonce R = rB + T_R
// (torsion indices ta, tr in 0..7), following RFC 8032 otherwise:
// h = SHA-512(R || A || M) mod L, S = r + h a mod L. libsodium accepts it iff
// T_R = -h T_A. `h_mod8` reports h mod 8.
inline owned_case torsion_case(base::prng& rnd, int ta, int tr, unsigned* h_mod8 = nullptr) {
    owned_case c;
    c.msg = random_message(rnd, 64);
    const auto a = random_scalar(rnd);
    const auto r = random_scalar(rnd);
    const cd::ge_p3 A = cd::ge_add_p3(cd::base_mul(cd::scalar_from_bytes(a.data())), torsion_points()[ta]);
    const cd::ge_p3 R = cd::ge_add_p3(cd::base_mul(cd::scalar_from_bytes(r.data())), torsion_points()[tr]);
    const auto a_enc = encode(A);
    const auto r_enc = encode(R);
    std::uint8_t digest[64];
    crypto_hash_sha512_state st;
    crypto_hash_sha512_init(&st);
    crypto_hash_sha512_update(&st, r_enc.data(), 32);
    crypto_hash_sha512_update(&st, a_enc.data(), 32);
    crypto_hash_sha512_update(&st, reinterpret_cast<const std::uint8_t*>(c.msg.data()), c.msg.size());
    crypto_hash_sha512_final(&st, digest);
    std::uint8_t h[32], ha[32], s[32];
    crypto_core_ed25519_scalar_reduce(h, digest);
    crypto_core_ed25519_scalar_mul(ha, h, a.data());
    crypto_core_ed25519_scalar_add(s, r.data(), ha);
    std::memcpy(c.pk.data(), a_enc.data(), 32);
    std::memcpy(c.sig.data(), r_enc.data(), 32);
    std::memcpy(c.sig.data() + 32, s, 32);
    if (h_mod8) *h_mod8 = h[0] & 7u;
    c.what = "torsion ta=" + std::to_string(ta) + " tr=" + std::to_string(tr);
    return c;
}

enum class mutation : std::uint8_t { sig_bit, msg_bit, pk_bit, random_sig, random_pk, count };

inline void mutate(owned_case& c, base::prng& rnd, mutation m) {
    switch (m) {
    case mutation::sig_bit: {
        const std::size_t bit = rnd.below(512);
        c.sig.data()[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
        c.what += " +sig_bit" + std::to_string(bit);
        break;
    }
    case mutation::msg_bit:
        if (c.msg.empty()) c.msg.push_back(std::byte{0});
        {
            const std::size_t bit = rnd.below(c.msg.size() * 8);
            c.msg[bit / 8] ^= std::byte(static_cast<std::uint8_t>(1u << (bit % 8)));
            c.what += " +msg_bit" + std::to_string(bit);
        }
        break;
    case mutation::pk_bit: {
        const std::size_t bit = rnd.below(256);
        c.pk.data()[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
        c.what += " +pk_bit" + std::to_string(bit);
        break;
    }
    case mutation::random_sig:
        for (std::size_t i = 0; i < 64; ++i) c.sig.data()[i] = static_cast<std::uint8_t>(rnd());
        c.what += " +random_sig";
        break;
    case mutation::random_pk:
        for (std::size_t i = 0; i < 32; ++i) c.pk.data()[i] = static_cast<std::uint8_t>(rnd());
        c.what += " +random_pk";
        break;
    case mutation::count:
        break;
    }
}

inline std::vector<crypto::verify_job> jobs_of(const std::vector<owned_case>& cases) {
    std::vector<crypto::verify_job> jobs;
    jobs.reserve(cases.size());
    for (const auto& c : cases) jobs.push_back(crypto::verify_job{c.msg, c.pk, c.sig});
    return jobs;
}

// Runs the batch with `opt` and compares every verdict with libsodium's.
// Returns the number of disagreements (each one also fails the test).
inline std::size_t check_against_libsodium(const std::vector<owned_case>& cases, const cd::batch_options& opt,
                                           crypto::batch_summary* summary = nullptr) {
    const auto jobs = jobs_of(cases);
    std::unique_ptr<bool[]> ok(new bool[jobs.size() + 1]);
    ok[jobs.size()] = true;  // sentinel: must stay untouched
    const auto sum = cd::verify_batch_with(jobs, std::span<bool>(ok.get(), jobs.size()), opt);
    if (summary) *summary = sum;
    std::size_t bad = 0;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        const bool expect = crypto::verify(cases[i].sig, cases[i].msg, cases[i].pk);
        if (ok[i] != expect) {
            ++bad;
            ADD_FAILURE() << "item " << i << " of " << jobs.size() << " (" << cases[i].what
                          << "): batch=" << ok[i] << " libsodium=" << expect;
        }
    }
    EXPECT_TRUE(ok[jobs.size()]);
    EXPECT_EQ(sum.accepted + sum.rejected, jobs.size());
    return bad;
}

// The option sets every differential test runs: every field backend this CPU
// has (portable, AVX2, AVX-512 IFMA), each with both multi-scalar
// multiplications and the equation forced even for a single item, and the
// vector backends with their lanes MSM forced even for the smallest batches.
inline std::vector<cd::batch_options> all_option_sets() {
    std::vector<cd::batch_options> v;
    for (auto be : cd::available_backends()) {
        for (auto msm : {cd::msm_algorithm::automatic, cd::msm_algorithm::straus, cd::msm_algorithm::pippenger}) {
            cd::batch_options o;
            o.backend = be;
            o.msm = msm;
            o.min_equation_items = 1;
            v.push_back(o);
        }
        if (be != cd::field_backend::portable) {
            // The vector lanes even for the smallest batches.
            cd::batch_options o;
            o.backend = be;
            o.min_equation_items = 1;
            o.min_ifma_msm_items = 1;
            o.min_avx2_msm_items = 1;
            v.push_back(o);
        }
    }
    return v;
}

inline std::string describe(const cd::batch_options& o) {
    return std::string(cd::backend_name(o.backend)) + (o.min_avx2_msm_items == 1 ? "/lanes-always" : "") + "/" +
           (o.msm == cd::msm_algorithm::automatic ? "automatic"
            : o.msm == cd::msm_algorithm::straus  ? "straus"
                                                  : "pippenger");
}

}  // namespace shoal_test
