// tools/node_adapter.h -- runs one dht::node (and optionally its
// dht::hyperdht) on an engine::shard.
//
// This is where the sans-I/O DHT meets sockets, once for every tool: the
// adapter owns the node, implements dht::host on the shard, feeds the node
// datagrams, timer expiries and cross-shard messages, and keeps one engine
// timer armed at the node's next deadline. It is not an engine::handler
// itself: a handler owns one (tools::node_service, one per shard) or many
// (tools/net/inproc_set, the nodes a shard hosts) and forwards to them.
//
// A node owns a run of consecutive sockets of its shard, [first, first + n):
// the node's socket k is the shard's socket first + k. Hooks are virtual
// overrides of dht::host::send (the only per-datagram virtual call, as
// before), so the packet path adds no call and no allocation.
//
// Thread safety: everything runs on the owning shard's thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "dht/node.h"
#include "engine/config.h"
#include "engine/shard.h"
#include "hyperdht/hyperdht.h"

namespace tools {

// Engine handler kinds of a DHT port: dht-rpc frames, and everything else.
enum : std::uint8_t { kind_dht = 0, kind_other = 1 };

// dht-rpc frames start with 0x03 (request) or 0x13 (response) and are at
// least 2 bytes; the same port also carries UDX packets (0xFF 0x01 ...) and
// 1-byte holepunch probes, which an infrastructure node ignores.
[[nodiscard]] std::uint8_t classify(std::span<const std::byte> d) noexcept;

// A random non-zero node seed.
[[nodiscard]] std::uint64_t draw_seed() noexcept;

// The engine of a node whose shards share `bind`: dht-rpc response steering,
// the classifier above, and (with `client_socket`) shard 0's private client
// socket on the same host, used while the node is firewalled.
[[nodiscard]] engine::config port_engine_config(const base::endpoint& bind, bool client_socket);
// What shard `s` of such a node tells its dht::node about where it runs
// (shard, shard count, server port, bound address, client socket); the
// caller adds mode, bootstrap, token secret and seed.
[[nodiscard]] dht::node_config port_node_config(const engine::shard& s, const base::endpoint& bound);

class node_adapter : public dht::host {
public:
    // The node will own sockets [first_socket, first_socket + sockets) of `s`
    // and its timer fires with `timer_cookie` (kind_dht).
    node_adapter(engine::shard& s, std::uint16_t first_socket, std::uint16_t sockets, std::uint64_t timer_cookie) noexcept
        : _shard(s), _first(first_socket), _sockets(sockets), _cookie(timer_cookie) {}
    ~node_adapter() override { stop(); }
    node_adapter(const node_adapter&) = delete;
    node_adapter& operator=(const node_adapter&) = delete;

    // Builds and starts a fresh node (stopping the current one first). Sets
    // cfg.wall_offset_ms; with `app`, the node also serves HyperDHT.
    void start(dht::node_config cfg, const dht::hyperdht_config* app);
    // Destroys the node (and its app) and disarms its timer.
    void stop() noexcept;

    [[nodiscard]] bool running() const noexcept { return _node != nullptr; }
    // REQUIRES: running().
    [[nodiscard]] dht::node& node() noexcept { return *_node; }
    [[nodiscard]] const dht::node& node() const noexcept { return *_node; }
    // Null without an app or when stopped.
    [[nodiscard]] const dht::hyperdht* app() const noexcept { return _app.get(); }
    [[nodiscard]] dht::hyperdht* app() noexcept { return _app.get(); }

    // REQUIRES: running(), and d arrived on one of this node's sockets.
    void on_datagram(const engine::datagram& d) noexcept {
        _node->on_datagram(d.data, d.from, static_cast<std::uint16_t>(d.socket - _first), d.now);
        rearm();
    }
    // The adapter's timer fired. Nothing happens when stopped.
    void on_timer(base::mono_time now) noexcept {
        _armed_valid = false;
        if (!_node) return;
        _node->on_timer(now);
        rearm();
    }
    // REQUIRES: running().
    void on_message(const engine::message& m) noexcept {
        _node->on_message(m.type, m.bytes(), _shard.now());
        rearm();
    }

    // dht::host. Sends from the node's socket `socket` (its first when out of range).
    void send(const base::endpoint& to, std::span<const std::byte> d, std::uint16_t socket) noexcept override {
        _shard.send(to, d, static_cast<std::uint16_t>(_first + (socket < _sockets ? socket : 0)));
    }
    bool post(std::uint16_t to, std::uint32_t type, std::span<const std::byte> payload) noexcept override {
        return _shard.post(base::shard_id(to), type, payload, 0, kind_dht);
    }

    // Keeps one engine timer armed at the node's next deadline. The calls
    // above do it themselves; call it after acting on node() from elsewhere.
    void rearm() noexcept {
        auto next = _node->next_deadline();
        if (!next) return;
        // Re-arm only when the deadline moved earlier or nothing is armed.
        if (_armed_valid && *next >= _armed_at) return;
        if (_armed_valid) _shard.cancel_timer(_armed);
        _armed = _shard.arm_timer(*next, _cookie, kind_dht);
        _armed_at = *next;
        _armed_valid = true;
    }

private:
    engine::shard& _shard;
    std::uint16_t _first, _sockets;
    std::uint64_t _cookie;
    std::unique_ptr<dht::node> _node;
    std::unique_ptr<dht::hyperdht> _app;
    base::timer_handle _armed;
    base::mono_time _armed_at;
    bool _armed_valid = false;
};

}  // namespace tools
