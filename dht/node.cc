// dht::node: request handling, replies and the internal commands.
// Maintenance, bootstrap and persistence are in node_maintenance.cc; the
// cross-shard replication in node_shards.cc.
#include "dht/node.h"

#include <algorithm>
#include <array>

#include "base/byte_reader.h"
#include "dht/detail/node_internal.h"

namespace dht {

using namespace detail;

namespace {
// The key of the shard's tid stream: secret as long as the token master is
// (it is drawn at start-up), distinct per shard and seed.
crypto::hash32 tid_key(const node_config& c) noexcept {
    std::array<std::byte, 10> mix;
    for (std::size_t i = 0; i < 8; ++i) mix[i] = std::byte(c.seed >> (8 * i));
    mix[8] = std::byte(c.shard & 0xff);
    mix[9] = std::byte(c.shard >> 8);
    return crypto::blake2b_256({std::as_bytes(std::span(c.token_master)), std::span<const std::byte>(mix),
                                std::as_bytes(std::span("shoal transaction ids", 21))});
}
}  // namespace

// A one-off request whose answer goes to a callback (pings, checks, PING_NAT).
struct node::internal_request final : rpc_client {
    node* owner = nullptr;
    std::uint64_t key = 0;
    std::function<void(bool ok, const rpc_reply*)> done;

    void on_reply(std::uint64_t, const rpc_reply& r) noexcept override {
        auto d = std::move(done);
        owner->_internal.erase(key);  // destroys *this; only locals below
        if (d) d(true, &r);
    }
    void on_fail(std::uint64_t, rpc_fail, const rpc_request&) noexcept override {
        auto d = std::move(done);
        owner->_internal.erase(key);
        if (d) d(false, nullptr);
    }
};

node::node(node_config cfg, host& out, base::mono_time now)
    : _cfg(std::move(cfg)),
      _out(out),
      _now(now),
      _wheel(now),
      _rnd(_cfg.seed),
      _tokens(_cfg.token_master),
      _rpc(_cfg.shard, _cfg.shards, out, _wheel, tid_key(_cfg)),
      _table(node_id(), _cfg.k),
      _last_tick(now) {
    // A random table id while ephemeral (docs/protocol.md §2.3).
    std::array<std::uint8_t, 32> rid;
    for (std::size_t i = 0; i < 32; i += 8) {
        std::uint64_t v = _rnd();
        for (std::size_t j = 0; j < 8; ++j) rid[i + j] = static_cast<std::uint8_t>(v >> (8 * j));
    }
    _table = routing_table(node_id(rid), _cfg.k);
    _tick = 100 - _rnd.below(50);  // ticks start at a random offset, as in the reference
    _refresh_ticks = static_cast<std::int64_t>(refresh_ticks - _rnd.below(refresh_ticks / 2));
    _stable_ticks = _cfg.mode == persistence::adaptive ? stable_ticks : 0;
    if (_cfg.mode == persistence::public_address && _cfg.public_address) {
        _nat.add(*_cfg.public_address);
        _firewalled = false;
        _ephemeral = false;
        _table = routing_table(id_of(*_cfg.public_address), _cfg.k);
    }
    _rpc.on_any_timeout = [this](const rpc_request& req) {
        if (!req.to_id) return;
        if (primary()) {
            remove_table_node(*req.to_id);
        } else {
            std::array<std::byte, 6> b;
            put_addr(b, req.to);
            post(0, msg_node_timeout, b);
        }
    };
}

node::~node() = default;

const node_id* node::request_id() const noexcept {
    return (!_ephemeral && request_socket() == 0) ? &_table.self() : nullptr;
}

void node::count_decode_error(wire_errc e) noexcept {
    switch (e) {
        case wire_errc::too_short: _ctr.inc(ctr::drop_too_short); break;
        case wire_errc::too_long: _ctr.inc(ctr::drop_too_long); break;
        case wire_errc::bad_type: _ctr.inc(ctr::drop_bad_type); break;
        case wire_errc::truncated: _ctr.inc(ctr::drop_truncated); break;
        case wire_errc::bad_field: _ctr.inc(ctr::drop_bad_field); break;
    }
}

void node::on_datagram(std::span<const std::byte> bytes, const base::endpoint& from, std::uint16_t socket,
                       base::mono_time now) noexcept {
    _affinity.check();
    _now = now;
    _finished_queries.clear();
    if (!from.is_v4()) {
        _ctr.inc(ctr::drop_not_ipv4);
        return;
    }
    auto type = frame_type(bytes);
    if (!type) {
        count_decode_error(type.error());
        return;
    }
    if (*type == request_byte) {
        on_request(bytes, from, socket);
    } else {
        on_response(bytes, from, socket);
    }
}

// decode -> validate -> act (docs/protocol.md §2.6).
void node::on_request(std::span<const std::byte> bytes, const base::endpoint& from, std::uint16_t socket) noexcept {
    auto req = decode_request(bytes);
    if (!req) {
        count_decode_error(req.error());
        return;
    }
    _ctr.inc(ctr::rx_requests);
    std::optional<node_id> from_id;
    if (req->id) {
        from_id = _ids.validate(*req->id, from);
        if (!from_id) _ctr.inc(ctr::id_mismatch);
    }
    const incoming in{*req, bytes, from, from_id, socket, _now};
    if (req->tok && !_tokens.valid(*req->tok, from, _now)) {
        _ctr.inc(ctr::token_invalid);
        reply(in, {.error = static_cast<std::uint64_t>(rpc_error::invalid_token), .token = true, .closer = true});
        return;
    }
    if (from_id) node_from_network(expected_socket(socket), from, from_id, req->to);
    if (req->internal) {
        handle_internal(in);
        return;
    }
    _ctr.inc(ctr::app_requests);
    if (!_app || !_app->on_request(*this, in)) {
        _ctr.inc(ctr::unknown_command);
        reply(in, {.error = static_cast<std::uint64_t>(rpc_error::unknown_command), .token = false, .closer = true});
    }
}

void node::on_response(std::span<const std::byte> bytes, const base::endpoint& from, std::uint16_t socket) noexcept {
    auto res = decode_response(bytes);
    if (!res) {
        count_decode_error(res.error());
        return;
    }
    std::uint32_t slot = _rpc.match(*res, from);
    if (slot == UINT32_MAX) {
        _ctr.inc(ctr::drop_unmatched_response);
        return;
    }
    _ctr.inc(ctr::rx_responses);
    std::optional<node_id> from_id;
    if (res->id) {
        from_id = _ids.validate(*res->id, from);
        if (!from_id) _ctr.inc(ctr::id_mismatch);
    }
    // The table learns from the response before the request's owner sees it
    // (a liveness check compares "heard since" against it).
    node_from_network(expected_socket(socket), from, from_id, res->to);
    _rpc.complete(slot, *res, from, from_id, socket, _now);
}

void node::handle_internal(const incoming& in) noexcept {
    const auto& req = in.req;
    const reply_opts bare{.token = false, .closer = false};
    switch (req.command) {
        case static_cast<std::uint64_t>(internal_cmd::ping):
            _ctr.inc(ctr::cmd_ping);
            reply(in, bare);
            return;
        case static_cast<std::uint64_t>(internal_cmd::ping_nat): {
            // Answer to the port named in the value: tells the requester
            // whether that port is reachable unsolicited.
            if (!req.value || req.value->size() < 2) {
                _ctr.inc(ctr::drop_ping_nat_bad_value);
                return;
            }
            base::byte_reader r(*req.value);
            auto port = r.read_u16le();
            if (!port || *port == 0) {
                _ctr.inc(ctr::drop_ping_nat_bad_value);
                return;
            }
            _ctr.inc(ctr::cmd_ping_nat);
            reply_opts o = bare;
            o.to = in.from.with_port(*port);
            reply(in, o);
            return;
        }
        case static_cast<std::uint64_t>(internal_cmd::find_node):
            if (!req.tgt) {
                _ctr.inc(ctr::drop_find_node_no_target);
                return;
            }
            _ctr.inc(ctr::cmd_find_node);
            reply(in, {.token = false, .closer = true});
            return;
        case static_cast<std::uint64_t>(internal_cmd::down_hint): {
            if (!req.value || req.value->size() < 6) {
                _ctr.inc(ctr::drop_down_hint_bad_value);
                return;
            }
            _ctr.inc(ctr::cmd_down_hint);
            base::byte_reader r(*req.value);
            auto suspect = ce::read_addr4(r);
            if (suspect) {
                if (primary()) {
                    down_hinted(*suspect);
                } else {
                    std::array<std::byte, 6> b;
                    put_addr(b, *suspect);
                    post(0, msg_down_hint, b);
                }
            }
            reply(in, bare);
            return;
        }
        case static_cast<std::uint64_t>(internal_cmd::delayed_ping): {
            if (!req.value || req.value->size() < 4) {
                _ctr.inc(ctr::drop_delayed_ping_bad_value);
                return;
            }
            base::byte_reader r(*req.value);
            auto delay = r.read_u32le();
            if (!delay || *delay > static_cast<std::uint64_t>(_cfg.max_ping_delay.count())) {
                _ctr.inc(ctr::drop_delayed_ping_bad_value);
                return;
            }
            if (_delayed_live >= _cfg.max_delayed_pings) {
                _ctr.inc(ctr::drop_delayed_ping_overload);
                return;
            }
            _ctr.inc(ctr::cmd_delayed_ping);
            std::uint32_t i;
            if (!_delayed_free.empty()) {
                i = _delayed_free.back();
                _delayed_free.pop_back();
            } else {
                i = static_cast<std::uint32_t>(_delayed.size());
                _delayed.emplace_back();
            }
            _delayed[i] = {in.from, req.tid, in.socket, true};
            ++_delayed_live;
            _wheel.schedule(_now + base::milliseconds(*delay), make_timer_cookie(timer_kind::delayed_ping, i));
            return;
        }
        default:
            _ctr.inc(ctr::unknown_command);
            reply(in, {.error = static_cast<std::uint64_t>(rpc_error::unknown_command), .token = false, .closer = true});
            return;
    }
}

// The one place a response frame is built.
void node::reply_to(txn_id tid, const base::endpoint& from, std::uint16_t socket, const target* tgt,
                    const reply_opts& o) noexcept {
    const base::endpoint to = o.to.value_or(from);
    const node_id* id = (!_ephemeral && socket == 0) ? &_table.self() : nullptr;
    token tok;
    if (o.token) tok = _tokens.issue(to, _now);
    std::array<base::endpoint, 20> closer;
    std::size_t n = 0;
    if (o.closer && tgt) n = closest_nodes(*tgt, std::span(closer).first(std::min(closer.size(), _cfg.k)));
    std::array<std::byte, max_datagram> buf;
    response_out r;
    r.tid = tid;
    r.to = to;
    r.id = id;
    r.tok = o.token ? &tok : nullptr;
    r.closer = std::span<const base::endpoint>(closer.data(), n);
    r.error = o.error;
    r.value = o.value;
    r.writer = o.writer;
    std::size_t len = encode_response(buf, r);
    if (len == 0) return;
    _out.send(to, std::span(buf).first(len), socket);
    _ctr.inc(ctr::tx_replies);
}

void node::on_forwarded_request(std::span<const std::byte> raw, const base::endpoint& from, std::uint16_t socket,
                                bool from_id_valid, base::mono_time now) noexcept {
    _now = now;
    auto req = decode_request(raw);
    if (!req || !_app) return;
    std::optional<node_id> from_id;
    if (from_id_valid) from_id = _ids.get(from);
    const incoming in{*req, raw, from, from_id, socket, _now};
    if (!_app->on_request(*this, in)) {
        _ctr.inc(ctr::unknown_command);
        reply(in, {.error = static_cast<std::uint64_t>(rpc_error::unknown_command), .token = false, .closer = true});
    }
}

base::addr_scope node::network_scope() const noexcept {
    for (const auto& a : {_cfg.public_address, _nat.address(), _cfg.bind_address}) {
        if (a && a->with_port(1).scope() != base::addr_scope::unusable) return a->with_port(1).scope();
    }
    return base::addr_scope::global;
}

void node::relay(const incoming& in, std::span<const std::byte> value, const base::endpoint& to) noexcept {
    std::array<std::byte, max_datagram> buf;
    request_out q;
    q.tid = in.req.tid;
    q.to = to;
    q.id = (!_ephemeral && in.socket == 0) ? &_table.self() : nullptr;
    q.internal = in.req.internal;
    q.command = in.req.command;
    q.tgt = in.req.tgt ? &*in.req.tgt : nullptr;
    q.value = value;
    std::size_t len = encode_request(buf, q);
    if (len == 0) return;
    _out.send(to, std::span(buf).first(len), in.socket);
    _ctr.inc(ctr::tx_requests);
}

std::size_t node::closest_nodes(const target& t, std::span<base::endpoint> out) noexcept {
    std::array<std::uint32_t, 64> slots;
    const std::size_t want = std::min(out.size(), slots.size());
    const std::size_t n = _table.closest(t, std::span(slots).first(want));
    for (std::size_t i = 0; i < n; ++i) out[i] = _table.at(slots[i]).addr;
    return n;
}

rpc_handle node::request(rpc_request req, rpc_client* client, std::uint64_t cookie) noexcept {
    _ctr.inc(ctr::tx_requests);
    const node_id* id = (!_ephemeral && req.socket == 0) ? &_table.self() : nullptr;
    return _rpc.send(std::move(req), client, cookie, id, _now);
}

void node::send_ping(const base::endpoint& to, std::function<void(bool ok, const rpc_reply*)> done,
                     std::uint16_t socket, bool ping_nat, std::uint16_t nat_port) {
    auto r = std::make_unique<internal_request>();
    r->owner = this;
    r->key = _next_internal++;
    r->done = std::move(done);
    internal_request* raw = r.get();
    _internal.emplace(r->key, std::move(r));
    rpc_request req;
    req.to = to;
    req.internal = true;
    req.socket = socket;
    if (ping_nat) {
        req.command = static_cast<std::uint64_t>(internal_cmd::ping_nat);
        std::vector<std::byte> v(2);
        v[0] = std::byte(nat_port & 0xff);
        v[1] = std::byte(nat_port >> 8);
        req.value = std::move(v);
    } else {
        req.command = static_cast<std::uint64_t>(internal_cmd::ping);
    }
    request(std::move(req), raw, 0);
}

std::uint64_t node::start_query(query_spec spec) {
    _refresh_ticks = refresh_ticks;  // any user query postpones the idle refresh
    const std::uint64_t id = _next_query++;
    auto q = std::make_unique<query>(static_cast<query_env&>(*this), id, std::move(spec));
    query* raw = q.get();
    _queries.emplace(id, std::move(q));
    raw->start();
    return id;
}

void node::cancel_query(std::uint64_t id) noexcept {
    auto it = _queries.find(id);
    if (it != _queries.end()) it->second->cancel();
}

void node::query_finished(std::uint64_t id) noexcept {
    auto it = _queries.find(id);
    if (it == _queries.end()) return;
    _finished_queries.push_back(std::move(it->second));
    _queries.erase(it);
}

void node::down_hint(const base::endpoint& to, const base::endpoint& down) noexcept {
    if (_cfg.down_hints_per_tick >= 0 && _down_hints_this_tick >= _cfg.down_hints_per_tick) {
        _ctr.inc(ctr::down_hints_suppressed);
        return;
    }
    ++_down_hints_this_tick;
    _ctr.inc(ctr::down_hints_sent);
    rpc_request req;
    req.to = to;
    req.internal = true;
    req.command = static_cast<std::uint64_t>(internal_cmd::down_hint);
    std::vector<std::byte> v(6);
    put_addr(std::span<std::byte, 6>(v.data(), 6), down);
    req.value = std::move(v);
    req.socket = request_socket();
    send_ping_like(std::move(req));
}

void node::send_ping_like(rpc_request req) {
    auto r = std::make_unique<internal_request>();
    r->owner = this;
    r->key = _next_internal++;
    internal_request* raw = r.get();
    _internal.emplace(r->key, std::move(r));
    request(std::move(req), raw, 0);
}

bool node::post(std::uint16_t to, std::uint32_t type, std::span<const std::byte> payload) noexcept {
    if (to == _cfg.shard || to >= _cfg.shards) return false;
    if (!_out.post(to, type, payload)) {
        _ctr.inc(ctr::shard_messages_dropped);
        return false;
    }
    _ctr.inc(ctr::shard_messages_out);
    return true;
}

base::timer_handle node::app_timer(base::mono_time at, std::uint32_t cookie) {
    return _wheel.schedule(at, make_timer_cookie(timer_kind::app, cookie));
}

void node::on_timer(base::mono_time now) noexcept {
    _affinity.check();
    _now = now;
    _finished_queries.clear();
    _wheel.advance(now, [this](std::uint64_t c) { on_timer_fired(c); });
}

void node::on_timer_fired(std::uint64_t cookie) noexcept {
    const std::uint64_t payload = timer_payload_of(cookie);
    switch (timer_kind_of(cookie)) {
        case timer_kind::rpc: _rpc.on_timeout(payload, _now); break;
        case timer_kind::tick:
            on_tick();
            _wheel.schedule(_now + tick_interval, make_timer_cookie(timer_kind::tick, 0));
            break;
        case timer_kind::drain:
            _rpc.drain(_now);
            _wheel.schedule(_now + drain_interval, make_timer_cookie(timer_kind::drain, 0));
            break;
        case timer_kind::delayed_ping: {
            auto i = static_cast<std::uint32_t>(payload);
            if (i >= _delayed.size() || !_delayed[i].live) break;
            delayed_ping d = _delayed[i];
            _delayed[i].live = false;
            _delayed_free.push_back(i);
            --_delayed_live;
            std::array<std::byte, 64> buf;
            response_out r;
            r.tid = d.tid;
            r.to = d.to;
            r.id = (!_ephemeral && d.socket == 0) ? &_table.self() : nullptr;
            std::size_t len = encode_response(buf, r);
            if (len) {
                _out.send(d.to, std::span(buf).first(len), d.socket);
                _ctr.inc(ctr::tx_replies);
            }
            break;
        }
        case timer_kind::app:
            if (_app) _app->on_timer(*this, payload, _now);
            break;
        default: break;
    }
}

}  // namespace dht
