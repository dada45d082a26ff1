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
// Thread safety: a node belongs to one shard; every call comes from it.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "base/endpoint.h"
#include "base/random.h"
#include "base/shard.h"
#include "base/time.h"
#include "base/timer_wheel.h"
#include "dht/counters.h"
#include "dht/host.h"
#include "dht/ids.h"
#include "dht/nat_sampler.h"
#include "dht/query.h"
#include "dht/routing_table.h"
#include "dht/rpc.h"
#include "dht/tokens.h"
#include "dht/wire.h"

namespace dht {

enum class persistence : std::uint8_t {
    public_address,  // configured public ip:port: persistent from the start (a bootstrapper)
    at_bootstrap,    // try to become persistent while bootstrapping; if that fails, retry as `adaptive`
    adaptive,        // the reference's default: try after ~20 min of stable uptime
    never,           // stay ephemeral (no id, stores nothing)
};

struct node_config {
    std::uint16_t shard = 0;
    std::uint16_t shards = 1;
    persistence mode = persistence::at_bootstrap;
    std::optional<base::endpoint> public_address;  // required for persistence::public_address
    std::vector<base::endpoint> bootstrap;
    std::uint16_t server_port = 0;       // local port of socket 0 (sent in PING_NAT)
    std::optional<base::endpoint> bind_address;  // the sockets' local address (0.0.0.0: all)
    bool client_socket = false;          // socket 1 exists (the primary's request socket while firewalled)
    bool quick_firewall = true;
    std::array<std::uint8_t, 32> token_master{};
    std::uint64_t seed = 1;
    std::size_t k = 20;
    std::size_t concurrency = 10;
    base::milliseconds max_ping_delay{10'000};
    std::size_t max_delayed_pings = 4096;
    int down_hints_per_tick = 50;  // -1: unlimited
    // Wall-clock milliseconds minus monotonic milliseconds, set by the host
    // (announce bumps are wall-clock timestamps; the node never reads a clock).
    std::int64_t wall_offset_ms = 0;
};

// A request being handled. Views borrow the datagram.
struct incoming {
    const request_view& req;
    std::span<const std::byte> raw;  // the whole datagram (borrowed)
    base::endpoint from;
    std::optional<node_id> from_id;  // verified
    std::uint16_t socket;
    base::mono_time now;
};

struct reply_opts {
    std::uint64_t error = 0;
    std::optional<base::bytes_view> value;
    bool token = true;   // include a fresh round-trip token
    bool closer = true;  // include the k closest nodes (when the request had a target)
    std::optional<base::endpoint> to;  // send somewhere other than the requester
    const value_writer* writer = nullptr;  // writes the value in place (instead of `value`)
};

class node;

// The application on top of dht-rpc (hyperdht): every non-internal request.
class app_handler {
public:
    virtual ~app_handler() = default;
    // Return false to have the node answer UNKNOWN_COMMAND.
    virtual bool on_request(node& n, const incoming& in) noexcept = 0;
    // A cross-shard message of an application type (>= msg_app_base).
    virtual void on_message(node&, std::uint32_t /*type*/, std::span<const std::byte>) noexcept {}
    virtual void on_timer(node&, std::uint64_t /*cookie*/, base::mono_time) noexcept {}
};

// Cross-shard message types; applications use values >= msg_app_base.
enum msg_type : std::uint32_t {
    msg_node_seen = 1,    // secondary -> primary: flags, from addr4, to addr4
    msg_table_add = 2,    // primary -> secondaries: addr4
    msg_table_remove = 3, // primary -> secondaries: addr4
    msg_identity = 4,     // primary -> secondaries: flags (1 persistent, 2 firewalled), table id
    msg_down_hint = 5,    // secondary -> primary: addr4 of the suspect
    msg_node_timeout = 6, // secondary -> primary: addr4 of a table node that timed out
    msg_table_sync = 7,   // primary -> secondaries: phase (0 begin + identity, 1 chunk, 2 end), addr4...
    msg_app_base = 64,
};

class node final : private query_env {
public:
    node(node_config cfg, host& out, base::mono_time now);
    ~node() override;
    node(const node&) = delete;
    node& operator=(const node&) = delete;

    // Begins bootstrapping (primary) and the periodic timers.
    void start(base::mono_time now);
    void on_datagram(std::span<const std::byte> bytes, const base::endpoint& from, std::uint16_t socket,
                     base::mono_time now) noexcept;
    void on_message(std::uint32_t type, std::span<const std::byte> payload, base::mono_time now) noexcept;
    void on_timer(base::mono_time now) noexcept;
    [[nodiscard]] std::optional<base::mono_time> next_deadline() const noexcept { return _wheel.next_deadline(); }

    // --- state -----------------------------------------------------------
    [[nodiscard]] bool primary() const noexcept { return _cfg.shard == 0; }
    [[nodiscard]] bool persistent() const noexcept { return !_ephemeral; }
    [[nodiscard]] bool firewalled() const noexcept { return _firewalled; }
    [[nodiscard]] bool bootstrapped() const noexcept { return _bootstrapped; }
    // Our id when persistent.
    [[nodiscard]] std::optional<node_id> id() const noexcept {
        return _ephemeral ? std::nullopt : std::optional<node_id>(_table.self());
    }
    [[nodiscard]] std::optional<base::endpoint> public_address() const noexcept { return _nat.address(); }
    // The network this node lives on: the scope of its configured public
    // address, else of the address peers see, else of the bound address;
    // global when none of them says more (a wildcard bind, nothing learned yet).
    [[nodiscard]] base::addr_scope network_scope() const noexcept;
    [[nodiscard]] const routing_table& table() const noexcept { return _table; }
    [[nodiscard]] const dht::counters& stats() const noexcept { return _ctr; }
    [[nodiscard]] const rpc::stats& rpc_stats() const noexcept { return _rpc.counters(); }
    [[nodiscard]] const node_config& config() const noexcept { return _cfg; }
    [[nodiscard]] base::mono_time now() const noexcept override { return _now; }
    [[nodiscard]] std::uint64_t tick() const noexcept { return _tick; }

    // --- application / client API -------------------------------------
    void set_app(app_handler* app) noexcept { _app = app; }
    // Answers a request (the one place replies are built).
    void reply(const incoming& in, const reply_opts& opts) noexcept {
        reply_to(in.req.tid, in.from, in.socket, in.req.tgt ? &*in.req.tgt : nullptr, opts);
    }
    // The same, for a request whose view is gone (answered after a deferred
    // step such as a batched signature check): its tid, requester, socket and
    // target (for closer nodes) are enough.
    void reply_to(txn_id tid, const base::endpoint& from, std::uint16_t socket, const target* tgt,
                  const reply_opts& opts) noexcept;
    // Handles a request another shard received and forwarded here because
    // this shard owns its target (the sender already checked token and id).
    void on_forwarded_request(std::span<const std::byte> raw, const base::endpoint& from, std::uint16_t socket,
                              bool from_id_valid, base::mono_time now) noexcept;
    [[nodiscard]] std::uint16_t shard() const noexcept { return _cfg.shard; }
    [[nodiscard]] std::uint16_t shards() const noexcept { return _cfg.shards; }
    // Forwards a request (same tid, command, target; new value; no token) to `to`.
    void relay(const incoming& in, std::span<const std::byte> value, const base::endpoint& to) noexcept;
    // Sends a one-off request; the client gets exactly one callback.
    rpc_handle request(rpc_request req, rpc_client* client, std::uint64_t cookie) noexcept;
    // Starts an iterative query; returns its id. on_done is always called.
    std::uint64_t start_query(query_spec spec);
    void cancel_query(std::uint64_t id) noexcept;
    // Posts a message to another shard.
    // Posts to another shard; false (and counted) when its ring was full.
    bool post(std::uint16_t to, std::uint32_t type, std::span<const std::byte> payload) noexcept;
    // Arms an application timer (delivered to app_handler::on_timer).
    base::timer_handle app_timer(base::mono_time at, std::uint32_t cookie);
    // Adds a node we were told about (bootstrap seeds; `nodes` option).
    void add_node(const base::endpoint& addr);
    [[nodiscard]] std::size_t closest_nodes(const target& t, std::span<base::endpoint> out) noexcept override;
    [[nodiscard]] token issue_token(const base::endpoint& peer) noexcept { return _tokens.issue(peer, _now); }
    id_cache& ids() noexcept override { return _ids; }
    [[nodiscard]] std::uint16_t request_socket() const noexcept override {
        return _firewalled && _cfg.client_socket ? 1 : 0;
    }
    base::prng& random() noexcept { return _rnd; }
    void bump(ctr c) noexcept { _ctr.inc(c); }

private:
    friend class node_test_access;
    struct delayed_ping {
        base::endpoint to;
        txn_id tid;
        std::uint16_t socket = 0;
        bool live = false;
    };
    struct internal_request;  // a one-off request with a callback (pings, checks)

    // query_env
    rpc& requests() noexcept override { return _rpc; }
    [[nodiscard]] const node_id* request_id() const noexcept override;
    [[nodiscard]] const node_id& table_id() const noexcept override { return _table.self(); }
    [[nodiscard]] std::size_t k() const noexcept override { return _cfg.k; }
    [[nodiscard]] const std::vector<base::endpoint>& bootstrap_nodes() const noexcept override { return _cfg.bootstrap; }
    void down_hint(const base::endpoint& to, const base::endpoint& down) noexcept override;
    void query_finished(std::uint64_t id) noexcept override;

    // incoming
    void on_request(std::span<const std::byte> bytes, const base::endpoint& from, std::uint16_t socket) noexcept;
    void on_response(std::span<const std::byte> bytes, const base::endpoint& from, std::uint16_t socket) noexcept;
    void handle_internal(const incoming& in) noexcept;
    void count_decode_error(wire_errc e) noexcept;
    [[nodiscard]] bool expected_socket(std::uint16_t socket) const noexcept { return socket == request_socket(); }

    // routing table (primary: authoritative; secondaries: replica)
    void node_from_network(bool sample, const base::endpoint& from, const std::optional<node_id>& id,
                           const base::endpoint& to) noexcept;
    void add_table_node(const node_id& id, const base::endpoint& addr, std::optional<base::endpoint> to);
    void remove_table_node(const node_id& id) noexcept;
    void on_row_full(const node_id& id, const base::endpoint& addr);
    void check(std::uint32_t slot) noexcept;
    void down_hinted(const base::endpoint& suspect) noexcept;
    void send_ping_like(rpc_request req);
    void finish_bootstrap() noexcept;
    [[nodiscard]] bool force_persistent() const noexcept {
        return _cfg.mode == persistence::at_bootstrap || _cfg.mode == persistence::public_address;
    }
    [[nodiscard]] bool adaptive() const noexcept {
        return _cfg.mode == persistence::adaptive || _cfg.mode == persistence::at_bootstrap;
    }
    void nat_add(const base::endpoint& to) noexcept;
    void sample_bootstrap_maybe(const base::endpoint& from, const base::endpoint& to) noexcept;

    // maintenance (primary)
    void on_tick() noexcept;
    void on_drain() noexcept;
    void on_wakeup() noexcept;
    void ping_some() noexcept;
    void refresh() noexcept;
    std::uint64_t background_query(const target& t, std::function<void(const query_reply&)> on_reply,
                                   std::function<void(const query_result&)> on_done);
    void bootstrap_round() noexcept;
    void bootstrap_round_done() noexcept;
    void update_network_state(bool only_firewall, std::function<void(bool)> done) noexcept;
    void check_if_firewalled(std::function<void(bool firewalled, nat_sampler)> done) noexcept;
    void become(const node_id& id, bool persistent) noexcept;
    void broadcast_identity() noexcept;
    void send_identity() noexcept;
    [[nodiscard]] std::array<std::byte, 33> identity_message() const noexcept;
    void apply_identity(std::span<const std::byte> payload) noexcept;
    void broadcast_table(std::uint32_t type, const base::endpoint& addr) noexcept;
    void sync_replicas() noexcept;
    void report_to_primary(bool sample, const base::endpoint& from, bool has_id, const base::endpoint& to) noexcept;
    void apply_table_message(std::uint32_t type, std::span<const std::byte> payload) noexcept;
    void send_ping(const base::endpoint& to, std::function<void(bool ok, const rpc_reply*)> done, std::uint16_t socket,
                   bool internal_cmd_ping_nat = false, std::uint16_t nat_port = 0);

    void on_timer_fired(std::uint64_t cookie) noexcept;

    node_config _cfg;
    host& _out;
    base::mono_time _now;
    base::timer_wheel _wheel;
    base::prng _rnd;
    dht::counters _ctr;
    id_cache _ids;
    token_keeper _tokens;
    rpc _rpc;
    routing_table _table;
    nat_sampler _nat;
    app_handler* _app = nullptr;

    bool _ephemeral = true;
    bool _firewalled = true;
    bool _bootstrapped = false;
    bool _started = false;
    std::uint64_t _tick = 0;
    std::uint64_t _heard_seq = 0;  // counts messages from verified nodes (for "heard since")
    std::int64_t _refresh_ticks = 0;
    std::int64_t _stable_ticks = 0;
    base::mono_time _last_tick;
    std::optional<base::endpoint> _last_host;
    int _repinging = 0;
    int _checks = 0;
    int _down_hints_this_tick = 0;
    std::vector<std::uint64_t> _idless_samples;  // endpoint keys (sample_bootstrap_maybe)

    // bootstrap state
    int _bootstrap_round = 0;
    bool _quick_probe_pending = false;
    bool _test_nat = false;
    bool _network_check_running = false;

    std::unordered_map<std::uint64_t, std::unique_ptr<query>> _queries;
    std::vector<std::unique_ptr<query>> _finished_queries;  // destroyed at a safe point
    std::uint64_t _next_query = 1;
    std::unordered_map<std::uint64_t, std::unique_ptr<internal_request>> _internal;
    std::uint64_t _next_internal = 1;
    std::vector<delayed_ping> _delayed;
    std::vector<std::uint32_t> _delayed_free;
    std::size_t _delayed_live = 0;
    // Secondaries: endpoints already reported to the primary this tick, and
    // the table being rebuilt by a sync from the primary.
    std::unordered_map<std::uint64_t, std::uint64_t> _reported;
    std::unique_ptr<routing_table> _staging;
    bool _identity_resend = false;  // a secondary missed the last identity message
    base::shard_affinity _affinity;  // debug builds: every entry point runs on the shard that made the node
};

}  // namespace dht
