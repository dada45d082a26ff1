// dht/nat_sampler.h -- learns our public address from the `to` fields peers
// report (docs/protocol.md §2.10; the reference's nat-sampler).
//
// The last 16 samples are kept; each contributes a (host, port) entry and a
// (host, any port) entry. A sample equal to one of the last 4 of its kind adds
// a hit to that entry, otherwise it starts a new one; an entry loses a hit
// when its sample leaves the window. With size samples seen (at most 16), the
// threshold is size - (size<4 ? 0 : size<8 ? 1 : size<12 ? 2 : 3). If the best
// (host, port) reaches it, that is our address; if only the best host does,
// the host with port 0 (a NAT that randomises ports); otherwise unknown.
// Thread safety: owned by one shard.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "base/endpoint.h"

namespace dht {

class nat_sampler {
public:
    void add(const base::endpoint& to) noexcept;

    // Our public host (port 0 when randomised), or nullopt while unknown.
    [[nodiscard]] std::optional<base::endpoint> address() const noexcept { return _result; }
    [[nodiscard]] std::size_t size() const noexcept { return _size; }

private:
    struct entry {
        base::endpoint addr;  // port 0 for the host-only kind
        std::uint32_t hits = 0;
        bool used = false;
    };
    // Returns the index of the entry for `addr` among the last four of its
    // kind, bumping it, or a fresh entry index.
    std::size_t bump(const base::endpoint& addr, std::size_t kind) noexcept;

    static constexpr std::size_t window = 32;  // 16 samples x 2 kinds
    std::array<std::size_t, window> _ring{};   // ring position -> entry index
    std::array<entry, window * 2> _entries{};  // entry pool (reused)
    std::size_t _top = 0;
    std::size_t _filled = 0;
    std::size_t _size = 0;
    std::size_t _threshold = 0;
    std::size_t _best_a = SIZE_MAX, _best_b = SIZE_MAX;
    std::optional<base::endpoint> _result;
};

}  // namespace dht
