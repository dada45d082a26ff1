// closest(target, 20) on a routing table, against sorting every node by
// distance (what a table without row structure would do).
#include "dht/routing_table.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <vector>

#include "base/random.h"

namespace {

dht::node_id random_id(base::prng& r) {
    std::array<std::uint8_t, 32> a;
    for (auto& b : a) b = static_cast<std::uint8_t>(r());
    return dht::node_id(a);
}

// A table like a busy node's: rows 0..15 offered plenty of ids (about 320
// fit), of which keep_pct percent then stay -- rows with fewer than k nodes
// make the walk go past the target's row.
struct fixture {
    base::prng rnd{42};
    dht::routing_table table;
    std::vector<dht::node_id> ids;
    std::vector<dht::target> targets;
    explicit fixture(unsigned keep_pct) : table(random_id(rnd)) {
        std::vector<dht::node_id> added;
        const auto self = table.self();
        for (std::uint32_t i = 0; i < 6000; ++i) {
            // Our id up to bit `row`, that bit flipped, the rest random: lands in row `row`.
            auto a = random_id(rnd).array();
            const auto row = static_cast<std::size_t>(rnd.below(16));
            for (std::size_t b = 0; b < row; ++b) {
                const std::uint8_t mask = static_cast<std::uint8_t>(0x80 >> (b & 7));
                a[b >> 3] = static_cast<std::uint8_t>((a[b >> 3] & ~mask) | (self[b >> 3] & mask));
            }
            const std::uint8_t mask = static_cast<std::uint8_t>(0x80 >> (row & 7));
            a[row >> 3] = static_cast<std::uint8_t>((a[row >> 3] & ~mask) | (~self[row >> 3] & mask));
            const dht::node_id id(a);
            const auto at = base::endpoint::v4(10, 0, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i), 1);
            if (table.add(id, at, 1) == dht::routing_table::add_result::added) added.push_back(id);
        }
        for (const auto& id : added) {
            if (rnd.below(100) < keep_pct) {
                ids.push_back(id);
            } else {
                table.remove(id);
            }
        }
        for (int i = 0; i < 1024; ++i) targets.push_back(dht::target(random_id(rnd).array()));
    }
};

void BM_RoutingTable_Closest20(benchmark::State& state) {
    fixture f(static_cast<unsigned>(state.range(0)));
    std::array<std::uint32_t, 20> out;
    std::size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(f.table.closest(f.targets[i++ & 1023], out));
    }
    state.counters["nodes"] = static_cast<double>(f.table.size());
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RoutingTable_Closest20)->Arg(100)->Arg(50)->Arg(20);

void BM_RoutingTable_SortAll20(benchmark::State& state) {
    fixture f(static_cast<unsigned>(state.range(0)));
    std::vector<dht::node_id> v;
    std::size_t i = 0;
    for (auto _ : state) {
        const auto& t = f.targets[i++ & 1023];
        v = f.ids;
        std::partial_sort(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(20, v.size())), v.end(),
                          [&](const auto& a, const auto& b) { return dht::compare_distance(t, a, b) < 0; });
        benchmark::DoNotOptimize(v.data());
    }
    state.counters["nodes"] = static_cast<double>(f.ids.size());
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RoutingTable_SortAll20)->Arg(100)->Arg(50)->Arg(20);

}  // namespace
