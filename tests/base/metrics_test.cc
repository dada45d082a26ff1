#include "base/metrics.h"

#include <gtest/gtest.h>

#include <array>
#include <thread>

namespace {

using base::metrics::def;
using base::metrics::kind;

enum class demo : std::uint8_t { rx, drop_short, drop_long, depth, count_ };
constexpr std::array<def, 4> demo_defs{{
    {"rx", "shoal_demo_received_total", kind::counter, "Datagrams received."},
    {"drop_short", "shoal_demo_dropped_total", kind::counter, "Datagrams dropped, by reason.", {"reason", "short"}},
    {"drop_long", "shoal_demo_dropped_total", kind::counter, "Datagrams dropped, by reason.", {"reason", "long"}},
    {"depth", "shoal_demo_queue_depth", kind::gauge, "Datagrams waiting."},
}};
constexpr std::span<const def> metric_defs(demo) noexcept { return demo_defs; }

TEST(Metrics, ACounterSetCountsAndNamesByItsTable) {
    base::metrics::counter_set<demo> c;
    c.inc(demo::rx);
    c.inc(demo::rx, 4);
    c.set(demo::depth, 7);
    EXPECT_EQ(c.get(demo::rx), 5u);
    EXPECT_EQ(c.get(demo::drop_short), 0u);
    EXPECT_EQ(c.get(demo::depth), 7u);
    EXPECT_EQ(base::metrics::counter_set<demo>::name(demo::drop_long), "drop_long");
}

TEST(Metrics, ReadersSeeTheLastPublishNotTheLiveValues) {
    base::metrics::counter_set<demo> c;
    base::metrics::published p(c.defs(), c.data());
    EXPECT_TRUE(p.is<demo>());
    c.inc(demo::rx, 3);
    EXPECT_EQ(p.value(0), 0u) << "nothing published yet";
    p.publish();
    EXPECT_EQ(p.value(0), 3u);
    c.inc(demo::rx);
    EXPECT_EQ(p.value(0), 3u);
    EXPECT_EQ(p.value(99), 0u) << "out of range reads as zero";
    p.detach();
    EXPECT_EQ(p.value(0), 4u) << "detach publishes a last time";
    c.inc(demo::rx);
    p.publish();
    EXPECT_EQ(p.value(0), 4u) << "after detach the live values are never read again";
}

struct gauge_owner {
    base::metrics::counter_set<demo> c;
    int level = 0;
    static void collect(void* self) noexcept {
        auto* o = static_cast<gauge_owner*>(self);
        o->c.set(demo::depth, static_cast<std::uint64_t>(o->level));
    }
};

TEST(Metrics, ACollectHookSetsGaugesJustBeforeEachPublish) {
    gauge_owner o;
    base::metrics::published p(o.c.defs(), o.c.data(), &gauge_owner::collect, &o);
    o.level = 12;
    p.publish();
    EXPECT_EQ(p.value(3), 12u);
    o.level = 2;
    p.publish();
    EXPECT_EQ(p.value(3), 2u);
}

// A reader on another thread sees values that only grow and never run ahead
// of the owner (run under TSan too: the publish is the only shared write).
TEST(Metrics, ConcurrentReadersSeeMonotonicSnapshots) {
    base::metrics::counter_set<demo> c;
    base::metrics::published p(c.defs(), c.data());
    std::atomic<bool> done{false};
    std::thread reader([&] {
        std::uint64_t last = 0;
        while (!done.load(std::memory_order_acquire)) {
            const std::uint64_t v = p.value(0);
            ASSERT_GE(v, last);
            last = v;
        }
    });
    for (int i = 0; i < 100000; ++i) {
        c.inc(demo::rx);
        if (i % 64 == 0) p.publish();
    }
    p.publish();
    done.store(true, std::memory_order_release);
    reader.join();
    EXPECT_EQ(p.value(0), 100000u);
}

TEST(Metrics, TheTableCheckCatchesEachRule) {
    EXPECT_EQ(base::metrics::check_table(demo_defs), "");
    auto bad = [](std::array<def, 2> t) { return base::metrics::check_table(t); };
    const def ok{"a", "shoal_x_total", kind::counter, "h."};
    EXPECT_NE(bad({ok, ok}), "") << "a name used twice";
    EXPECT_NE(bad({ok, def{"b", "shoal_x", kind::counter, "h."}}), "") << "a counter not ending in _total";
    EXPECT_NE(bad({ok, def{"b", "shoal_y_total", kind::gauge, "h."}}), "") << "a gauge ending in _total";
    EXPECT_NE(bad({ok, def{"b", "x_total", kind::counter, "h."}}), "") << "no shoal_ prefix";
    EXPECT_NE(bad({ok, def{"B", "shoal_y_total", kind::counter, "h."}}), "") << "not snake_case";
    EXPECT_NE(bad({ok, def{"b", "shoal_y_total", kind::counter, ""}}), "") << "no help";
    EXPECT_NE(bad({ok, def{"b", "shoal_x_total", kind::counter, "other."}}), "") << "a family with two helps";
    EXPECT_NE(bad({def{"a", "shoal_x_total", kind::counter, "h.", {"reason", "r"}},
                   def{"b", "shoal_x_total", kind::counter, "h.", {"reason", "r"}}}),
              "")
        << "a family member repeating a label";
    EXPECT_NE(bad({def{"a", "shoal_x_total", kind::counter, "h.", {"reason", "r"}},
                   def{"b", "shoal_x_total", kind::counter, "h.", {"kind", "s"}}}),
              "")
        << "a family with two label keys";
}

}  // namespace
