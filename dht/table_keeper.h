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

#include <algorithm>
#include <array>
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
    // The idle refresh's period, as set (routine::refresh).
    [[nodiscard]] std::int64_t refresh_period() const noexcept {
        return _routines[1].every_ticks ? _routines[1].every_ticks : default_refresh_ticks;
    }
    // A re-timed refresh counts down from its new period at most.
    void set_routine(routine r, routine_setting s) noexcept {
        _routines[static_cast<std::size_t>(r)] = s;
        if (r == routine::refresh && s.every_ticks) _refresh_ticks = std::min<std::int64_t>(_refresh_ticks, s.every_ticks);
    }
    [[nodiscard]] routine_setting routine_of(routine r) const noexcept { return _routines[static_cast<std::size_t>(r)]; }
    // The tick a routine last ran (0: never).
    [[nodiscard]] std::uint64_t ran(routine r) const noexcept { return _ran[static_cast<std::size_t>(r)]; }

private:
    void add_table_node(const node_id& id, const base::endpoint& addr, std::optional<base::endpoint> to);
    void on_row_full(const node_id& id, const base::endpoint& addr);
    void check(std::uint32_t slot) noexcept;
    void ping_some() noexcept;

    detail::node_core& _c;
    dht::counters& _ctr;
    std::uint64_t _heard_seq = 0;  // counts messages from verified nodes (for "heard since")
    std::int64_t _refresh_ticks = 0;
    std::array<routine_setting, static_cast<std::size_t>(routine::count_)> _routines{};
    std::array<std::uint64_t, static_cast<std::size_t>(routine::count_)> _ran{};
    int _repinging = 0;
    int _checks = 0;
};

}  // namespace dht
