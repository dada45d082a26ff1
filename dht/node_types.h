// dht/node_types.h -- the vocabulary a dht::node and its parts share with
// the application on top: configuration, the request being handled, reply
// options, the application interface and the cross-shard message types.
//
// Thread safety: values and interfaces only; a node and everything it hands
// out belong to one shard.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/endpoint.h"
#include "base/time.h"
#include "dht/ids.h"
#include "dht/wire.h"

namespace dht {

class node;

enum class persistence : std::uint8_t {
    public_address,  // configured public ip:port: persistent from the start (a bootstrapper)
    at_bootstrap,    // try to become persistent while bootstrapping; if that fails, retry as `adaptive`
    adaptive,        // the reference's default: try after ~20 min of stable uptime
    never,           // stay ephemeral (no id, stores nothing)
};

inline constexpr std::size_t max_known_nodes = 512;

// The node's periodic routines an operator may stop or re-time (the control
// plane's /routines). Each runs on the primary's 5 s tick.
enum class routine : std::uint8_t {
    pings,    // ping the table's least recently seen nodes (default every 8 ticks)
    refresh,  // the idle refresh walk (default 60 ticks after the last query)
    count_
};
struct routine_setting {
    bool enabled = true;
    std::uint32_t every_ticks = 0;  // 0: the reference's default
};
inline constexpr std::uint32_t default_ping_ticks = 8;
inline constexpr std::uint32_t default_refresh_ticks = 60;

struct node_config {
    std::uint16_t shard = 0;
    std::uint16_t shards = 1;
    persistence mode = persistence::at_bootstrap;
    std::optional<base::endpoint> public_address;  // required for persistence::public_address
    std::vector<base::endpoint> bootstrap;
    // Nodes a previous run of this node knew (its saved routing table). At
    // start each is pinged, and only those that answer enter the table
    // before the bootstrap walk begins (at most max_known_nodes, first first).
    std::vector<base::endpoint> known_nodes;
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

// The application on top of dht-rpc (hyperdht): every non-internal request.
class app_handler {
public:
    virtual ~app_handler() = default;
    // Return false to have the node answer UNKNOWN_COMMAND.
    virtual bool on_request(node& n, const incoming& in) noexcept = 0;
    // A request another shard admitted and forwarded here with node::forward
    // because this shard owns it. It was decoded and checked once, there: the
    // application only handles it. Return false to answer UNKNOWN_COMMAND.
    virtual bool on_owned_request(node& n, const incoming& in) noexcept { return on_request(n, in); }
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
    msg_request = 8,      // any -> the owner: a decoded request and its datagram (request_server::forward)
    msg_app_base = 64,
};

}  // namespace dht
