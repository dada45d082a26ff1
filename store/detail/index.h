// store/detail/index.h -- an open-addressing hash index from keys to 32-bit
// ids. It stores only (hash fragment, id) pairs; the key lives with the
// entry, and the caller supplies `eq(id)` to compare and `rehash(id)` to
// re-insert when the table grows. Linear probing, tombstones, kept below 3/4
// full. Hashes must be seeded (peers choose the keys). Thread safety: one owner.
#pragma once

#include <cstdint>
#include <vector>

namespace store::detail {

class id_index {
public:
    static constexpr std::uint32_t none = UINT32_MAX;

    // The id whose key matches, or none.
    template <class Eq>
    [[nodiscard]] std::uint32_t find(std::uint64_t h, Eq&& eq) const noexcept {
        if (_slots.empty()) return none;
        const auto tag = tag_of(h);
        for (std::size_t i = h & _mask;; i = (i + 1) & _mask) {
            const slot& s = _slots[i];
            if (s.id == empty) return none;
            if (s.id != tomb && s.tag == tag && eq(s.id)) return s.id;
        }
    }
    // Adds id under h. REQUIRES: no entry with an equal key is present.
    template <class Rehash>
    void insert(std::uint64_t h, std::uint32_t id, Rehash&& rehash) {
        if ((_used + _tombs + 1) * 4 > _slots.size() * 3) grow(rehash);
        place(h, id);
        ++_used;
    }
    // Removes the entry for id (found through h). Returns false if absent.
    bool erase(std::uint64_t h, std::uint32_t id) noexcept {
        if (_slots.empty()) return false;
        for (std::size_t i = h & _mask;; i = (i + 1) & _mask) {
            slot& s = _slots[i];
            if (s.id == empty) return false;
            if (s.id == id) {
                s.id = tomb;
                --_used;
                ++_tombs;
                return true;
            }
        }
    }
    [[nodiscard]] std::size_t size() const noexcept { return _used; }
    [[nodiscard]] std::size_t bytes() const noexcept { return _slots.capacity() * sizeof(slot); }

private:
    static constexpr std::uint32_t empty = UINT32_MAX;
    static constexpr std::uint32_t tomb = UINT32_MAX - 1;
    struct slot {
        std::uint32_t tag = 0;
        std::uint32_t id = empty;
    };
    static std::uint32_t tag_of(std::uint64_t h) noexcept { return static_cast<std::uint32_t>(h >> 32); }

    void place(std::uint64_t h, std::uint32_t id) noexcept {
        for (std::size_t i = h & _mask;; i = (i + 1) & _mask) {
            slot& s = _slots[i];
            if (s.id == empty || s.id == tomb) {
                if (s.id == tomb) --_tombs;
                s = {tag_of(h), id};
                return;
            }
        }
    }
    template <class Rehash>
    void grow(Rehash& rehash) {
        // Half full after growing; the next grow comes at 3/4.
        std::size_t n = 16;
        while (n < (_used + 1) * 2) n <<= 1;
        std::vector<slot> old;
        old.swap(_slots);
        _slots.assign(n, slot{});
        _mask = n - 1;
        _tombs = 0;
        for (const auto& s : old) {
            if (s.id != empty && s.id != tomb) place(rehash(s.id), s.id);
        }
    }

    std::vector<slot> _slots;
    std::size_t _mask = 0;
    std::size_t _used = 0;
    std::size_t _tombs = 0;
};

}  // namespace store::detail
