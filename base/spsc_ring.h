// base/spsc_ring.h -- a bounded single-producer single-consumer ring.
//
// The cross-shard queue (Seastar smp_message_queue): one ring per (from, to)
// shard pair. The producer fills slots in place (`reserve` + `commit`) and makes
// a batch visible with one release store (`publish`); the consumer takes what is
// visible (`consume`) and frees it with one release store. Head and tail live
// on separate cache lines, and each side caches the other's index so the shared
// line is read only when the cached view says full or empty.
//
// Thread safety: exactly one producer thread and one consumer thread. A full
// ring is back-pressure the producer must count; nothing ever blocks.
#pragma once

#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace base {

inline constexpr std::size_t cache_line = 64;

template <class T>
class spsc_ring {
public:
    // REQUIRES: capacity is a power of two >= 2.
    explicit spsc_ring(std::size_t capacity)
        : _mask(capacity - 1), _slots(std::make_unique<T[]>(capacity)) {
        assert(capacity >= 2 && (capacity & (capacity - 1)) == 0);
    }
    spsc_ring(const spsc_ring&) = delete;
    spsc_ring& operator=(const spsc_ring&) = delete;

    [[nodiscard]] std::size_t capacity() const noexcept { return _mask + 1; }

    // --- producer side ---------------------------------------------------
    // A free slot to fill, or nullptr when the ring is full. The slot is not
    // visible to the consumer until commit() and then publish().
    [[nodiscard]] T* reserve() noexcept {
        auto& p = _prod;
        if (p.tail - p.cached_head > _mask) {
            p.cached_head = _head.value.load(std::memory_order_acquire);
            if (p.tail - p.cached_head > _mask) return nullptr;
        }
        return &_slots[p.tail & _mask];
    }
    // Counts the slot returned by the last reserve() as written.
    void commit() noexcept { ++_prod.tail; }
    // Makes every committed slot visible. Returns how many became visible.
    std::size_t publish() noexcept {
        auto prev = _tail.value.load(std::memory_order_relaxed);
        if (prev == _prod.tail) return 0;
        _tail.value.store(_prod.tail, std::memory_order_release);
        return _prod.tail - prev;
    }
    [[nodiscard]] bool try_push(const T& v) noexcept {
        T* s = reserve();
        if (!s) return false;
        *s = v;
        commit();
        publish();
        return true;
    }

    // --- consumer side ---------------------------------------------------
    // Calls fn(T&) for up to `max` visible items in order, then releases them.
    // Returns the number consumed. fn must not call consume() on this ring.
    template <class F>
    std::size_t consume(F&& fn, std::size_t max = SIZE_MAX) noexcept {
        auto& c = _cons;
        std::size_t n = 0;
        while (n < max) {
            if (c.head == c.cached_tail) {
                c.cached_tail = _tail.value.load(std::memory_order_acquire);
                if (c.head == c.cached_tail) break;
            }
            fn(_slots[c.head & _mask]);
            ++c.head;
            ++n;
        }
        if (n) _head.value.store(c.head, std::memory_order_release);
        return n;
    }
    // True when the consumer would find nothing (reads the shared index).
    // Producer side: the items committed and not yet consumed, as of the
    // consumer's last release (a relaxed load; it may lag, never lead).
    [[nodiscard]] std::size_t producer_depth() const noexcept {
        return _prod.tail - _head.value.load(std::memory_order_relaxed);
    }
    [[nodiscard]] bool empty_for_consumer() const noexcept {
        return _tail.value.load(std::memory_order_acquire) == _cons.head;
    }

private:
    struct alignas(cache_line) index {
        std::atomic<std::size_t> value{0};
    };
    struct alignas(cache_line) producer_state {
        std::size_t tail = 0;         // next slot to write (committed count)
        std::size_t cached_head = 0;  // last head seen
    };
    struct alignas(cache_line) consumer_state {
        std::size_t head = 0;         // next slot to read
        std::size_t cached_tail = 0;  // last tail seen
    };

    const std::size_t _mask;
    std::unique_ptr<T[]> _slots;
    index _head;  // written by the consumer
    index _tail;  // written by the producer
    producer_state _prod;
    consumer_state _cons;
};

}  // namespace base
