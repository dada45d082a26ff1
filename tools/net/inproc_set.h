// tools/net/inproc_set.h -- N dht::node in this process, on real loopback UDP.
//
// Hosting: one engine with S shards (threads); shard s hosts the nodes
// i = s, s+S, s+2S, ..., each on a private socket of its own bound to
// host:base+i (engine private_binds, so socket index i / S on shard s). A
// node is a plain dht-rpc node (no hyperdht app; lookups only need
// FIND_NODE) with `persistence::public_address`, so it is persistent at once,
// exactly like `shoald --public-host`.
//
// Why shards hosting many nodes rather than one tools::node_service per node:
// node_service starts an engine (a thread, an io_uring, 2048 receive buffers)
// per node, so 64 nodes would be 64 threads on our 2 cores and 64 x 4 MiB of
// buffers. Here each hosted node is a tools::node_adapter (the same adapter
// node_service runs per shard) on a socket of its own, and its dht::host::send
// is where the fault injection sits:
//
//   - send side: every datagram a hosted node sends is dropped with
//     probability loss (before it reaches the engine's send queue);
//   - receive side: a datagram from outside the in-process network (the
//     client, JS nodes) is dropped with probability loss before the node
//     sees it. Datagrams between hosted nodes were already tossed on send.
// So every datagram that touches a hosted node gets exactly one toss, like
// netem's per-packet loss on the path. Each shard has its own seeded PRNG.
//
// Churn: the main thread writes a command word per node (generation << 1 |
// up); every 20 ms each shard applies changed commands (destroying the node,
// or building a fresh one: new seed, new token secret, empty table) and acks.
// A down node's socket stays bound and swallows what arrives (counted), as
// a crashed host's would.
//
// Thread safety: the public methods are for the main thread; the command and
// ack words are the only state shared with the shards (atomics).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "base/endpoint.h"
#include "engine/config.h"
#include "engine/counters.h"
#include "tools/live_counter.h"
#include "tools/net/node_set.h"
#include "tools/net/truth.h"

namespace engine {
class engine;
}

namespace net {

struct inproc_config {
    base::endpoint host;  // the loopback address; ports come from base_port
    std::uint16_t base_port = 0;
    std::size_t nodes = 0;
    std::uint16_t shards = 1;
    engine::backend_kind backend = engine::backend_kind::automatic;
    double loss = 0;      // probability in [0, 1)
    std::uint64_t seed = 1;
};

// Counters of one shard; one writer (the shard), read from the main thread.
struct inproc_counters {
    tools::live_counter injected_tx, injected_rx, to_down_node, incarnations;
};

class inproc_set final : public node_set {
public:
    inproc_set(inproc_config cfg, liveness& truth);
    ~inproc_set() override;

    [[nodiscard]] base::result<void, std::string> start(signal_watch& sig) override;
    [[nodiscard]] std::size_t size() const noexcept override { return _cfg.nodes; }
    [[nodiscard]] std::size_t truth_index(std::size_t i) const noexcept override { return _truth_idx[i]; }
    [[nodiscard]] bool up(std::size_t i) const noexcept override { return _up[i]; }
    void kill(std::size_t i, base::mono_time now) override;
    void restart(std::size_t i, base::mono_time now) override;
    void poll(base::mono_time now) override;
    void stop() noexcept override;
    [[nodiscard]] std::size_t unexpected_exits() const noexcept override { return 0; }
    [[nodiscard]] nlohmann::json counters() const override;

    // --- shared with the shards ------------------------------------------
    [[nodiscard]] const inproc_config& config() const noexcept { return _cfg; }
    [[nodiscard]] std::uint32_t command(std::size_t i) const noexcept { return _cmd[i].load(std::memory_order_acquire); }
    void ack(std::size_t i, std::uint32_t c) noexcept { _ack[i].store(c, std::memory_order_release); }
    [[nodiscard]] inproc_counters& shard_counters(std::uint16_t s) noexcept { return _ctr[s]; }
    [[nodiscard]] base::endpoint addr(std::size_t i) const noexcept {
        return _cfg.host.with_port(static_cast<std::uint16_t>(_cfg.base_port + i));
    }
    // True when `from` is one of the hosted nodes' addresses.
    [[nodiscard]] bool is_member(const base::endpoint& from) const noexcept {
        return from.same_host(_cfg.host) && from.port() >= _cfg.base_port &&
               static_cast<std::size_t>(from.port() - _cfg.base_port) < _cfg.nodes;
    }

private:
    void command_up(std::size_t i, bool up);

    inproc_config _cfg;
    liveness& _truth;
    std::unique_ptr<std::atomic<std::uint32_t>[]> _cmd, _ack;
    std::unique_ptr<inproc_counters[]> _ctr;
    std::vector<std::uint32_t> _gen;
    std::vector<bool> _up, _pending_up;
    std::vector<std::size_t> _truth_idx;
    std::unique_ptr<engine::engine> _engine;
};

}  // namespace net
