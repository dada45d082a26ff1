// store/detail/expiry_wheel.h -- which entries of one kind expire when: a
// timing wheel of slab ids, one doubly-linked list per bucket.
//
// Every linked id is in exactly one bucket, so the memory it holds is 12
// bytes per slab slot (in chunks of 1024) plus 8 per bucket, whatever the
// sequence of writes, removals and re-creations (docs/store_format.md,
// "Expiry"). Removing an entry unlinks it at once; nothing stale is left.
//
// A bucket spans `width` seconds; width = ceil(ttl / 4096), so lifetimes up
// to 4096 s are kept to the second and a 48 h one to 43 s. An entry is
// popped by the first pop_due() at or after the end of its bucket: at most
// width - 1 seconds after its expiry. The buckets run from the first not yet
// popped to the latest expiry linked: about ttl / width + 1 of them while
// pop_due() runs every second, more (8 bytes each) if it does not.
//
// Thread safety: owned by one shard, like the store.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

namespace store::detail {

class expiry_wheel {
public:
    static constexpr std::uint32_t none = UINT32_MAX;

    explicit expiry_wheel(std::uint32_t ttl_s) : _width(std::max<std::uint32_t>(1, (ttl_s + 4095) / 4096)) {}

    // Links id under `expiry` (seconds). An expiry whose bucket has already
    // passed goes to the next one due. REQUIRES: id is not linked.
    void link(std::uint32_t id, std::uint32_t expiry) {
        while (id >= _chunks.size() * chunk) _chunks.push_back(std::make_unique<links[]>(chunk));
        const std::uint32_t b = std::max(expiry / _width, _done);
        if (b - _done >= _buckets.size()) _buckets.resize(std::size_t{b - _done} + 1);
        bucket& k = _buckets[b - _done];
        links& l = at(id);
        l.abs = b;
        l.prev = k.tail;
        l.next = none;
        if (k.tail != none) {
            at(k.tail).next = id;
        } else {
            k.head = id;
        }
        k.tail = id;
        _scan = std::min(_scan, b);
        ++_size;
    }
    // REQUIRES: id is linked.
    void unlink(std::uint32_t id) noexcept {
        const links& l = at(id);
        bucket& k = _buckets[l.abs - _done];
        if (l.prev != none) {
            at(l.prev).next = l.next;
        } else {
            k.head = l.next;
        }
        if (l.next != none) {
            at(l.next).prev = l.prev;
        } else {
            k.tail = l.prev;
        }
        --_size;
    }
    void relink(std::uint32_t id, std::uint32_t expiry) {
        unlink(id);
        link(id, expiry);
    }

    // Calls remove(id) for every id whose bucket has ended by `now_s`, in
    // expiry order; remove must unlink it. Returns how many were removed.
    template <class Remove>
    std::uint64_t pop_due(std::uint32_t now_s, Remove&& remove) {
        const std::uint32_t limit = (now_s + 1) / _width;  // buckets below this have ended
        std::uint64_t removed = 0;
        while (_done < limit && !_buckets.empty()) {
            while (_buckets.front().head != none) {
                remove(_buckets.front().head);
                ++removed;
            }
            _buckets.pop_front();
            ++_done;
        }
        _done = std::max(_done, limit);
        _scan = std::max(_scan, _done);
        return removed;
    }

    // The entry closest to expiry: the first linked in the earliest non-empty
    // bucket (a bucket keeps link order), or none.
    [[nodiscard]] std::uint32_t earliest() noexcept {
        if (_size == 0) return none;
        for (; _scan - _done < _buckets.size(); ++_scan) {
            const std::uint32_t head = _buckets[_scan - _done].head;
            if (head != none) return head;
        }
        return none;  // unreachable while _size > 0
    }

    [[nodiscard]] std::size_t size() const noexcept { return _size; }

private:
    struct bucket {
        std::uint32_t head = none, tail = none;
    };
    // Per slab id, in chunks like the slab's own, so the memory tracks the
    // slab's high-water mark instead of a vector's doubling.
    struct links {
        std::uint32_t next = none, prev = none, abs = 0;
    };
    static constexpr std::size_t chunk = 1024;
    [[nodiscard]] links& at(std::uint32_t id) noexcept { return _chunks[id / chunk][id % chunk]; }

    std::uint32_t _width;
    std::deque<bucket> _buckets;  // _buckets[i] holds the ids of absolute bucket _done + i
    std::vector<std::unique_ptr<links[]>> _chunks;
    std::uint32_t _done = 0;  // absolute number of the first bucket not yet popped
    std::uint32_t _scan = 0;  // no bucket in [_done, _scan) holds an id
    std::size_t _size = 0;
};

}  // namespace store::detail
