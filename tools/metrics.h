// tools/metrics.h -- reading every metric the shards publish (base/metrics.h).
//
// Each shard publishes its blocks in the same order (the engine's first, then
// what its handlers registered), so shard 0's blocks name them all; a block
// type a shard lacks counts as zero there. Any thread; values are as of each
// shard's last publish, and exact once the engine stopped.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/metrics.h"
#include "engine/engine.h"

namespace tools {

// Calls f(def, shard, value) for every metric of every shard.
template <class F>
void for_each_metric(const engine::engine& e, F&& f) {
    for (std::uint16_t s = 0; s < e.shard_count(); ++s) {
        const engine::shard& sh = e.shard_at(s);
        for (std::size_t b = 0; b < sh.metric_blocks(); ++b) {
            const base::metrics::published& blk = sh.metric_block(b);
            for (std::size_t i = 0; i < blk.defs().size(); ++i) f(blk.defs()[i], s, blk.value(i));
        }
    }
}

// Calls f(name, sum over shards) for every metric, in shard 0's order.
template <class F>
void for_each_total(const engine::engine& e, F&& f) {
    if (e.shard_count() == 0) return;
    const engine::shard& first = e.shard_at(0);
    for (std::size_t b = 0; b < first.metric_blocks(); ++b) {
        const base::metrics::published& blk = first.metric_block(b);
        for (std::size_t i = 0; i < blk.defs().size(); ++i) {
            std::uint64_t sum = 0;
            for (std::uint16_t s = 0; s < e.shard_count(); ++s) {
                const engine::shard& sh = e.shard_at(s);
                for (std::size_t c = 0; c < sh.metric_blocks(); ++c) {
                    if (sh.metric_block(c).defs().data() == blk.defs().data()) sum += sh.metric_block(c).value(i);
                }
            }
            f(std::string_view(blk.defs()[i].name), sum);
        }
    }
}

}  // namespace tools
