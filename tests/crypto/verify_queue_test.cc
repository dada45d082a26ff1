// Tests of crypto::verify_queue: the three flush triggers, the deadline it
// reports, single mode, message ownership, counters, and re-entrant callbacks.
// Time is driven by hand (sans-I/O).
#include "crypto/verify_queue.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "ed25519_test_util.h"

namespace {

using namespace std::chrono_literals;
using namespace shoal_test;

const base::mono_time t0 = base::from_ns(5'000'000'000);

class VerifyQueue : public testing::Test {
protected:
    static void SetUpTestSuite() { ASSERT_TRUE(crypto::init()); }

    // Collects verdicts by cookie.
    struct sink {
        std::map<std::uint64_t, bool> got;
        std::vector<std::uint64_t> order;
        void operator()(std::uint64_t cookie, bool ok) {
            EXPECT_EQ(got.count(cookie), 0u) << "verdict delivered twice for " << cookie;
            got[cookie] = ok;
            order.push_back(cookie);
        }
    };

    base::prng rnd{401};
    std::vector<owned_case> make(std::size_t n, std::size_t bad_every = 0) {
        std::vector<owned_case> v;
        for (std::size_t i = 0; i < n; ++i) {
            v.push_back(honest_case(rnd));
            if (bad_every && i % bad_every == bad_every - 1) mutate(v.back(), rnd, mutation::msg_bit);
        }
        return v;
    }
    static bool libsodium(const owned_case& c) { return crypto::verify(c.sig, c.msg, c.pk); }
};

TEST_F(VerifyQueue, FlushesWhenMaxBatchIsReached) {
    crypto::verify_queue q({.max_batch = 8, .max_delay = 1s});
    const auto cases = make(8, 3);
    sink s;
    for (std::size_t i = 0; i < 7; ++i) q.push(i, cases[i].msg, cases[i].pk, cases[i].sig, t0, std::ref(s));
    EXPECT_TRUE(s.got.empty());
    EXPECT_EQ(q.size(), 7u);
    q.push(7, cases[7].msg, cases[7].pk, cases[7].sig, t0, std::ref(s));
    ASSERT_EQ(s.got.size(), 8u);
    for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(s.got[i], libsodium(cases[i])) << i;
    EXPECT_EQ(s.order, (std::vector<std::uint64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
    EXPECT_EQ(q.size(), 0u);
    EXPECT_EQ(q.stats().get(crypto::verify_ctr::flush_full), 1u);
    EXPECT_EQ(q.stats().get(crypto::verify_ctr::batches), 1u);
    EXPECT_EQ(q.stats().get(crypto::size_bucket(3)), 1u);  // size 8 is in [8, 16)
    EXPECT_EQ(q.stats().get(crypto::verify_ctr::accepted) + q.stats().get(crypto::verify_ctr::rejected), 8u);
    EXPECT_EQ(q.stats().get(crypto::verify_ctr::rejected), 2u);
    EXPECT_EQ(q.stats().get(crypto::verify_ctr::fallbacks), 1u);  // the bad items failed the first equation
}

TEST_F(VerifyQueue, DeadlineIsOldestArrivalPlusDelayAndPollFlushesThen) {
    crypto::verify_queue q({.max_batch = 64, .max_delay = 200us});
    EXPECT_FALSE(q.next_deadline());
    const auto cases = make(3);
    sink s;
    q.push(1, cases[0].msg, cases[0].pk, cases[0].sig, t0, std::ref(s));
    q.push(2, cases[1].msg, cases[1].pk, cases[1].sig, t0 + 150us, std::ref(s));
    ASSERT_TRUE(q.next_deadline());
    EXPECT_EQ(*q.next_deadline(), t0 + 200us);  // the oldest sets it
    q.poll(t0 + 199us, std::ref(s));
    EXPECT_TRUE(s.got.empty());
    q.poll(t0 + 200us, std::ref(s));
    EXPECT_EQ(s.got.size(), 2u);
    EXPECT_TRUE(s.got[1] && s.got[2]);
    EXPECT_FALSE(q.next_deadline());
    EXPECT_EQ(q.stats().get(crypto::verify_ctr::flush_deadline), 1u);
    // A new item starts a new deadline from its own arrival.
    q.push(3, cases[2].msg, cases[2].pk, cases[2].sig, t0 + 1ms, std::ref(s));
    EXPECT_EQ(*q.next_deadline(), t0 + 1ms + 200us);
}

TEST_F(VerifyQueue, PushPastTheDeadlineFlushesEverythingQueued) {
    crypto::verify_queue q({.max_batch = 64, .max_delay = 100us});
    const auto cases = make(3);
    sink s;
    q.push(1, cases[0].msg, cases[0].pk, cases[0].sig, t0, std::ref(s));
    q.push(2, cases[1].msg, cases[1].pk, cases[1].sig, t0 + 50us, std::ref(s));
    EXPECT_TRUE(s.got.empty());
    q.push(3, cases[2].msg, cases[2].pk, cases[2].sig, t0 + 100us, std::ref(s));
    EXPECT_EQ(s.got.size(), 3u);
    EXPECT_EQ(q.stats().get(crypto::verify_ctr::flush_deadline), 1u);
    EXPECT_EQ(q.stats().get(crypto::size_bucket(1)), 1u);  // size 3 is in [2, 4)
}

TEST_F(VerifyQueue, FlushVerifiesWhateverIsQueued) {
    crypto::verify_queue q({.max_batch = 64, .max_delay = 1s});
    const auto cases = make(5, 2);
    sink s;
    q.flush(std::ref(s));  // nothing queued: nothing happens
    EXPECT_EQ(q.stats().get(crypto::verify_ctr::flush_forced), 0u);
    for (std::size_t i = 0; i < 5; ++i) q.push(10 + i, cases[i].msg, cases[i].pk, cases[i].sig, t0, std::ref(s));
    q.flush(std::ref(s));
    ASSERT_EQ(s.got.size(), 5u);
    for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(s.got[10 + i], libsodium(cases[i]));
    EXPECT_EQ(q.stats().get(crypto::verify_ctr::flush_forced), 1u);
}

TEST_F(VerifyQueue, SingleModeUsesLibsodiumPerItemWithTheSameTriggers) {
    crypto::verify_queue q({.max_batch = 4, .max_delay = 1s, .single = true});
    const auto cases = make(4, 2);
    sink s;
    for (std::size_t i = 0; i < 4; ++i) q.push(i, cases[i].msg, cases[i].pk, cases[i].sig, t0, std::ref(s));
    ASSERT_EQ(s.got.size(), 4u);
    for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(s.got[i], libsodium(cases[i]));
    EXPECT_EQ(q.stats().get(crypto::verify_ctr::batches), 0u);
    EXPECT_EQ(q.stats().get(crypto::verify_ctr::single_items), 4u);
    EXPECT_EQ(q.stats().get(crypto::verify_ctr::flush_full), 1u);
    q.set_single(false);
    for (std::size_t i = 0; i < 4; ++i) q.push(100 + i, cases[i].msg, cases[i].pk, cases[i].sig, t0, std::ref(s));
    EXPECT_EQ(q.stats().get(crypto::verify_ctr::batches), 1u);
}

TEST_F(VerifyQueue, CopiesTheMessageSoTheCallerMayReuseItsBuffer) {
    crypto::verify_queue q({.max_batch = 2, .max_delay = 1s});
    auto cases = make(2);
    sink s;
    std::vector<std::byte> buffer = cases[0].msg;
    q.push(1, buffer, cases[0].pk, cases[0].sig, t0, std::ref(s));
    std::fill(buffer.begin(), buffer.end(), std::byte{0xAA});  // recycled receive buffer
    buffer.resize(3);
    q.push(2, cases[1].msg, cases[1].pk, cases[1].sig, t0, std::ref(s));
    EXPECT_TRUE(s.got[1]);
    EXPECT_TRUE(s.got[2]);
}

TEST_F(VerifyQueue, OversizedMessagesAreVerifiedAtOnce) {
    crypto::verify_queue q({.max_batch = 8, .max_delay = 1s, .max_message_bytes = 16});
    owned_case big = honest_case(rnd, 0);
    big.msg.assign(100, std::byte{7});
    const auto kp = keypair_from_prng(rnd);
    big.pk = kp.pk;
    big.sig = crypto::sign(big.msg, kp.sk);
    sink s;
    q.push(9, big.msg, big.pk, big.sig, t0, std::ref(s));
    EXPECT_TRUE(s.got[9]);
    EXPECT_EQ(q.size(), 0u);
    EXPECT_EQ(q.stats().get(crypto::verify_ctr::single_items), 1u);
}

TEST_F(VerifyQueue, CallbackMayPushAgain) {
    crypto::verify_queue q({.max_batch = 2, .max_delay = 1s});
    const auto cases = make(4);
    std::map<std::uint64_t, bool> got;
    int pushes = 0;
    std::function<void(std::uint64_t, bool)> cb = [&](std::uint64_t cookie, bool ok) {
        got[cookie] = ok;
        if (pushes < 2) {  // the first verdicts trigger two more checks, which fill and flush
            const auto& c = cases[2 + static_cast<std::size_t>(pushes)];
            ++pushes;
            q.push(2 + static_cast<std::uint64_t>(pushes) - 1, c.msg, c.pk, c.sig, t0, cb);
        }
    };
    q.push(0, cases[0].msg, cases[0].pk, cases[0].sig, t0, cb);
    q.push(1, cases[1].msg, cases[1].pk, cases[1].sig, t0, cb);
    EXPECT_EQ(got.size(), 4u);
    for (std::uint64_t c = 0; c < 4; ++c) EXPECT_TRUE(got[c]) << c;
    EXPECT_EQ(q.stats().get(crypto::verify_ctr::items), 4u);
}

TEST_F(VerifyQueue, ZeroMaxBatchMeansOne) {
    crypto::verify_queue q({.max_batch = 0, .max_delay = 1s});
    const auto cases = make(1);
    sink s;
    q.push(5, cases[0].msg, cases[0].pk, cases[0].sig, t0, std::ref(s));
    EXPECT_TRUE(s.got[5]);
    EXPECT_EQ(q.stats().get(crypto::size_bucket(0)), 1u);
}

// Many pushes at random times with random batch limits: every cookie gets
// exactly libsodium's verdict, once, and no item waits past its deadline when
// the owner polls at next_deadline().
TEST_F(VerifyQueue, RandomScheduleMatchesLibsodium) {
    const std::uint64_t seed = test_seed(402);
    SCOPED_TRACE(testing::Message() << "seed=" << seed);
    base::prng r(seed);
    crypto::verify_queue q({.max_batch = 1 + r.below(20), .max_delay = std::chrono::microseconds(1 + r.below(500))});
    const auto cases = make(150, 7);
    sink s;
    base::mono_time now = t0;
    for (std::size_t i = 0; i < cases.size(); ++i) {
        now += std::chrono::microseconds(r.below(100));
        if (auto d = q.next_deadline(); d && *d <= now) q.poll(*d, std::ref(s));
        q.push(i, cases[i].msg, cases[i].pk, cases[i].sig, now, std::ref(s));
    }
    q.flush(std::ref(s));
    ASSERT_EQ(s.got.size(), cases.size());
    for (std::size_t i = 0; i < cases.size(); ++i) EXPECT_EQ(s.got[i], libsodium(cases[i])) << i;
    std::uint64_t hist_total = 0;
    for (std::size_t b = 0; b < crypto::batch_size_buckets; ++b) hist_total += q.stats().get(crypto::size_bucket(b));
    EXPECT_EQ(hist_total, q.stats().get(crypto::verify_ctr::batches));
    EXPECT_EQ(q.stats().get(crypto::verify_ctr::items), cases.size());
}

// The queue keeps decoded keys across batches: the second batch signed with
// the same keys finds them all, and its verdicts are still libsodium's.
TEST_F(VerifyQueue, KeyCacheServesRepeatedKeysAcrossBatches) {
    crypto::verify_queue q({.max_batch = 8, .max_delay = 1s});
    std::vector<crypto::keypair> keys;
    for (int i = 0; i < 8; ++i) keys.push_back(keypair_from_prng(rnd));
    sink s;
    std::vector<owned_case> all;
    for (int round = 0; round < 2; ++round) {
        for (std::size_t i = 0; i < 8; ++i) {
            owned_case c;
            c.msg = random_message(rnd, 50);
            c.pk = keys[i].pk;
            c.sig = crypto::sign(c.msg, keys[i].sk);
            if (round == 1 && i == 5) mutate(c, rnd, mutation::sig_bit);
            all.push_back(c);
            const std::size_t cookie = all.size() - 1;
            q.push(cookie, all[cookie].msg, all[cookie].pk, all[cookie].sig, t0, std::ref(s));
        }
    }
    ASSERT_EQ(s.got.size(), 16u);
    for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(s.got[i], libsodium(all[i])) << i;
    EXPECT_EQ(q.stats().get(crypto::verify_ctr::key_lookups), 16u);
    EXPECT_EQ(q.stats().get(crypto::verify_ctr::key_hits), 8u);  // every key of the second batch
    crypto::verify_queue none({.max_batch = 8, .max_delay = 1s, .key_cache_entries = 0});
    for (std::size_t i = 0; i < 8; ++i) none.push(100 + i, all[i].msg, all[i].pk, all[i].sig, t0, [](std::uint64_t, bool) {});
    EXPECT_EQ(none.stats().get(crypto::verify_ctr::key_lookups), 0u);
}

}  // namespace
