// dht/table_keeper.h -- the routing table's upkeep (docs/protocol.md §2.8-§2.9).
//
// Its one job is to keep the table full of live nodes: it learns the nodes
// verified traffic comes from, swaps out dead ones when a row is full, checks
// nodes that are old or down-hinted, and refreshes the table with background
// queries. Only the primary keeps the authoritative table; on a secondary it
// hands what it hears to the replication part, which reports it to the primary.
// Every change goes to the replicas through the replication part.
//
// Thread safety: one shard's; every call comes from the node's entry points.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "base/endpoint.h"
#include "dht/detail/node_core.h"
#include "dht/ids.h"
#include "dht/types.h"

namespace dht {

class table_keeper {
public:
    explicit table_keeper(detail::node_core& c) noexcept : _c(c), _ctr(c._ctr) {}

    // A node we heard from (its id verified, or none): `to` is our address as it saw it.
    void node_from_network(bool sample, const base::endpoint& from, const std::optional<node_id>& id,
                           const base::endpoint& to) noexcept;
    // A node we were told about (bootstrap seeds; `nodes` option). Primary only.
    void add_node(const base::endpoint& addr);
    void remove_table_node(const node_id& id) noexcept;
    // A peer says `suspect` is down: check it (primary).
    void down_hinted(const base::endpoint& suspect) noexcept;
    // Table nodes that reached us themselves (answered a request of ours, or
    // sent one carrying their id) less than a minute (recent_node ticks) ago.
    [[nodiscard]] std::size_t reached_recently() const noexcept;
    // Up to out.size() closest table nodes to t.
    std::size_t closest_nodes(const target& t, std::span<base::endpoint> out) noexcept;

    // The tick's share: pings every 8th tick, the idle or under-full refresh.
    void ping_due() noexcept;
    void refresh_due() noexcept;
    void refresh() noexcept;
    void on_wakeup() noexcept { _refresh_ticks = 1; }
    // Delays the idle refresh by `ticks` (any user query does).
    void postpone_refresh(std::int64_t ticks) noexcept { _refresh_ticks = ticks; }

private:
    void add_table_node(const node_id& id, const base::endpoint& addr, std::optional<base::endpoint> to);
    void on_row_full(const node_id& id, const base::endpoint& addr);
    void check(std::uint32_t slot) noexcept;
    void ping_some() noexcept;

    detail::node_core& _c;
    dht::counters& _ctr;
    std::uint64_t _heard_seq = 0;  // counts messages from verified nodes (for "heard since")
    std::int64_t _refresh_ticks = 0;
    int _repinging = 0;
    int _checks = 0;
};

}  // namespace dht
