#include "base/timer_wheel.h"

#include <bit>
#include <cassert>

namespace base {

timer_wheel::timer_wheel(mono_time start, nanoseconds resolution)
    : _origin_ns(to_ns(start)), _res_ns(resolution.count() > 0 ? resolution.count() : 1) {}

std::uint64_t timer_wheel::tick_ceil(mono_time t) const noexcept {
    std::int64_t ns = to_ns(t) - _origin_ns;
    if (ns <= 0) return 0;
    return static_cast<std::uint64_t>((ns + _res_ns - 1) / _res_ns);
}

timer_handle timer_wheel::schedule(mono_time deadline, std::uint64_t cookie) {
    std::uint32_t i;
    if (!_free.empty()) {
        i = _free.back();
        _free.pop_back();
    } else {
        i = static_cast<std::uint32_t>(_nodes.size());
        _nodes.emplace_back();
    }
    node& n = _nodes[i];
    std::uint64_t t = tick_ceil(deadline);
    n.tick = t > _cur ? t : _cur + 1;
    n.cookie = cookie;
    place(i);
    ++_armed;
    return {i, n.generation};
}

bool timer_wheel::armed(timer_handle h) const noexcept {
    return h.index < _nodes.size() && _nodes[h.index].generation == h.generation && _nodes[h.index].level >= 0;
}

bool timer_wheel::cancel(timer_handle h) noexcept {
    if (!armed(h)) return false;
    unlink(h.index);
    release(h.index);
    return true;
}

void timer_wheel::release(std::uint32_t i) noexcept {
    node& n = _nodes[i];
    n.level = -1;
    ++n.generation;
    _free.push_back(i);
    --_armed;
}

// Puts node i in the lowest level whose window it shares with _cur.
void timer_wheel::place(std::uint32_t i) noexcept {
    const std::uint64_t t = _nodes[i].tick;
    for (int l = 0; l < levels; ++l) {
        const int shift = 8 * (l + 1);
        if ((t >> shift) == (_cur >> shift)) {
            link(i, l, static_cast<std::uint8_t>((t >> (8 * l)) & 255));
            return;
        }
    }
    link(i, levels, 0);
}

void timer_wheel::link(std::uint32_t i, int level, std::uint8_t slot) noexcept {
    node& n = _nodes[i];
    n.level = static_cast<std::int16_t>(level);
    n.slot = slot;
    slot_list& list = level < levels ? _levels[level].slots[slot] : _overflow;
    n.prev = list.tail;
    n.next = nil;
    if (list.tail != nil) {
        _nodes[list.tail].next = i;
    } else {
        list.head = i;
    }
    list.tail = i;
    if (level < levels) _levels[level].bitmap[slot >> 6] |= std::uint64_t{1} << (slot & 63);
}

void timer_wheel::unlink(std::uint32_t i) noexcept {
    node& n = _nodes[i];
    assert(n.level >= 0);
    slot_list& list = n.level < levels ? _levels[n.level].slots[n.slot] : _overflow;
    if (n.prev != nil) {
        _nodes[n.prev].next = n.next;
    } else {
        list.head = n.next;
    }
    if (n.next != nil) {
        _nodes[n.next].prev = n.prev;
    } else {
        list.tail = n.prev;
    }
    if (list.head == nil && n.level < levels) {
        _levels[n.level].bitmap[n.slot >> 6] &= ~(std::uint64_t{1} << (n.slot & 63));
    }
    n.prev = n.next = nil;
}

// Called with _cur == window_start (a multiple of 256): moves the timers of the
// higher-level slots that this tick enters down to where they now belong.
void timer_wheel::cascade_into(std::uint64_t window_start) noexcept {
    int top = 1;
    while (top < levels && ((window_start >> (8 * top)) & 255) == 0) ++top;
    // Re-place from the highest level touched down to level 1, so timers that
    // drop from level 3 to 2 are cascaded again in the same step when needed.
    auto move_list = [&](slot_list& list) {
        std::uint32_t i = list.head;
        list = slot_list{};
        while (i != nil) {
            std::uint32_t next = _nodes[i].next;
            _nodes[i].prev = _nodes[i].next = nil;
            place(i);
            i = next;
        }
    };
    if (top == levels) move_list(_overflow);
    for (int l = (top < levels ? top : levels - 1); l >= 1; --l) {
        auto slot = static_cast<std::uint8_t>((window_start >> (8 * l)) & 255);
        auto& lv = _levels[l];
        lv.bitmap[slot >> 6] &= ~(std::uint64_t{1} << (slot & 63));
        move_list(lv.slots[slot]);
    }
}

int timer_wheel::next_set(int level, int from) const noexcept {
    const auto& bm = _levels[level].bitmap;
    for (int w = from >> 6; w < 4; ++w) {
        std::uint64_t bits = bm[w];
        if (w == (from >> 6)) bits &= ~std::uint64_t{0} << (from & 63);
        if (bits) return w * 64 + std::countr_zero(bits);
    }
    return 256;
}

// The first tick after _cur at which something happens: a level-0 slot fires,
// or a higher-level slot (or the overflow list) must cascade down. Empty
// windows in between are skipped; UINT64_MAX when nothing is armed.
std::uint64_t timer_wheel::next_event_tick() const noexcept {
    if (_armed == 0) return UINT64_MAX;
    for (int l = 0; l < levels; ++l) {
        const int shift = 8 * l;
        const int nb = next_set(l, static_cast<int>((_cur >> shift) & 255) + 1);
        if (nb < 256) {
            const std::uint64_t window = (_cur >> (shift + 8)) << (shift + 8);
            return window + (static_cast<std::uint64_t>(nb) << shift);
        }
    }
    return ((_cur >> 32) + 1) << 32;
}

std::optional<mono_time> timer_wheel::next_deadline() const noexcept {
    if (_armed == 0) return std::nullopt;
    const std::uint64_t tick = next_event_tick();
    return from_ns(_origin_ns + static_cast<std::int64_t>(tick) * _res_ns);
}

}  // namespace base
