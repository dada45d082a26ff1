// Tests of crypto::key_cache: hits return exactly the decoder's point, the
// cache stays within its bound, and batch verdicts with a cache (keys that
// repeat, keys that never decode, mutated keys) are libsodium's on every backend.
#include "crypto/key_cache.h"

#include <gtest/gtest.h>

#include "crypto/detail/ge25519.h"
#include "ed25519_test_util.h"

namespace {

using namespace shoal_test;

class KeyCache : public testing::Test {
protected:
    static void SetUpTestSuite() { ASSERT_TRUE(crypto::init()); }
};

TEST_F(KeyCache, HitReturnsTheDecodedPoint) {
    base::prng rnd(test_seed(61));
    crypto::key_cache cache(4096);  // roomy: no set fills up
    EXPECT_EQ(cache.capacity(), 4096u);
    for (int i = 0; i < 40; ++i) {
        const auto kp = keypair_from_prng(rnd);
        cd::ge_p3 decoded, got;
        ASSERT_TRUE(cd::ge_from_bytes(decoded, kp.pk.data()));
        EXPECT_FALSE(cache.find(kp.pk.data(), got));
        cache.insert(kp.pk.data(), decoded);
        ASSERT_TRUE(cache.find(kp.pk.data(), got));
        for (const auto* pair : {&decoded.X, &decoded.Y, &decoded.Z, &decoded.T}) {
            const cd::fe& want = *pair;
            const cd::fe& have = pair == &decoded.X   ? got.X
                                 : pair == &decoded.Y ? got.Y
                                 : pair == &decoded.Z ? got.Z
                                                      : got.T;
            EXPECT_EQ(0, std::memcmp(want.v, have.v, sizeof want.v));  // bit for bit, not just equal mod p
        }
        // A key one bit away is a different key.
        auto other = kp.pk;
        other.data()[3] ^= 0x10;
        EXPECT_FALSE(cache.find(other.data(), got));
    }
    EXPECT_EQ(cache.stats().hits, 40u);
}

TEST_F(KeyCache, StaysWithinItsBoundAndDisabledStoresNothing) {
    base::prng rnd(test_seed(62));
    crypto::key_cache cache(10);  // rounds up to 16
    crypto::key_cache none(0);
    EXPECT_EQ(cache.capacity(), 16u);
    EXPECT_EQ(none.capacity(), 0u);
    std::vector<crypto::public_key> keys;
    for (int i = 0; i < 100; ++i) {
        const auto kp = keypair_from_prng(rnd);
        cd::ge_p3 p;
        ASSERT_TRUE(cd::ge_from_bytes(p, kp.pk.data()));
        cache.insert(kp.pk.data(), p);
        none.insert(kp.pk.data(), p);
        keys.push_back(kp.pk);
    }
    std::size_t found = 0;
    for (const auto& k : keys) {
        cd::ge_p3 p;
        found += cache.find(k.data(), p) ? 1 : 0;
        EXPECT_FALSE(none.find(k.data(), p));
    }
    EXPECT_LE(found, 16u);
    EXPECT_GE(found, 8u);  // four-way sets: nearly full
    // Every stored key is either still there or was evicted; a full set stores
    // only some of its misses.
    EXPECT_EQ(cache.stats().inserts - cache.stats().evictions, found);
    EXPECT_LT(cache.stats().inserts, 100u);
}

// Batches drawn from a small key pool (so keys repeat within and across
// batches), with every kind of damage, verified with a cache on every backend
// and compared with libsodium. The cache is shared across backends and batches.
TEST_F(KeyCache, BatchVerdictsWithACacheMatchLibsodium) {
    const std::uint64_t seed = test_seed(63);
    SCOPED_TRACE(testing::Message() << "seed=" << seed);
    base::prng rnd(seed);
    std::vector<crypto::keypair> pool;
    for (int i = 0; i < 24; ++i) pool.push_back(keypair_from_prng(rnd));
    crypto::key_cache cache(16);  // smaller than the pool: hits, misses and evictions
    std::size_t disagreements = 0, hits = 0;
    for (int round = 0; round < 30; ++round) {
        const std::size_t n = 1 + rnd.below(70);
        std::vector<owned_case> cases;
        for (std::size_t i = 0; i < n; ++i) {
            owned_case c;
            c.msg = random_message(rnd, 80);
            const auto& kp = pool[rnd.below(pool.size())];
            c.pk = kp.pk;
            c.sig = crypto::sign(c.msg, kp.sk);
            c.what = "pooled";
            if (rnd.below(4) == 0) {
                mutate(c, rnd, static_cast<mutation>(rnd.below(static_cast<std::uint64_t>(mutation::count))));
            }
            cases.push_back(std::move(c));
        }
        // A key with a small-order component, twice (the second use may hit the cache).
        const owned_case t = torsion_case(rnd, static_cast<int>(rnd.below(8)), static_cast<int>(rnd.below(8)));
        cases.push_back(t);
        cases.push_back(t);
        for (auto be : cd::available_backends()) {
            SCOPED_TRACE(cd::backend_name(be));
            cd::batch_options opt;
            opt.backend = be;
            opt.keys = &cache;
            opt.min_equation_items = 1;
            crypto::batch_summary sum;
            disagreements += check_against_libsodium(cases, opt, &sum);
            hits += sum.key_cache_hits;
        }
    }
    EXPECT_EQ(disagreements, 0u);
    EXPECT_GT(hits, 0u);
    EXPECT_GT(cache.stats().evictions, 0u);
}

// A key hit since it was stored is not the one a newcomer replaces.
TEST_F(KeyCache, HitKeysOutliveOneOffKeys) {
    base::prng rnd(test_seed(64));
    crypto::key_cache cache(4);  // one set
    std::vector<crypto::public_key> hot;
    for (int i = 0; i < 3; ++i) {
        const auto kp = keypair_from_prng(rnd);
        cd::ge_p3 p;
        ASSERT_TRUE(cd::ge_from_bytes(p, kp.pk.data()));
        cache.insert(kp.pk.data(), p);
        ASSERT_TRUE(cache.find(kp.pk.data(), p));
        hot.push_back(kp.pk);
    }
    for (int i = 0; i < 400; ++i) {  // one-off keys: only the fourth way turns over
        const auto kp = keypair_from_prng(rnd);
        cd::ge_p3 p;
        ASSERT_TRUE(cd::ge_from_bytes(p, kp.pk.data()));
        cache.insert(kp.pk.data(), p);
    }
    for (const auto& k : hot) {
        cd::ge_p3 p;
        EXPECT_TRUE(cache.find(k.data(), p));
    }
    EXPECT_GT(cache.stats().evictions, 10u);
}

}  // namespace
