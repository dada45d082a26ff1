#include "base/spsc_ring.h"

#include <benchmark/benchmark.h>

#include <thread>

namespace {

struct msg {
    std::uint64_t a, b, c, d;
};

// One thread: reserve/commit a batch, publish once, consume it.
void BM_SpscRing_SameThreadBatch(benchmark::State& state) {
    base::spsc_ring<msg> r(256);
    const auto batch = static_cast<int>(state.range(0));
    for (auto _ : state) {
        for (int i = 0; i < batch; ++i) {
            msg* m = r.reserve();
            m->a = static_cast<std::uint64_t>(i);
            r.commit();
        }
        r.publish();
        std::uint64_t sum = 0;
        r.consume([&](msg& m) { sum += m.a; });
        benchmark::DoNotOptimize(sum);
    }
    state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_SpscRing_SameThreadBatch)->Arg(1)->Arg(16)->Arg(128);

// Producer and consumer on two threads (the cross-core case), batches of 16.
void BM_SpscRing_CrossThread(benchmark::State& state) {
    base::spsc_ring<msg> r(256);
    std::atomic<bool> stop{false};
    std::uint64_t consumed = 0;
    std::thread consumer([&] {
        while (!stop.load(std::memory_order_relaxed)) {
            consumed += r.consume([](msg& m) { benchmark::DoNotOptimize(m.a); });
        }
    });
    std::uint64_t produced = 0;
    for (auto _ : state) {
        int n = 0;
        for (; n < 16; ++n) {
            msg* m = r.reserve();
            if (!m) break;
            m->a = produced + static_cast<std::uint64_t>(n);
            r.commit();
        }
        r.publish();
        produced += static_cast<std::uint64_t>(n);
    }
    stop = true;
    consumer.join();
    state.SetItemsProcessed(static_cast<std::int64_t>(produced));
}
BENCHMARK(BM_SpscRing_CrossThread)->UseRealTime();

}  // namespace
