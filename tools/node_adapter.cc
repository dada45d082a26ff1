#include "tools/node_adapter.h"

#include <chrono>

#include "crypto/hash.h"

namespace tools {

std::uint8_t classify(std::span<const std::byte> d) noexcept {
    if (d.size() >= 2) {
        auto b = std::to_integer<std::uint8_t>(d[0]);
        if (b == dht::request_byte || b == dht::response_byte) return kind_dht;
    }
    return kind_other;
}

std::uint64_t draw_seed() noexcept {
    std::uint64_t v = 0;
    crypto::random_bytes(&v, sizeof v);
    return v | 1;
}

engine::config port_engine_config(const base::endpoint& bind, bool client_socket) {
    engine::config ec;
    ec.binds = {bind};
    // Shard 0 gets a second, private socket: the request socket while the
    // node is firewalled, so the firewall test can tell whether the server
    // port accepts unsolicited datagrams.
    const base::endpoint client_bind = bind.with_port(0);
    ec.private_binds = [client_bind, client_socket](base::shard_id s) {
        std::vector<base::endpoint> v;
        if (s.value() == 0 && client_socket) v.push_back(client_bind);
        return v;
    };
    ec.steering = {.enabled = true, .first_byte = dht::response_byte, .offset = 2, .kernel = true};
    ec.classify = classify;
    return ec;
}

dht::node_config port_node_config(const engine::shard& s, const base::endpoint& bound) {
    dht::node_config cfg;
    cfg.shard = s.id().value();
    cfg.shards = s.shard_count();
    cfg.server_port = bound.port();
    cfg.bind_address = bound;
    cfg.client_socket = s.local_endpoints().size() > 1;
    return cfg;
}

void node_adapter::start(dht::node_config cfg, const dht::hyperdht_config* app) {
    stop();
    const auto now = _shard.now();
    // Announce bumps are wall-clock milliseconds; the node only sees monotonic time.
    cfg.wall_offset_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count() -
        base::to_ms(now.time_since_epoch());
    _node = std::make_unique<dht::node>(std::move(cfg), static_cast<dht::host&>(*this), now);
    if (app) {
        _app = std::make_unique<dht::hyperdht>(*_node, *app);
        _node->set_app(_app.get());
    }
    _node->start(now);
    rearm();
}

void node_adapter::stop() noexcept {
    if (_armed_valid) _shard.cancel_timer(_armed);
    _armed_valid = false;
    _app.reset();  // before the node, as when both were members of the service's handler
    _node.reset();
}

}  // namespace tools
