#include "dht/routing_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "base/random.h"
#include "dht/ids.h"

namespace {

dht::node_id random_id(base::prng& r) {
    std::array<std::uint8_t, 32> a;
    for (auto& b : a) b = static_cast<std::uint8_t>(r());
    return dht::node_id(a);
}

base::endpoint addr_of(std::uint32_t i) {
    return base::endpoint::v4(10, static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 8),
                              static_cast<std::uint8_t>(i), 1000);
}

TEST(RoutingTable, PutsNodesInTheRowOfTheirFirstDifferingBit) {
    std::array<std::uint8_t, 32> self{};
    dht::routing_table t(dht::node_id(self), 20);
    auto far = self;
    far[0] = 0x80;
    auto near = self;
    near[31] = 0x01;
    t.add(dht::node_id(far), addr_of(1), 1);
    t.add(dht::node_id(near), addr_of(2), 1);
    EXPECT_EQ(t.row(0).size(), 1u);
    EXPECT_EQ(t.row(255).size(), 1u);
    EXPECT_EQ(t.row_of(dht::node_id(far)), 0);
    EXPECT_EQ(t.row_of(dht::node_id(near)), 255);
}

TEST(RoutingTable, RefusesSelfAndReportsFullRows) {
    base::prng r(301);
    auto self = random_id(r);
    dht::routing_table t(self, 20);
    EXPECT_EQ(t.add(self, addr_of(0), 1), dht::routing_table::add_result::is_self);
    // 21 ids that all land in row 0 (first bit differs from self).
    int added = 0, full = 0;
    for (std::uint32_t i = 0; i < 21; ++i) {
        auto a = random_id(r).array();
        a[0] = static_cast<std::uint8_t>((a[0] & 0x7f) | ((self[0] & 0x80) ^ 0x80));
        auto res = t.add(dht::node_id(a), addr_of(i + 1), 1);
        added += res == dht::routing_table::add_result::added;
        full += res == dht::routing_table::add_result::row_full;
    }
    EXPECT_EQ(added, 20);
    EXPECT_EQ(full, 1);
    EXPECT_EQ(t.size(), 20u);
}

// Fills a table with random ids and ids near our own (deep rows), keeps
// `keep_pct` percent of them (sparse rows take the walk down other paths),
// and checks closest() against sorting every node by distance.
void check_closest_against_brute_force(std::uint64_t seed, unsigned keep_pct) {
    SCOPED_TRACE(testing::Message() << "seed=" << seed << " keep=" << keep_pct << "%");
    base::prng r(seed);
    auto self = random_id(r);
    dht::routing_table t(self, 20);
    std::vector<dht::node_id> all;
    for (std::uint32_t i = 0; i < 3000; ++i) {
        auto id = random_id(r);
        if (i % 3 == 0) {  // near us: our id with a random tail from a random depth on
            auto a = self.array();
            const std::size_t from = r.below(32);
            for (std::size_t b = from; b < 32; ++b) a[b] = static_cast<std::uint8_t>(r.below(256));
            id = dht::node_id(a);
        }
        if (t.add(id, addr_of(i), 1) == dht::routing_table::add_result::added) all.push_back(id);
    }
    std::vector<dht::node_id> kept;
    for (const auto& id : all) {
        if (r.below(100) < keep_pct) {
            kept.push_back(id);
        } else {
            ASSERT_TRUE(t.remove(id));
        }
    }
    // Some targets near our own id (deep rows), some random, one equal to ours.
    std::vector<dht::target> targets;
    for (int i = 0; i < 200; ++i) targets.push_back(dht::target(random_id(r).array()));
    for (int i = 0; i < 50; ++i) {
        auto a = self.array();
        a[31 - static_cast<std::size_t>(i % 30)] ^= static_cast<std::uint8_t>(1 + r.below(255));
        targets.push_back(dht::target(a));
    }
    targets.push_back(dht::to_target(self));
    for (const auto& tgt : targets) {
        for (std::size_t k : {1u, 5u, 20u, 64u}) {
            std::vector<std::uint32_t> out(k);
            out.resize(t.closest(tgt, out));
            auto expect = kept;
            std::sort(expect.begin(), expect.end(),
                      [&](const auto& a, const auto& b) { return dht::compare_distance(tgt, a, b) < 0; });
            expect.resize(std::min(k, expect.size()));
            ASSERT_EQ(out.size(), expect.size());
            for (std::size_t i = 0; i < out.size(); ++i) ASSERT_EQ(t.at(out[i]).id, expect[i]) << "rank " << i;
        }
    }
}

TEST(RoutingTable, ClosestIsExactXorOrderAgainstBruteForce) {
    for (std::uint64_t seed : {4242u, 7u, 99u}) {
        for (unsigned keep : {100u, 30u, 5u, 1u}) check_closest_against_brute_force(seed, keep);
    }
}

TEST(RoutingTable, RemoveAndRecencyListStayConsistent) {
    base::prng r(7);
    dht::routing_table t(random_id(r), 20);
    std::vector<dht::node_id> ids;
    for (std::uint32_t i = 0; i < 200; ++i) {
        auto id = random_id(r);
        if (t.add(id, addr_of(i), i) == dht::routing_table::add_result::added) ids.push_back(id);
    }
    // Oldest is the first added; touching moves to latest.
    EXPECT_EQ(t.at(t.oldest()).id, ids.front());
    t.touch(t.find(ids.front()));
    EXPECT_EQ(t.at(t.latest()).id, ids.front());
    for (std::size_t i = 0; i < ids.size(); i += 2) EXPECT_TRUE(t.remove(ids[i]));
    EXPECT_FALSE(t.remove(ids[0]));
    std::set<dht::node_id> listed;
    for (auto s = t.oldest(); s != dht::no_slot; s = t.at(s).next) listed.insert(t.at(s).id);
    EXPECT_EQ(listed.size(), t.size());
    for (std::size_t i = 1; i < ids.size(); i += 2) EXPECT_TRUE(listed.count(ids[i]));
}

TEST(RoutingTable, RekeyKeepsNodesThatStillFit) {
    base::prng r(9);
    dht::routing_table t(random_id(r), 20);
    for (std::uint32_t i = 0; i < 100; ++i) t.add(random_id(r), addr_of(i), 1);
    const auto before = t.size();
    auto dropped = t.rekey(random_id(r));
    EXPECT_EQ(t.size() + dropped.size(), before);
    EXPECT_GT(t.size(), 0u);
}

}  // namespace
