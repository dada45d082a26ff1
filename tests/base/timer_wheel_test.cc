#include "base/timer_wheel.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <vector>

#include "base/random.h"

namespace {

using namespace std::chrono_literals;
using base::mono_time;

const mono_time t0 = base::from_ns(1'000'000'000);

TEST(TimerWheel, FiresAtOrAfterDeadlineNeverBefore) {
    base::timer_wheel w(t0, 1ms);
    w.schedule(t0 + 10ms, 1);
    std::vector<std::uint64_t> fired;
    auto collect = [&](std::uint64_t c) { fired.push_back(c); };
    w.advance(t0 + 9ms, collect);
    EXPECT_TRUE(fired.empty());
    w.advance(t0 + 9999us, collect);
    EXPECT_TRUE(fired.empty());
    w.advance(t0 + 10ms, collect);
    EXPECT_EQ(fired, std::vector<std::uint64_t>{1});
}

TEST(TimerWheel, CancelledTimerDoesNotFire) {
    base::timer_wheel w(t0, 1ms);
    auto h = w.schedule(t0 + 5ms, 7);
    EXPECT_TRUE(w.cancel(h));
    EXPECT_FALSE(w.cancel(h));
    int n = 0;
    w.advance(t0 + 1s, [&](std::uint64_t) { ++n; });
    EXPECT_EQ(n, 0);
    EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheel, StaleHandleCannotCancelReusedSlot) {
    base::timer_wheel w(t0, 1ms);
    auto h1 = w.schedule(t0 + 1ms, 1);
    w.advance(t0 + 2ms, [](std::uint64_t) {});
    auto h2 = w.schedule(t0 + 5ms, 2);  // reuses h1's node
    EXPECT_EQ(h1.index, h2.index);
    EXPECT_FALSE(w.cancel(h1));
    EXPECT_TRUE(w.armed(h2));
}

TEST(TimerWheel, SelfRearmingCallbackFiresOncePerAdvance) {
    base::timer_wheel w(t0, 1ms);
    w.schedule(t0, 1);
    int n = 0;
    w.advance(t0 + 1ms, [&](std::uint64_t c) {
        ++n;
        w.schedule(t0, c);  // in the past: must wait for the next tick
    });
    EXPECT_EQ(n, 1);
    EXPECT_EQ(w.size(), 1u);
}

TEST(TimerWheel, NextDeadlineIsALowerBound) {
    base::timer_wheel w(t0, 1ms);
    EXPECT_FALSE(w.next_deadline());
    w.schedule(t0 + 3h, 1);
    auto nd = w.next_deadline();
    ASSERT_TRUE(nd);
    EXPECT_LE(*nd, t0 + 3h);
    w.schedule(t0 + 3ms, 2);
    EXPECT_EQ(*w.next_deadline(), t0 + 3ms);
}

// Differential test against a std::multimap reference over all four levels and
// the overflow list: random schedules, cancels and irregular advances.
TEST(TimerWheel, MatchesReferenceModelUnderRandomOperations) {
    const std::uint64_t seed = 301;
    SCOPED_TRACE(testing::Message() << "seed=" << seed);
    base::prng rnd(seed);
    const auto res = 1ms;
    base::timer_wheel w(t0, res);
    struct ref_timer {
        std::int64_t tick;
        base::timer_handle h;
    };
    std::map<std::uint64_t, ref_timer> live;  // cookie -> timer
    mono_time now = t0;
    std::int64_t cur_tick = 0;
    std::uint64_t next_cookie = 1;
    std::size_t total_fired = 0, total_cancelled = 0;
    const std::int64_t spans[] = {5, 300, 70'000, 20'000'000, 6'000'000'000};  // ticks, up to beyond 2^32
    for (int step = 0; step < 20000; ++step) {
        auto op = rnd.below(10);
        if (op < 5) {
            std::int64_t delta = static_cast<std::int64_t>(rnd.below(static_cast<std::uint64_t>(spans[rnd.below(5)])));
            auto deadline = now + res * delta + std::chrono::microseconds(rnd.below(1000));
            auto h = w.schedule(deadline, next_cookie);
            std::int64_t tick = (base::to_ns(deadline) - base::to_ns(t0) + 999'999) / 1'000'000;
            live[next_cookie++] = {std::max(tick, cur_tick + 1), h};
        } else if (op < 7 && !live.empty()) {
            auto it = live.begin();
            std::advance(it, static_cast<long>(rnd.below(live.size())));
            EXPECT_TRUE(w.cancel(it->second.h));
            ++total_cancelled;
            live.erase(it);
        } else {
            std::int64_t jump = static_cast<std::int64_t>(rnd.below(static_cast<std::uint64_t>(spans[rnd.below(5)])));
            now += res * jump;
            cur_tick = (base::to_ns(now) - base::to_ns(t0)) / 1'000'000;
            std::vector<std::uint64_t> fired;
            w.advance(now, [&](std::uint64_t c) { fired.push_back(c); });
            std::int64_t last_tick = -1;
            for (auto c : fired) {
                auto it = live.find(c);
                ASSERT_NE(it, live.end()) << "fired unknown or cancelled cookie " << c;
                EXPECT_LE(it->second.tick, cur_tick) << "fired early";
                EXPECT_GE(it->second.tick, last_tick) << "out of order";
                last_tick = it->second.tick;
                live.erase(it);
                ++total_fired;
            }
            for (auto& [c, t] : live) ASSERT_GT(t.tick, cur_tick) << "missed cookie " << c;
        }
        ASSERT_EQ(w.size(), live.size());
    }
    // The run must have exercised both paths a meaningful number of times.
    EXPECT_GT(total_fired, 2000u);
    EXPECT_GT(total_cancelled, 1000u);
    std::printf("fired=%zu cancelled=%zu still armed=%zu\n", total_fired, total_cancelled, live.size());
}

}  // namespace
