#include "base/timer_wheel.h"

#include <benchmark/benchmark.h>

#include <vector>

#include "base/random.h"

namespace {

using namespace std::chrono_literals;

// Schedule then cancel: the common case for request timeouts answered in time.
void BM_TimerWheel_ScheduleCancel(benchmark::State& state) {
    auto t0 = base::mono_clock::now();
    base::timer_wheel w(t0);
    std::vector<base::timer_handle> hs(static_cast<std::size_t>(state.range(0)));
    base::prng rnd(1);
    for (auto& h : hs) h = w.schedule(t0 + std::chrono::milliseconds(rnd.below(10000)), 1);
    std::size_t i = 0;
    for (auto _ : state) {
        w.cancel(hs[i]);
        hs[i] = w.schedule(t0 + std::chrono::milliseconds(1 + rnd.below(10000)), 1);
        i = (i + 1) % hs.size();
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TimerWheel_ScheduleCancel)->Arg(1000)->Arg(100000);

// Steady state: timers with 1 s deadlines expire while time advances 100 us per step.
void BM_TimerWheel_AdvanceAndFire(benchmark::State& state) {
    auto now = base::mono_clock::now();
    base::timer_wheel w(now);
    const auto per_step = state.range(0);
    std::uint64_t fired = 0;
    for (auto _ : state) {
        for (std::int64_t k = 0; k < per_step; ++k) w.schedule(now + 1s, 1);
        now += 100us;
        fired += w.advance(now, [](std::uint64_t c) { benchmark::DoNotOptimize(c); });
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(fired));
}
BENCHMARK(BM_TimerWheel_AdvanceAndFire)->Arg(1)->Arg(64);

}  // namespace
