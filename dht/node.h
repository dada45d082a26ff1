// dht/node.h -- a dht-rpc node, sans I/O (docs/protocol.md §2).
//
// Feed it datagrams (bytes, source, socket, now), cross-shard messages and
// timer expiries; it answers through dht::host and asks to be woken at
// next_deadline(). It never touches sockets or clocks.
//
// Sharding: a process runs one node per shard, all with the same identity.
// Shard 0, the primary, owns the authoritative routing table, the NAT
// sampler, bootstrap, maintenance and the persistence state machine. The
// others keep a replica of the table (fed by table_add/table_remove
// messages), serve requests from it, and report the nodes they hear from to
// the primary (at most once per node per tick). Token secrets derive from a
// shared master key, so any shard accepts a token any shard issued.
//
// The node is thin: it owns the shared core (dht/detail/node_core.h) and five
// parts with one job each, and routes its entry points to them:
//   request_server  the requests that reach this shard, and every reply
//   outgoing        our requests and queries, and the responses to them
//   identity        bootstrap, NAT, firewall test, persistence (a state machine)
//   table_keeper    the routing table's upkeep
//   replication     the table replicas and identity on the other shards
//
// Thread safety: a node belongs to one shard; every call comes from it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "base/endpoint.h"
#include "base/random.h"
#include "base/shard.h"
#include "base/time.h"
#include "dht/counters.h"
#include "dht/detail/node_core.h"
#include "dht/host.h"
#include "dht/identity.h"
#include "dht/ids.h"
#include "dht/node_types.h"
#include "dht/outgoing.h"
#include "dht/query.h"
#include "dht/replication.h"
#include "dht/request_server.h"
#include "dht/routing_table.h"
#include "dht/rpc.h"
#include "dht/table_keeper.h"
#include "dht/wire.h"

namespace dht {

class node final {
public:
    node(node_config cfg, host& out, base::mono_time now);
    ~node();
    node(const node&) = delete;
    node& operator=(const node&) = delete;

    // Begins bootstrapping (primary) and the periodic timers.
    void start(base::mono_time now);
    void on_datagram(std::span<const std::byte> bytes, const base::endpoint& from, std::uint16_t socket,
                     base::mono_time now) noexcept;
    void on_message(std::uint32_t type, std::span<const std::byte> payload, base::mono_time now) noexcept;
    void on_timer(base::mono_time now) noexcept;
    [[nodiscard]] std::optional<base::mono_time> next_deadline() const noexcept { return _core.wheel.next_deadline(); }

    // --- state -----------------------------------------------------------
    [[nodiscard]] bool primary() const noexcept { return _core.primary(); }
    [[nodiscard]] bool persistent() const noexcept { return _identity.persistent(); }
    [[nodiscard]] bool firewalled() const noexcept { return _identity.firewalled(); }
    [[nodiscard]] bool bootstrapped() const noexcept { return _identity.bootstrapped(); }
    [[nodiscard]] reachability reach() const noexcept { return _identity.state(); }
    // Our id when persistent.
    [[nodiscard]] std::optional<node_id> id() const noexcept {
        return persistent() ? std::optional<node_id>(_core.table.self()) : std::nullopt;
    }
    [[nodiscard]] std::optional<base::endpoint> public_address() const noexcept { return _core.nat.address(); }
    // The network this node lives on: the scope of its configured public
    // address, else of the address peers see, else of the bound address;
    // global when none of them says more (a wildcard bind, nothing learned yet).
    [[nodiscard]] base::addr_scope network_scope() const noexcept { return _identity.network_scope(); }
    [[nodiscard]] const routing_table& table() const noexcept { return _core.table; }
    // Table nodes that reached us within the last minute (primary; readiness).
    [[nodiscard]] std::size_t reached_recently() const noexcept { return _keeper.reached_recently(); }
    // Stops, starts or re-times a routine (primary; a secondary runs none).
    void set_routine(routine r, routine_setting s) noexcept { _keeper.set_routine(r, s); }
    // The tick the routine last ran on (0: never).
    [[nodiscard]] std::uint64_t routine_ran(routine r) const noexcept { return _keeper.ran(r); }
    [[nodiscard]] const dht::counters& stats() const noexcept { return _core._ctr; }
    [[nodiscard]] const rpc::stats& rpc_stats() const noexcept { return _outgoing.rpc_stats(); }
    [[nodiscard]] const node_config& config() const noexcept { return _core.cfg; }
    [[nodiscard]] base::mono_time now() const noexcept { return _core.now; }
    [[nodiscard]] std::uint64_t tick() const noexcept { return _core.tick; }

    // --- application / client API -------------------------------------
    void set_app(app_handler* app) noexcept { _core.app = app; }
    // Answers a request (replies are built by the request server).
    void reply(const incoming& in, const reply_opts& opts) noexcept {
        _server.reply_to(in.req.tid, in.from, in.socket, in.req.tgt ? &*in.req.tgt : nullptr, opts);
    }
    // The same, for a request whose view is gone (answered after a deferred
    // step such as a batched signature check): its tid, requester, socket and
    // target (for closer nodes) are enough.
    void reply_to(txn_id tid, const base::endpoint& from, std::uint16_t socket, const target* tgt,
                  const reply_opts& opts) noexcept {
        _server.reply_to(tid, from, socket, tgt, opts);
    }
    // Hands a request this shard received to shard `owner`, which owns its
    // target: the application there gets it in on_owned_request, decoded and
    // checked already. False when the owner's ring was full (the request is lost).
    bool forward(std::uint16_t owner, const incoming& in) noexcept { return _server.forward(owner, in); }
    [[nodiscard]] std::uint16_t shard() const noexcept { return _core.cfg.shard; }
    [[nodiscard]] std::uint16_t shards() const noexcept { return _core.cfg.shards; }
    // Forwards a request (same tid, command, target; new value; no token) to `to`.
    void relay(const incoming& in, std::span<const std::byte> value, const base::endpoint& to) noexcept {
        _server.relay(in, value, to);
    }
    // Sends a one-off request; the client gets exactly one callback.
    rpc_handle request(rpc_request req, rpc_client* client, std::uint64_t cookie) noexcept {
        return _outgoing.request(std::move(req), client, cookie);
    }
    // Starts an iterative query; returns its id. on_done is always called.
    std::uint64_t start_query(query_spec spec) { return _outgoing.start_query(std::move(spec)); }
    void cancel_query(std::uint64_t id) noexcept { _outgoing.cancel_query(id); }
    // Posts to another shard; false (and counted) when its ring was full.
    bool post(std::uint16_t to, std::uint32_t type, std::span<const std::byte> payload) noexcept {
        return _core.post(to, type, payload);
    }
    // Arms an application timer (delivered to app_handler::on_timer).
    base::timer_handle app_timer(base::mono_time at, std::uint32_t cookie);
    // Adds a node we were told about (bootstrap seeds; `nodes` option).
    void add_node(const base::endpoint& addr) { _keeper.add_node(addr); }
    [[nodiscard]] std::size_t closest_nodes(const target& t, std::span<base::endpoint> out) noexcept {
        return _keeper.closest_nodes(t, out);
    }
    [[nodiscard]] token issue_token(const base::endpoint& peer) noexcept { return _core.tokens.issue(peer, _core.now); }
    id_cache& ids() noexcept { return _core.ids; }
    [[nodiscard]] std::uint16_t request_socket() const noexcept { return _identity.request_socket(); }
    base::prng& random() noexcept { return _core.rnd; }
    void bump(ctr c) noexcept { _core._ctr.inc(c); }

private:
    void enter(base::mono_time now) noexcept;
    void on_tick() noexcept;
    void on_timer_fired(std::uint64_t cookie) noexcept;

    detail::node_core _core;
    identity _identity;
    table_keeper _keeper;
    replication _replication;
    outgoing _outgoing;
    request_server _server;
    base::mono_time _last_tick;
    base::shard_affinity _affinity;  // debug builds: every entry point runs on the shard that made the node
};

}  // namespace dht
