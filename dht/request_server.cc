// dht::request_server: request handling, the internal commands, replies and
// the cross-shard hand-off of requests another shard owns (request_server.h).
#include "dht/request_server.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <type_traits>

#include "base/byte_reader.h"
#include "dht/detail/node_internal.h"
#include "dht/identity.h"
#include "dht/table_keeper.h"

namespace dht {

using namespace detail;

namespace {
// msg_request := forward_head, then the datagram. Ring messages never leave
// the process, so the head is copied as it lies in memory.
struct forward_head {
    request_layout layout;
    base::endpoint from;
    std::uint16_t socket = 0;
    std::uint8_t from_id = 0;  // 1: the receiving shard verified the sender's id (a byte: any value reads safely)
};
static_assert(std::is_trivially_copyable_v<forward_head>);

constexpr reply_opts unknown_opts{.error = static_cast<std::uint64_t>(rpc_error::unknown_command), .token = false,
                                  .closer = true};
}  // namespace

// decode -> validate -> act (docs/protocol.md §2.6).
void request_server::on_request(std::span<const std::byte> bytes, const base::endpoint& from,
                                std::uint16_t socket) noexcept {
    auto req = decode_request(bytes);
    if (!req) {
        count_decode_error(_ctr, req.error());
        return;
    }
    _ctr.inc(ctr::rx_requests);
    std::optional<node_id> from_id;
    if (req->id) {
        from_id = _c.ids.validate(*req->id, from);
        if (!from_id) _ctr.inc(ctr::id_mismatch);
    }
    const incoming in{*req, bytes, from, from_id, socket, _c.now};
    if (req->tok && !_c.tokens.valid(*req->tok, from, _c.now)) {
        _ctr.inc(ctr::token_invalid);
        reply_to(req->tid, from, socket, req->tgt ? &*req->tgt : nullptr,
                 {.error = static_cast<std::uint64_t>(rpc_error::invalid_token), .token = true, .closer = true});
        return;
    }
    if (from_id) _c.keeper->node_from_network(socket == _c.ident->request_socket(), from, from_id, req->to);
    if (req->internal) {
        handle_internal(in);
        return;
    }
    _ctr.inc(ctr::app_requests);
    if (!_c.app || !_c.app->on_request(_c.self, in)) unknown_command(in);
}

void request_server::unknown_command(const incoming& in) noexcept {
    _ctr.inc(ctr::unknown_command);
    reply_to(in.req.tid, in.from, in.socket, in.req.tgt ? &*in.req.tgt : nullptr, unknown_opts);
}

void request_server::handle_internal(const incoming& in) noexcept {
    const auto& req = in.req;
    const target* tgt = req.tgt ? &*req.tgt : nullptr;
    const reply_opts bare{.token = false, .closer = false};
    switch (req.command) {
        case static_cast<std::uint64_t>(internal_cmd::ping):
            _ctr.inc(ctr::cmd_ping);
            reply_to(req.tid, in.from, in.socket, tgt, bare);
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
            reply_to(req.tid, in.from, in.socket, tgt, o);
            return;
        }
        case static_cast<std::uint64_t>(internal_cmd::find_node):
            if (!req.tgt) {
                _ctr.inc(ctr::drop_find_node_no_target);
                return;
            }
            _ctr.inc(ctr::cmd_find_node);
            reply_to(req.tid, in.from, in.socket, tgt, {.token = false, .closer = true});
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
                if (_c.primary()) {
                    _c.keeper->down_hinted(*suspect);
                } else {
                    std::array<std::byte, 6> b;
                    put_addr(b, *suspect);
                    _c.post(0, msg_down_hint, b);
                }
            }
            reply_to(req.tid, in.from, in.socket, tgt, bare);
            return;
        }
        case static_cast<std::uint64_t>(internal_cmd::delayed_ping): delay_ping(in); return;
        default: unknown_command(in); return;
    }
}

void request_server::delay_ping(const incoming& in) noexcept {
    const auto& req = in.req;
    if (!req.value || req.value->size() < 4) {
        _ctr.inc(ctr::drop_delayed_ping_bad_value);
        return;
    }
    base::byte_reader r(*req.value);
    auto delay = r.read_u32le();
    if (!delay || *delay > static_cast<std::uint64_t>(_c.cfg.max_ping_delay.count())) {
        _ctr.inc(ctr::drop_delayed_ping_bad_value);
        return;
    }
    if (_delayed_live >= _c.cfg.max_delayed_pings) {
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
    _c.wheel.schedule(_c.now + base::milliseconds(*delay), make_timer_cookie(timer_kind::delayed_ping, i));
}

void request_server::delayed_ping_due(std::uint64_t index) noexcept {
    auto i = static_cast<std::uint32_t>(index);
    if (i >= _delayed.size() || !_delayed[i].live) return;
    delayed_ping d = _delayed[i];
    _delayed[i].live = false;
    _delayed_free.push_back(i);
    --_delayed_live;
    std::array<std::byte, 64> buf;
    response_out r;
    r.tid = d.tid;
    r.to = d.to;
    r.id = _c.ident->frame_id(d.socket);
    std::size_t len = encode_response(buf, r);
    if (len) {
        _c.out.send(d.to, std::span(buf).first(len), d.socket);
        _ctr.inc(ctr::tx_replies);
    }
}

// The one place a response frame is built.
void request_server::reply_to(txn_id tid, const base::endpoint& from, std::uint16_t socket, const target* tgt,
                              const reply_opts& o) noexcept {
    const base::endpoint to = o.to.value_or(from);
    const node_id* id = _c.ident->frame_id(socket);
    token tok;
    if (o.token) tok = _c.tokens.issue(to, _c.now);
    std::array<base::endpoint, 20> closer;
    std::size_t n = 0;
    if (o.closer && tgt) {
        n = _c.keeper->closest_nodes(*tgt, std::span(closer).first(std::min(closer.size(), _c.cfg.k)));
    }
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
    _c.out.send(to, std::span(buf).first(len), socket);
    _ctr.inc(ctr::tx_replies);
}

void request_server::relay(const incoming& in, std::span<const std::byte> value, const base::endpoint& to) noexcept {
    std::array<std::byte, max_datagram> buf;
    request_out q;
    q.tid = in.req.tid;
    q.to = to;
    q.id = _c.ident->frame_id(in.socket);
    q.internal = in.req.internal;
    q.command = in.req.command;
    q.tgt = in.req.tgt ? &*in.req.tgt : nullptr;
    q.value = value;
    std::size_t len = encode_request(buf, q);
    if (len == 0) return;
    _c.out.send(to, std::span(buf).first(len), in.socket);
    _ctr.inc(ctr::tx_requests);
}

// Built on the stack: the only copy is the ring's own.
bool request_server::forward(std::uint16_t owner, const incoming& in) noexcept {
    std::array<std::byte, sizeof(forward_head) + max_datagram> msg;
    if (in.raw.size() > max_datagram) return false;
    const forward_head h{layout_of(in.req, in.raw), in.from, in.socket, static_cast<std::uint8_t>(in.from_id ? 1 : 0)};
    std::memcpy(msg.data(), &h, sizeof h);
    std::memcpy(msg.data() + sizeof h, in.raw.data(), in.raw.size());
    return _c.post(owner, msg_request, std::span(msg).first(sizeof h + in.raw.size()));
}

void request_server::on_forwarded(std::span<const std::byte> payload) noexcept {
    if (payload.size() < sizeof(forward_head) || !_c.app) return;
    forward_head h;
    std::memcpy(&h, payload.data(), sizeof h);
    const auto raw = payload.subspan(sizeof h);
    const std::optional<request_view> req = request_view_at(h.layout, raw);
    if (!req) {
        // Only this process posts these, so this never happens unless a bug does.
        _ctr.inc(ctr::bad_shard_messages);
        return;
    }
    std::optional<node_id> from_id;
    if (h.from_id != 0) from_id = req->id;  // verified equal to H(from) by the sender
    const incoming in{*req, raw, h.from, from_id, h.socket, _c.now};
    if (!_c.app->on_owned_request(_c.self, in)) unknown_command(in);
}

}  // namespace dht
