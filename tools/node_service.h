// tools/node_service.h -- runs a dht::node per shard on the engine.
//
// Each shard's handler runs its dht::node (and hyperdht) on the shared
// tools::node_adapter (node_adapter.h), which feeds it datagrams, timer
// expiries and cross-shard messages and implements dht::host on the shard.
// The service counts what else arrives on the DHT port (UDX stream packets,
// holepunch probes), sums the shards' counters, and publishes a status
// snapshot other threads may read.
//
// Thread safety: start/stop/status from the owning (main) thread; everything
// else runs on the shards.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/endpoint.h"
#include "base/result.h"
#include "hyperdht/hyperdht.h"
#include "dht/node.h"
#include "engine/engine.h"
#include "persist/writer.h"

namespace tools {

struct node_service_config {
    base::endpoint bind;  // host:port the shards share
    std::uint16_t shards = 1;
    std::vector<int> cpus;
    engine::backend_kind backend = engine::backend_kind::automatic;
    dht::persistence mode = dht::persistence::at_bootstrap;
    std::optional<base::endpoint> public_address;
    std::vector<base::endpoint> bootstrap;
    std::vector<base::endpoint> known_nodes;  // a saved table's nodes, pinged at start (dht::node_config)
    bool quick_firewall = true;
    std::uint64_t seed = 0;  // 0: random
    // The HyperDHT commands (storage and relay); without it the node serves
    // dht-rpc only and answers UNKNOWN_COMMAND to the rest.
    std::optional<dht::hyperdht_config> hyperdht;
    // Persistence of the store (persist/writer.h): with a state directory and
    // the HyperDHT commands, the shards' stores are saved in <state_dir>/store,
    // committed at most every store_flush, and read back before the shards
    // serve. Empty: nothing is kept.
    std::string state_dir;
    std::chrono::milliseconds store_flush{100};
};

// The shards' routines an operator may stop or re-time (/routines).
enum class shard_routine : std::uint8_t {
    pings,    // dht: ping the least recently seen table nodes (primary)
    refresh,  // dht: the idle refresh walk (primary)
    expiry,   // hyperdht: the store's expiry sweep (every shard)
    count_
};
inline constexpr std::size_t shard_routine_count = static_cast<std::size_t>(shard_routine::count_);

// What the control plane sets (any thread) and the shards apply on their
// next 5 s tick; the last run is as shard 0 saw it.
struct routine_state {
    bool enabled = true;
    std::chrono::milliseconds every{0};  // 0: the default
    std::int64_t last_run_unix_ms = 0;   // 0: not yet
};

// Counters of traffic that shares the DHT port but is not dht-rpc.
struct other_traffic {
    std::atomic<std::uint64_t> udx{0}, probes{0}, junk{0};
};

// A consistent-enough snapshot of the primary's state, updated by shard 0.
struct node_status {
    bool persistent = false;
    bool firewalled = true;
    bool bootstrapped = false;
    std::size_t table_size = 0;
    std::optional<base::endpoint> public_address;
    std::optional<dht::node_id> id;
    std::size_t reached_recently = 0;  // table nodes that reached us in the last minute (readiness)
    std::uint64_t tick = 0;            // the primary's 5 s tick count
};

// A copy of the primary's routing table, taken once per tick (5 s).
struct table_copy {
    struct entry {
        dht::node_id id;
        base::endpoint addr;
        std::uint64_t added = 0, seen = 0, reached = 0;  // ticks (see dht::table_entry)
    };
    std::uint64_t tick = 0;  // the primary's tick when copied
    std::vector<entry> nodes;
};

class node_service {
public:
    [[nodiscard]] static base::result<std::unique_ptr<node_service>, std::string> start(node_service_config cfg);
    ~node_service();
    // Stops the shards and waits for them. Not from a shard thread.
    void stop() noexcept;
    // Asks the shards to stop without waiting; safe from any thread, shards included.
    void request_stop() noexcept { _engine->stop(); }

    [[nodiscard]] const base::endpoint& bound() const noexcept { return _bound; }
    [[nodiscard]] engine::backend_kind backend() const noexcept { return _engine->backend(); }
    [[nodiscard]] bool kernel_steering() const noexcept { return _engine->kernel_steering(); }
    [[nodiscard]] node_status status() const;
    // The primary's routing table as of its last tick (any thread). Empty
    // until the first tick.
    [[nodiscard]] table_copy table() const;
    // Any thread: stops/starts or re-times a shard routine (`every` 0: the
    // default); the shards apply it at their next tick.
    void set_routine(shard_routine r, bool enabled, std::chrono::milliseconds every) noexcept;
    [[nodiscard]] routine_state routine(shard_routine r) const noexcept;
    // Sum of a metric over all shards, as the shards last published it
    // (engine::ctr, dht::ctr, dht::rpc_ctr, dht::hctr, store::metric,
    // crypto::verify_ctr; see base/metrics.h). Exact once stopped.
    template <class E>
    [[nodiscard]] std::uint64_t total(E c) const noexcept { return _engine->total(c); }
    // What the shards' stores hold, summed.
    [[nodiscard]] store::store_stats store_totals() const noexcept;
    // The engine, for reading every published metric (engine::shard::metric_block).
    [[nodiscard]] const engine::engine& metrics_source() const noexcept { return *_engine; }
    [[nodiscard]] const other_traffic& other() const noexcept { return _other; }
    [[nodiscard]] std::uint16_t shards() const noexcept { return _cfg.shards; }
    // What the start-up load of the saved store found (one line), or empty
    // without persistence; damaged() when a bad database was moved aside or
    // rows were skipped.
    [[nodiscard]] const std::string& persist_summary() const noexcept { return _persist_summary; }
    [[nodiscard]] bool persist_damaged() const noexcept { return _persist_damaged; }

private:
    friend class dht_handler;
    explicit node_service(node_service_config cfg) : _cfg(std::move(cfg)) {}

    node_service_config _cfg;
    base::endpoint _bound;
    std::array<std::uint8_t, 32> _token_master{};
    // Before the engine: the shards' stores report to its queues until the engine is gone.
    std::unique_ptr<persist::writer> _writer;
    std::string _persist_summary;
    bool _persist_damaged = false;
    std::unique_ptr<engine::engine> _engine;
    other_traffic _other;
    // Status fields written by shard 0 (seqlock-free: each field is atomic).
    std::atomic<bool> _st_persistent{false}, _st_firewalled{true}, _st_bootstrapped{false};
    std::atomic<std::size_t> _st_table{0};
    std::atomic<std::uint64_t> _st_public{0};  // endpoint key + 1, 0 when unknown
    std::array<std::atomic<std::uint64_t>, 4> _st_id{};
    std::atomic<bool> _st_has_id{false};
    std::atomic<std::size_t> _st_reached{0};
    std::atomic<std::uint64_t> _st_tick{0};
    // The table copy: shard 0 replaces it with try_lock once per tick, so it
    // never waits for a reader; readers copy it out under the lock.
    struct routine_cell {
        std::atomic<bool> enabled{true};
        std::atomic<std::int64_t> every_ms{0};
        std::atomic<std::int64_t> last_run_unix_ms{0};
        std::atomic<std::uint32_t> version{0};  // bumped by set_routine, so shards re-apply
    };
    std::array<routine_cell, shard_routine_count> _routines;
    mutable std::mutex _table_mu;
    table_copy _table;
};

// Resolves "host:port" (an IPv4 literal or a DNS name, IPv4 only).
[[nodiscard]] base::result<base::endpoint, std::string> resolve_endpoint(const std::string& s);

}  // namespace tools
