// dht/replication.h -- keeping the other shards' routing-table replicas and
// identity in step with the primary, and reporting what secondaries hear back
// to it.
//
// Its one job is the cross-shard table traffic. Deltas (table_add/
// table_remove, batched addr4 lists) follow every change; every
// replica_sync_ticks (1 min) and on every identity change the primary also
// sends a full sync that the replica builds aside and swaps in, so a delta lost
// to a full ring heals within a minute. The identity (persistent or not,
// firewalled, the id) goes out on every change, again at the next tick to a
// shard whose ring was full, and inside every full sync's first message: a
// replica never stays on a stale identity for more than a minute.
//
// Thread safety: one shard's; every call comes from the node's entry points.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>

#include "base/endpoint.h"
#include "dht/detail/node_core.h"
#include "dht/routing_table.h"

namespace dht {

class replication {
public:
    explicit replication(detail::node_core& c) noexcept : _c(c) {}

    // Primary: a table change to every replica.
    void broadcast_table(std::uint32_t type, const base::endpoint& addr) noexcept;
    // Primary: the identity and a full sync to every replica.
    void broadcast_identity() noexcept;
    // Primary, every replica_sync_ticks: a full sync.
    void sync_due() noexcept;
    // Secondary: tells the primary about a node it heard from (once a tick).
    void report_to_primary(bool sample, const base::endpoint& from, bool has_id, const base::endpoint& to) noexcept;
    // A new tick: forget this tick's reports; resend an identity a ring refused.
    void new_tick() noexcept;
    // Handles a table or identity message; false if `type` is not one.
    bool on_message(std::uint32_t type, std::span<const std::byte> payload) noexcept;

private:
    [[nodiscard]] std::array<std::byte, 33> identity_message() const noexcept;
    void send_identity() noexcept;
    void apply_identity(std::span<const std::byte> payload) noexcept;
    void sync_replicas() noexcept;
    void apply_table_message(std::uint32_t type, std::span<const std::byte> payload) noexcept;

    detail::node_core& _c;
    // Secondaries: endpoints already reported to the primary this tick, and
    // the table being rebuilt by a sync from the primary.
    std::unordered_map<std::uint64_t, std::uint64_t> _reported;
    std::unique_ptr<routing_table> _staging;
    bool _identity_resend = false;  // a secondary missed the last identity message
};

}  // namespace dht
