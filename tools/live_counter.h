// tools/live_counter.h -- a tool's own event counter that the tool's main
// thread reads while the shards run (shoal-load's per-second progress, the
// in-process network's injected losses).
//
// One writer (a shard); increments are a relaxed load + store (a plain add on
// x86, no lock prefix), reads relaxed loads. The node's own metrics use the
// counter facility of base/metrics.h instead, which keeps the shard's copy
// plain and publishes snapshots; the tools' counters are few, outside the
// node, and read every second, so they are simply read in place.
#pragma once

#include <atomic>
#include <cstdint>

namespace tools {

class live_counter {
public:
    void inc(std::uint64_t n = 1) noexcept { _v.store(_v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
    [[nodiscard]] std::uint64_t get() const noexcept { return _v.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> _v{0};
};

}  // namespace tools
