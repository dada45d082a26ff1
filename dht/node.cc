// dht::node: wires the parts (node.h) and routes the entry points to them.
#include "dht/node.h"

#include <array>

#include "dht/detail/node_internal.h"

namespace dht {

using namespace detail;

node::node(node_config cfg, host& out, base::mono_time now)
    : _core(std::move(cfg), out, *this, now),
      _identity(_core),
      _keeper(_core),
      _replication(_core),
      _outgoing(_core),
      _server(_core),
      _last_tick(now) {
    _core.ident = &_identity;
    _core.keeper = &_keeper;
    _core.repl = &_replication;
    _core.rpcs = &_outgoing;
    _core.server = &_server;
    // A random table id while ephemeral (docs/protocol.md §2.3).
    std::array<std::uint8_t, 32> rid;
    for (std::size_t i = 0; i < 32; i += 8) {
        std::uint64_t v = _core.rnd();
        for (std::size_t j = 0; j < 8; ++j) rid[i + j] = static_cast<std::uint8_t>(v >> (8 * j));
    }
    _core.table = routing_table(node_id(rid), _core.cfg.k);
    _core.tick = 100 - _core.rnd.below(50);  // ticks start at a random offset, as in the reference
    _keeper.postpone_refresh(static_cast<std::int64_t>(refresh_ticks - _core.rnd.below(refresh_ticks / 2)));
    if (_core.cfg.mode == persistence::public_address && _core.cfg.public_address) {
        _core.nat.add(*_core.cfg.public_address);
        _core.table = routing_table(id_of(*_core.cfg.public_address), _core.cfg.k);
    }
}

node::~node() = default;

void node::enter(base::mono_time now) noexcept {
    _affinity.check();
    _core.now = now;
    _outgoing.collect();
}

void node::start(base::mono_time now) {
    if (_identity.started()) return;
    _core.now = now;
    _last_tick = now;
    _core.wheel.schedule(now + tick_interval, make_timer_cookie(timer_kind::tick, 0));
    _core.wheel.schedule(now + drain_interval, make_timer_cookie(timer_kind::drain, 0));
    _identity.start();
}

void node::on_datagram(std::span<const std::byte> bytes, const base::endpoint& from, std::uint16_t socket,
                       base::mono_time now) noexcept {
    enter(now);
    if (!from.is_v4()) {
        _core._ctr.inc(ctr::drop_not_ipv4);
        return;
    }
    auto type = frame_type(bytes);
    if (!type) {
        count_decode_error(_core._ctr, type.error());
        return;
    }
    if (*type == request_byte) {
        _server.on_request(bytes, from, socket);
    } else {
        _outgoing.on_response(bytes, from, socket);
    }
}

void node::on_message(std::uint32_t type, std::span<const std::byte> payload, base::mono_time now) noexcept {
    enter(now);
    if (type == msg_request) {
        _server.on_forwarded(payload);
    } else if (!_replication.on_message(type, payload) && type >= msg_app_base && _core.app) {
        _core.app->on_message(*this, type, payload);
    }
}

void node::on_timer(base::mono_time now) noexcept {
    enter(now);
    _core.wheel.advance(now, [this](std::uint64_t c) { on_timer_fired(c); });
}

base::timer_handle node::app_timer(base::mono_time at, std::uint32_t cookie) {
    return _core.wheel.schedule(at, make_timer_cookie(timer_kind::app, cookie));
}

void node::on_timer_fired(std::uint64_t cookie) noexcept {
    const std::uint64_t payload = timer_payload_of(cookie);
    switch (timer_kind_of(cookie)) {
        case timer_kind::rpc: _outgoing.on_rpc_timer(payload); break;
        case timer_kind::tick:
            on_tick();
            _core.wheel.schedule(_core.now + tick_interval, make_timer_cookie(timer_kind::tick, 0));
            break;
        case timer_kind::drain:
            _outgoing.drain();
            _core.wheel.schedule(_core.now + drain_interval, make_timer_cookie(timer_kind::drain, 0));
            break;
        case timer_kind::delayed_ping: _server.delayed_ping_due(payload); break;
        case timer_kind::app:
            if (_core.app) _core.app->on_timer(*this, payload, _core.now);
            break;
        default: break;
    }
}

// The 5 s tick: each part's share, in the order the reference runs them.
void node::on_tick() noexcept {
    if (_core.now - _last_tick > sleeping_interval) {
        _core.tick += 2 * old_node;               // everything now looks old
        _core.tick += 8 - (_core.tick & 7) - 2;   // pings start in two ticks
        _identity.on_wakeup();
        _keeper.on_wakeup();
    } else {
        ++_core.tick;
    }
    _last_tick = _core.now;
    _outgoing.new_tick();
    _replication.new_tick();
    if (!primary() || !_identity.bootstrapped()) return;
    _identity.on_tick();
    _keeper.ping_due();
    _replication.sync_due();
    _keeper.refresh_due();
}

}  // namespace dht
