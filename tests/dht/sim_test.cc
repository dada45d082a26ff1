// Whole-network behaviour in the deterministic simulator: lookups find the
// globally closest node, in few hops, with and without loss and churn; nodes
// learn their address and become persistent; `never` nodes stay ephemeral.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "tests/dht/sim.h"

namespace {

using namespace std::chrono_literals;

base::endpoint addr_for(std::size_t i) {
    return base::endpoint::v4(10, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i & 255), 1, 49737);
}

dht::node_config config_for(std::size_t i, std::uint64_t seed, dht::persistence mode = dht::persistence::public_address) {
    dht::node_config cfg;
    cfg.mode = mode;
    if (mode == dht::persistence::public_address) cfg.public_address = addr_for(i);
    if (i > 0) cfg.bootstrap = {addr_for(0)};
    cfg.seed = seed * 1000003 + i;
    cfg.token_master.fill(static_cast<std::uint8_t>(i));
    return cfg;
}

// Starts n public nodes, one every 50 ms, then lets the network settle.
void grow(test::sim& s, std::size_t n, std::uint64_t seed) {
    for (std::size_t i = 0; i < n; ++i) {
        s.add(addr_for(i), config_for(i, seed));
        s.run_for(50ms);
    }
    s.run_for(3min);
}

struct lookup_stats {
    int done = 0, found = 0, total = 0;
    double hops_sum = 0;
    int hops_max = 0;
};

// Runs `count` FIND_NODE lookups for random targets from random live nodes and
// checks each against the true closest live node (other than the asker).
lookup_stats run_lookups(test::sim& s, int count, base::prng& rnd) {
    lookup_stats st;
    std::vector<std::pair<std::size_t, dht::target>> asked;
    for (int i = 0; i < count; ++i) {
        std::size_t q;
        do q = rnd.below(s.size()); while (!s.alive(q));
        std::array<std::uint8_t, 32> t;
        for (auto& b : t) b = static_cast<std::uint8_t>(rnd());
        dht::target tgt(t);
        dht::node_id truth;
        bool have = false;
        for (std::size_t j = 0; j < s.size(); ++j) {
            if (j == q || !s.alive(j)) continue;
            auto id = dht::id_of(s.addr(j));
            if (!have || dht::compare_distance(tgt, id, truth) < 0) {
                truth = id;
                have = true;
            }
        }
        dht::query_spec spec;
        spec.tgt = tgt;
        spec.internal = true;
        spec.command = static_cast<std::uint64_t>(dht::internal_cmd::find_node);
        spec.on_done = [&st, truth](const dht::query_result& r) {
            ++st.done;
            if (!r.closest.empty() && *r.closest.front().from_id == truth) {
                ++st.found;
                const int hops = r.closest.front().depth + 1;
                st.hops_sum += hops;
                st.hops_max = std::max(st.hops_max, hops);
            }
        };
        s.node(q).start_query(std::move(spec));
        s.touched(q);
        ++st.total;
        s.run_for(20ms);
    }
    s.run_until([&] { return st.done == st.total; }, 2min);
    return st;
}

void report(const char* name, const lookup_stats& st) {
    std::printf("%s: %d/%d lookups found the closest node, mean hops %.2f, max %d\n", name, st.found, st.total,
                st.found ? st.hops_sum / st.found : 0.0, st.hops_max);
}

TEST(Simulation, LookupsFindTheClosestNodeIn256Nodes) {
    const std::uint64_t seed = 11;
    SCOPED_TRACE(testing::Message() << "seed=" << seed);
    test::sim s({.seed = seed, .loss = 0.0, .min_delay = 5ms, .max_delay = 50ms});
    grow(s, 256, seed);
    std::size_t min_table = SIZE_MAX;
    for (std::size_t i = 0; i < s.size(); ++i) min_table = std::min(min_table, s.node(i).table().size());
    EXPECT_GE(min_table, 20u) << "every node knows at least k others";
    base::prng rnd(seed);
    auto st = run_lookups(s, 200, rnd);
    report("no loss", st);
    EXPECT_EQ(st.done, st.total);
    EXPECT_GE(st.found, 196) << "at least 98% exact";
    EXPECT_LE(st.hops_sum / std::max(1, st.found), 3.5);
    EXPECT_LE(st.hops_max, 6);
}

TEST(Simulation, LookupsSurviveLossAndDelay) {
    const std::uint64_t seed = 12;
    SCOPED_TRACE(testing::Message() << "seed=" << seed);
    test::sim s({.seed = seed, .loss = 0.05, .min_delay = 20ms, .max_delay = 200ms});
    grow(s, 256, seed);
    base::prng rnd(seed);
    auto st = run_lookups(s, 200, rnd);
    report("5% loss, 20-200 ms", st);
    EXPECT_EQ(st.done, st.total);
    EXPECT_GE(st.found, 180) << "at least 90% exact";
    EXPECT_LE(st.hops_sum / std::max(1, st.found), 4.0);
}

TEST(Simulation, ChurnedNodesAreEvictedAndLookupsStillSucceed) {
    const std::uint64_t seed = 13;
    SCOPED_TRACE(testing::Message() << "seed=" << seed);
    test::sim s({.seed = seed, .loss = 0.01, .min_delay = 5ms, .max_delay = 50ms});
    grow(s, 200, seed);
    base::prng rnd(seed);
    for (std::size_t i = 1; i < s.size(); ++i) {
        if (rnd.chance(0.2)) s.kill(i);
    }
    auto dead_entries = [&] {
        std::size_t dead = 0, total = 0;
        for (std::size_t i = 0; i < s.size(); ++i) {
            if (!s.alive(i)) continue;
            s.node(i).table().for_each([&](const dht::table_entry& e) {
                ++total;
                dead += !s.alive(s.index_of(e.addr));
            });
        }
        return static_cast<double>(dead) / static_cast<double>(total);
    };
    const double before = dead_entries();
    s.run_for(10min);
    const double after = dead_entries();
    std::printf("dead table entries: %.1f%% right after the kill, %.1f%% 10 min later\n", 100 * before, 100 * after);
    EXPECT_GT(before, 0.1);
    EXPECT_LT(after, before / 2);
    auto st = run_lookups(s, 150, rnd);
    report("after 20% churn", st);
    EXPECT_GE(st.found, 135);
}

TEST(Simulation, NodesWithoutAConfiguredAddressLearnItAndBecomePersistent) {
    const std::uint64_t seed = 14;
    test::sim s({.seed = seed, .min_delay = 5ms, .max_delay = 30ms});
    grow(s, 30, seed);
    std::vector<std::size_t> learners, never;
    for (std::size_t i = 30; i < 40; ++i) {
        s.add(addr_for(i), config_for(i, seed, dht::persistence::at_bootstrap));
        learners.push_back(i);
    }
    for (std::size_t i = 40; i < 45; ++i) {
        s.add(addr_for(i), config_for(i, seed, dht::persistence::never));
        never.push_back(i);
    }
    s.run_for(1min);
    for (auto i : learners) {
        auto& n = s.node(i);
        EXPECT_TRUE(n.persistent()) << "node " << i;
        ASSERT_TRUE(n.id()) << "node " << i;
        EXPECT_EQ(*n.id(), dht::id_of(addr_for(i))) << "node " << i;
        EXPECT_FALSE(n.firewalled());
    }
    for (auto i : never) {
        EXPECT_FALSE(s.node(i).persistent()) << "node " << i;
        EXPECT_FALSE(s.node(i).id());
    }
    // Persistent learners end up in other tables; never-nodes do not.
    std::size_t learner_refs = 0, never_refs = 0;
    for (std::size_t i = 0; i < 30; ++i) {
        s.node(i).table().for_each([&](const dht::table_entry& e) {
            auto j = s.index_of(e.addr);
            learner_refs += j >= 30 && j < 40;
            never_refs += j >= 40;
        });
    }
    EXPECT_GT(learner_refs, 0u);
    EXPECT_EQ(never_refs, 0u);
}

}  // namespace

namespace {

// Routines (the control plane's /routines): a stopped routine does not run,
// a re-timed one runs at its new interval.
TEST(Simulation, RoutinesStopAndRetime) {
    test::sim s({});
    grow(s, 12, 7);
    dht::node& n = s.node(5);
    n.set_routine(dht::routine::pings, {false, 0});
    n.set_routine(dht::routine::refresh, {false, 0});
    const auto pings_before = n.routine_ran(dht::routine::pings), refresh_before = n.routine_ran(dht::routine::refresh);
    s.run_for(10min);
    EXPECT_EQ(n.routine_ran(dht::routine::pings), pings_before);
    EXPECT_EQ(n.routine_ran(dht::routine::refresh), refresh_before);
    n.set_routine(dht::routine::pings, {true, 2});  // every 10 s
    n.set_routine(dht::routine::refresh, {true, 3});
    const auto t0 = n.tick();
    s.run_for(30s);
    EXPECT_GE(n.routine_ran(dht::routine::pings), t0 + 4);
    EXPECT_EQ(n.routine_ran(dht::routine::pings) % 2, 0u);
    EXPECT_GT(n.routine_ran(dht::routine::refresh), refresh_before);
}

// A node that lost its table rejoins through the nodes it knew, with no
// bootstrap node: every known node is pinged, only the live ones enter.
TEST(Simulation, KnownNodesArePingedBeforeTheyAreUsed) {
    test::sim s({});
    grow(s, 12, 11);
    s.kill(0);  // the bootstrap node
    s.kill(3);
    dht::node_config cfg = config_for(40, 11);
    cfg.bootstrap = {addr_for(0)};
    cfg.known_nodes = {addr_for(0), addr_for(2), addr_for(3), addr_for(4), addr_for(5)};
    dht::node& n = s.add(addr_for(40), cfg);
    s.run_until([&] { return n.bootstrapped(); }, 2min);
    ASSERT_TRUE(n.bootstrapped());
    EXPECT_EQ(n.stats().get(dht::ctr::known_pinged), 5u);
    EXPECT_EQ(n.stats().get(dht::ctr::known_answered), 3u);
    bool has_dead = false;
    n.table().for_each([&](const dht::table_entry& e) { has_dead |= e.addr == addr_for(0) || e.addr == addr_for(3); });
    EXPECT_FALSE(has_dead);
    EXPECT_GE(n.table().size(), 8u);  // the walk went on from the live ones to the rest
}

}  // namespace
