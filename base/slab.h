// base/slab.h -- a chunked slab: stable 32-bit ids, a free list, and memory
// that grows by fixed chunks (no doubling spikes), so RSS tracks what is
// stored. Elements never move: a reference stays valid across allocations
// (unlike a vector's), until that element is freed. Thread safety: one owner.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace base {

template <class T, std::size_t ChunkBits = 10>
class slab {
public:
    static constexpr std::size_t chunk = std::size_t{1} << ChunkBits;

    // A fresh (value-initialised) element's id.
    [[nodiscard]] std::uint32_t alloc() {
        std::uint32_t id;
        if (!_free.empty()) {
            id = _free.back();
            _free.pop_back();
        } else {
            if (_next == _chunks.size() * chunk) _chunks.push_back(std::make_unique<T[]>(chunk));
            id = static_cast<std::uint32_t>(_next++);
        }
        (*this)[id] = T{};
        ++_live;
        return id;
    }
    void free(std::uint32_t id) {
        (*this)[id] = T{};
        _free.push_back(id);
        --_live;
    }
    // Like alloc()/free() but the element keeps its previous contents (e.g. a
    // generation counter, or a buffer's capacity); the caller resets it.
    [[nodiscard]] std::uint32_t alloc_keep() {
        std::uint32_t id;
        if (!_free.empty()) {
            id = _free.back();
            _free.pop_back();
        } else {
            if (_next == _chunks.size() * chunk) _chunks.push_back(std::make_unique<T[]>(chunk));
            id = static_cast<std::uint32_t>(_next++);
        }
        ++_live;
        return id;
    }
    void release_keep(std::uint32_t id) {
        _free.push_back(id);
        --_live;
    }
    [[nodiscard]] T& operator[](std::uint32_t id) noexcept { return _chunks[id >> ChunkBits][id & (chunk - 1)]; }
    [[nodiscard]] const T& operator[](std::uint32_t id) const noexcept { return _chunks[id >> ChunkBits][id & (chunk - 1)]; }
    [[nodiscard]] std::size_t size() const noexcept { return _live; }
    [[nodiscard]] std::size_t capacity() const noexcept { return _chunks.size() * chunk; }

private:
    std::vector<std::unique_ptr<T[]>> _chunks;
    std::vector<std::uint32_t> _free;
    std::size_t _next = 0;
    std::size_t _live = 0;
};

}  // namespace base
