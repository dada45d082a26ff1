#include "base/spsc_ring.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace {

TEST(SpscRing, ReportsFullAndFreesAfterConsume) {
    base::spsc_ring<int> r(4);
    for (int i = 0; i < 4; ++i) EXPECT_TRUE(r.try_push(i));
    EXPECT_FALSE(r.try_push(99));
    std::vector<int> got;
    EXPECT_EQ(r.consume([&](int& v) { got.push_back(v); }, 2), 2u);
    EXPECT_TRUE(r.try_push(4));
    r.consume([&](int& v) { got.push_back(v); });
    EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(SpscRing, CommittedButUnpublishedSlotsAreInvisible) {
    base::spsc_ring<int> r(8);
    for (int v : {1, 2}) {
        int* slot = r.reserve();
        ASSERT_NE(slot, nullptr);
        *slot = v;
        r.commit();
    }
    EXPECT_EQ(r.consume([](int&) {}), 0u);
    EXPECT_EQ(r.publish(), 2u);
    EXPECT_EQ(r.consume([](int&) {}), 2u);
}

// Two threads, batched publishes, wrap-around many times: every value arrives
// once and in order. Run under the tsan preset.
TEST(SpscRing, TransfersInOrderAcrossThreads) {
    struct msg {
        std::uint64_t seq;
        std::uint64_t check;
    };
    base::spsc_ring<msg> r(128);
    constexpr std::uint64_t n = 200000;
    std::thread producer([&] {
        std::uint64_t i = 0;
        while (i < n) {
            int batch = 0;
            while (i < n && batch < 16) {
                msg* m = r.reserve();
                if (!m) break;
                *m = {i, i * 2654435761u};
                r.commit();
                ++i;
                ++batch;
            }
            r.publish();
            if (batch == 0) std::this_thread::yield();
        }
    });
    std::uint64_t expect = 0;
    bool ok = true;
    while (expect < n) {
        auto got = r.consume([&](msg& m) {
            ok = ok && m.seq == expect && m.check == expect * 2654435761u;
            ++expect;
        });
        if (got == 0) std::this_thread::yield();
    }
    producer.join();
    EXPECT_TRUE(ok);
    EXPECT_EQ(expect, n);
}

}  // namespace

namespace {

TEST(SpscRing, ProducerDepthCountsWhatWaits) {
    base::spsc_ring<int> r(8);
    EXPECT_EQ(r.producer_depth(), 0u);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(r.try_push(i));
    EXPECT_EQ(r.producer_depth(), 5u);
    EXPECT_EQ(r.consume([](int&) {}, 3), 3u);
    EXPECT_EQ(r.producer_depth(), 2u);
    EXPECT_EQ(r.consume([](int&) {}), 2u);
    EXPECT_EQ(r.producer_depth(), 0u);
}

}  // namespace
