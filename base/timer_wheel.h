// base/timer_wheel.h -- a hierarchical timing wheel with O(1) schedule/cancel.
//
// Four levels of 256 slots over ticks of `resolution` (default 2^16 ns, about
// 65.5 us): level 0 spans ~16.8 ms, level 1 ~4.3 s, level 2 ~18.3 min and
// level 3 ~78 h; later deadlines wait in an overflow list. A timer lives in the
// level whose window (the tick's high bits) it shares with the current tick, and
// moves down when the wheel crosses into its window (Varghese & Lauck).
//
// Timers never fire early: a deadline is rounded up to whole ticks, and a timer
// fires on the first advance() whose `now` reaches that tick, so at most one
// tick plus the caller's loop latency late. A timer scheduled at or before the
// current tick fires on the next tick, never inside the advance() that is
// running, so a callback that re-arms itself cannot spin.
//
// Thread safety: owned by one shard; not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "base/time.h"

namespace base {

struct timer_handle {
    std::uint32_t index = UINT32_MAX;
    std::uint32_t generation = 0;
    [[nodiscard]] bool valid() const noexcept { return index != UINT32_MAX; }
};

class timer_wheel {
public:
    explicit timer_wheel(mono_time start, nanoseconds resolution = nanoseconds(1 << 16));

    // Arms a timer that will report `cookie` at or after `deadline`.
    timer_handle schedule(mono_time deadline, std::uint64_t cookie);
    // Disarms a timer. Returns false if it already fired or was cancelled.
    bool cancel(timer_handle h) noexcept;
    [[nodiscard]] bool armed(timer_handle h) const noexcept;

    // Fires every timer whose tick is <= the tick of `now`, calling fn(cookie)
    // in deadline-tick order (insertion order within a tick). fn may schedule
    // and cancel timers. Returns the number fired.
    template <class F>
    std::size_t advance(mono_time now, F&& fn);

    // A time at or before the earliest armed deadline (exact when that timer
    // sits in level 0), or nullopt when nothing is armed. For poll timeouts.
    [[nodiscard]] std::optional<mono_time> next_deadline() const noexcept;
    [[nodiscard]] std::size_t size() const noexcept { return _armed; }

private:
    static constexpr int levels = 4;
    static constexpr std::uint32_t nil = UINT32_MAX;
    struct node {
        std::uint64_t tick = 0;
        std::uint64_t cookie = 0;
        std::uint32_t prev = nil, next = nil;
        std::uint32_t generation = 0;
        std::int16_t level = -1;  // -1 free, 0..3 wheel level, 4 overflow
        std::uint8_t slot = 0;
    };
    struct slot_list {
        std::uint32_t head = nil, tail = nil;
    };
    struct level_state {
        std::array<slot_list, 256> slots{};
        std::array<std::uint64_t, 4> bitmap{};  // which slots are non-empty
    };

    [[nodiscard]] std::uint64_t tick_ceil(mono_time t) const noexcept;
    void place(std::uint32_t i) noexcept;
    void link(std::uint32_t i, int level, std::uint8_t slot) noexcept;
    void unlink(std::uint32_t i) noexcept;
    void release(std::uint32_t i) noexcept;
    void cascade_into(std::uint64_t window_start) noexcept;
    [[nodiscard]] int next_set(int level, int from) const noexcept;
    [[nodiscard]] std::uint64_t next_event_tick() const noexcept;
    template <class F>
    std::size_t fire_slot(std::uint8_t slot, F& fn);

    std::int64_t _origin_ns;
    std::int64_t _res_ns;
    std::uint64_t _cur = 0;  // the last tick processed
    std::size_t _armed = 0;
    std::vector<node> _nodes;
    std::vector<std::uint32_t> _free;
    std::array<level_state, levels> _levels{};
    slot_list _overflow{};
};

template <class F>
std::size_t timer_wheel::fire_slot(std::uint8_t slot, F& fn) {
    std::size_t fired = 0;
    auto& list = _levels[0].slots[slot];
    while (list.head != nil) {
        std::uint32_t i = list.head;
        std::uint64_t cookie = _nodes[i].cookie;
        unlink(i);
        release(i);
        ++fired;
        fn(cookie);
    }
    return fired;
}

template <class F>
std::size_t timer_wheel::advance(mono_time now, F&& fn) {
    std::int64_t ns = to_ns(now) - _origin_ns;
    if (ns < 0) return 0;
    const std::uint64_t target = static_cast<std::uint64_t>(ns / _res_ns);
    std::size_t fired = 0;
    while (_cur < target) {
        const std::uint64_t next = next_event_tick();
        if (next > target) {
            _cur = target;
            break;
        }
        _cur = next;
        if ((next & 255) == 0) cascade_into(next);
        fired += fire_slot(static_cast<std::uint8_t>(next & 255), fn);
    }
    return fired;
}

}  // namespace base
