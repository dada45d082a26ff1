// dht/outgoing.h -- the requests and queries this node sends.
//
// Its one job is what goes out and what comes back for it: one-off requests
// (the application's, and the node's own pings, checks and PING_NATs with a
// callback), iterative queries (it is their query_env), the rpc layer's
// retransmits and congestion window, and matching the responses that arrive.
// Every request from a persistent node's server socket carries our id.
//
// Thread safety: one shard's; every call comes from the node's entry points.
// A query that finishes is destroyed at the next entry point (collect()),
// never inside its own callback.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "base/endpoint.h"
#include "dht/detail/node_core.h"
#include "dht/query.h"
#include "dht/rpc.h"

namespace dht {

class outgoing final : private query_env {
public:
    explicit outgoing(detail::node_core& c);
    ~outgoing() override;
    outgoing(const outgoing&) = delete;
    outgoing& operator=(const outgoing&) = delete;

    // Sends a one-off request; the client gets exactly one callback.
    rpc_handle request(rpc_request req, rpc_client* client, std::uint64_t cookie) noexcept;
    // PING (or PING_NAT carrying nat_port) with a callback.
    void send_ping(const base::endpoint& to, std::function<void(bool ok, const rpc_reply*)> done,
                   std::uint16_t socket, bool ping_nat = false, std::uint16_t nat_port = 0);
    // Starts an iterative query; returns its id. on_done is always called.
    std::uint64_t start_query(query_spec spec);
    void cancel_query(std::uint64_t id) noexcept;
    // A FIND_NODE walk at background concurrency (bootstrap, refresh).
    std::uint64_t background_query(const target& t, std::function<void(const query_reply&)> on_reply,
                                   std::function<void(const query_result&)> on_done);
    // A response datagram (type already checked).
    void on_response(std::span<const std::byte> bytes, const base::endpoint& from, std::uint16_t socket) noexcept;
    // rpc's timer fired (a timer_kind::rpc payload); the congestion drain.
    void on_rpc_timer(std::uint64_t payload) noexcept { _rpc.on_timeout(payload, _c.now); }
    void drain() noexcept { _rpc.drain(_c.now); }
    // A new tick: the down-hint budget starts over.
    void new_tick() noexcept { _down_hints_this_tick = 0; }
    // Destroys the queries that finished since the last entry point.
    void collect() noexcept { _finished_queries.clear(); }
    [[nodiscard]] std::size_t inflight() const noexcept { return _rpc.inflight(); }
    [[nodiscard]] const rpc::stats& rpc_stats() const noexcept { return _rpc.counters(); }

    // query_env, also what the node exposes
    [[nodiscard]] base::mono_time now() const noexcept override { return _c.now; }
    [[nodiscard]] std::size_t closest_nodes(const target& t, std::span<base::endpoint> out) noexcept override;
    id_cache& ids() noexcept override { return _c.ids; }
    [[nodiscard]] std::uint16_t request_socket() const noexcept override;

private:
    struct internal_request;  // a one-off request with a callback (pings, checks)

    // query_env
    rpc& requests() noexcept override { return _rpc; }
    [[nodiscard]] const node_id* request_id() const noexcept override;
    [[nodiscard]] const node_id& table_id() const noexcept override { return _c.table.self(); }
    [[nodiscard]] std::size_t k() const noexcept override { return _c.cfg.k; }
    [[nodiscard]] const std::vector<base::endpoint>& bootstrap_nodes() const noexcept override {
        return _c.cfg.bootstrap;
    }
    void down_hint(const base::endpoint& to, const base::endpoint& down) noexcept override;
    void query_finished(std::uint64_t id) noexcept override;
    void send_internal(rpc_request req, std::function<void(bool ok, const rpc_reply*)> done);

    detail::node_core& _c;
    dht::counters& _ctr;
    rpc _rpc;
    int _down_hints_this_tick = 0;
    std::unordered_map<std::uint64_t, std::unique_ptr<query>> _queries;
    std::vector<std::unique_ptr<query>> _finished_queries;  // destroyed at a safe point
    std::uint64_t _next_query = 1;
    std::unordered_map<std::uint64_t, std::unique_ptr<internal_request>> _internal;
    std::uint64_t _next_internal = 1;
};

}  // namespace dht
