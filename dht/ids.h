// dht/ids.h -- node ids: id = H(addr4(public ip, port)) (docs/protocol.md §2.3).
//
// Ids are never taken from the wire except to be checked against the sender's
// address; a node computes the id of every node it learns about itself.
// `id_cache` memoises the hash for recently seen endpoints (a BLAKE2b costs
// more than the rest of a FIND_NODE). Thread safety: id_of is pure; an
// id_cache belongs to one shard.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "base/endpoint.h"
#include "dht/types.h"

namespace dht {

// H(addr4(e)). REQUIRES: e.is_v4().
[[nodiscard]] node_id id_of(const base::endpoint& e) noexcept;

// A direct-mapped cache of endpoint -> id. Entries are overwritten on
// collision; a miss costs one hash.
class id_cache {
public:
    explicit id_cache(std::size_t slots = 4096);
    [[nodiscard]] const node_id& get(const base::endpoint& e) noexcept;
    // The id when `claimed` equals H(e), else nullopt (the id is then treated as absent).
    [[nodiscard]] std::optional<node_id> validate(const node_id& claimed, const base::endpoint& e) noexcept {
        const node_id& expect = get(e);
        if (expect == claimed) return expect;
        return std::nullopt;
    }

private:
    struct entry {
        std::uint64_t key = ~std::uint64_t{0};
        node_id id;
    };
    std::vector<entry> _slots;
    std::uint64_t _mask;
};

}  // namespace dht
