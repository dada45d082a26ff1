// dht/routing_table.h -- the Kademlia routing table (docs/protocol.md §2.8).
//
// 256 rows; a node goes in the row given by the first bit where its id
// differs from ours, and each row holds at most k (20) nodes. Only nodes with
// verified ids are ever added (the caller checks). Besides the rows, entries
// are kept on a recency list (oldest .. latest), the reference's
// time-ordered set, which drives liveness pings and the firewall check.
//
// closest() returns nodes in exact XOR order, which the reference does not
// (it walks rows d, d-1 .. 0, then d+1 ..); only the set matters to peers.
//
// Entries live in a slab and are named by a stable slot number until removed.
// Thread safety: owned by one shard.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "base/endpoint.h"
#include "base/random.h"
#include "base/slab.h"
#include "dht/types.h"

namespace dht {

inline constexpr std::uint32_t no_slot = UINT32_MAX;

struct table_entry {
    node_id id;
    base::endpoint addr;
    std::uint64_t prefix = 0;     // first 8 bytes of id, big-endian (fast XOR ordering)
    std::uint64_t added = 0;      // tick it was added
    std::uint64_t seen = 0;       // tick we last heard from it
    std::uint64_t pinged = 0;     // tick we last interacted with it
    std::uint64_t sampled = 0;    // tick its `to` field last fed the NAT sampler (0: never)
    std::uint64_t heard = 0;      // event counter value when last heard from (finer than ticks)
    std::uint64_t reached = 0;    // tick it last reached us itself (a response, or a request with its id); 0: never
    std::uint32_t down_hints = 0;
    std::uint32_t prev = no_slot, next = no_slot;  // recency list
    bool live = false;
};

class routing_table {
public:
    static constexpr int row_count = 256;

    explicit routing_table(const node_id& self, std::size_t k = 20);

    [[nodiscard]] const node_id& self() const noexcept { return _self; }
    [[nodiscard]] std::size_t k() const noexcept { return _k; }
    [[nodiscard]] std::size_t size() const noexcept { return _size; }

    enum class add_result : std::uint8_t { added, exists, row_full, is_self };
    // Adds id at addr. When the id is present its address is updated
    // (`exists`). When its row is full nothing changes (`row_full`): the
    // caller may ping the row's oldest and swap. The new entry is latest in
    // the recency list. `slot` (if given) receives the entry's slot.
    add_result add(const node_id& id, const base::endpoint& addr, std::uint64_t tick, std::uint32_t* slot = nullptr);
    bool remove(const node_id& id) noexcept;
    // The slot of id, or no_slot.
    [[nodiscard]] std::uint32_t find(const node_id& id) const noexcept;
    [[nodiscard]] table_entry& at(std::uint32_t slot) noexcept { return _slab[slot]; }
    [[nodiscard]] const table_entry& at(std::uint32_t slot) const noexcept { return _slab[slot]; }

    [[nodiscard]] int row_of(const node_id& id) const noexcept { return first_diff_bit(id, _self); }
    // Slots of a row, sorted by id.
    [[nodiscard]] std::span<const std::uint32_t> row(int i) const noexcept { return _rows[static_cast<std::size_t>(i)]; }

    // Recency list: touch() makes a slot the latest.
    void touch(std::uint32_t slot) noexcept;
    [[nodiscard]] std::uint32_t oldest() const noexcept { return _oldest; }
    [[nodiscard]] std::uint32_t latest() const noexcept { return _latest; }

    // Fills `out` with up to out.size() slots closest to t, nearest first.
    // Returns how many were written.
    std::size_t closest(const target& t, std::span<std::uint32_t> out) const noexcept;
    // A uniformly random entry's slot, or no_slot when empty.
    [[nodiscard]] std::uint32_t random(base::prng& rnd) const noexcept;

    // Every live slot, in row order.
    template <class F>
    void for_each(F&& fn) const {
        for (const auto& r : _rows)
            for (auto s : r) fn(_slab[s]);
    }

    // Switches to a new own id and re-inserts every node; nodes that no longer
    // fit (their new row is full) or that equal the new id are dropped.
    // Returns the ids dropped.
    std::vector<node_id> rekey(const node_id& new_self);

private:
    void list_unlink(std::uint32_t slot) noexcept;
    void list_push_latest(std::uint32_t slot) noexcept;
    [[nodiscard]] std::size_t row_search(const std::vector<std::uint32_t>& row, const node_id& id, bool& found) const noexcept;
    void collect_sorted(const target& t, std::uint64_t tprefix, const std::vector<std::uint32_t>& from,
                        std::vector<std::pair<std::uint64_t, std::uint32_t>>& into) const;

    node_id _self;
    std::size_t _k;
    std::size_t _size = 0;
    base::slab<table_entry> _slab;  // stable: callbacks may add nodes while a reference is held
    std::array<std::vector<std::uint32_t>, row_count> _rows;
    std::array<std::uint64_t, 4> _nonempty{};  // bitmap of non-empty rows
    std::uint32_t _oldest = no_slot, _latest = no_slot;
    // Scratch for closest(); mutable because closest() is logically const.
    mutable std::vector<std::pair<std::uint64_t, std::uint32_t>> _scratch;
};

// First 8 bytes of a 32-byte id as a big-endian integer.
template <class Id>
[[nodiscard]] inline std::uint64_t id_prefix(const Id& id) noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 8; ++i) v = v << 8 | id[i];
    return v;
}

}  // namespace dht
