// dht::outgoing: one-off requests, queries and the responses to them (outgoing.h).
#include "dht/outgoing.h"

#include <algorithm>
#include <array>

#include "dht/detail/node_internal.h"
#include "dht/identity.h"
#include "dht/table_keeper.h"
#include "dht/wire.h"

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
struct outgoing::internal_request final : rpc_client {
    outgoing* owner = nullptr;
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

outgoing::outgoing(node_core& c) : _c(c), _ctr(c._ctr), _rpc(c.cfg.shard, c.cfg.shards, c.out, c.wheel, tid_key(c.cfg)) {
    _rpc.on_any_timeout = [this](const rpc_request& req) {
        if (!req.to_id) return;
        if (_c.primary()) {
            _c.keeper->remove_table_node(*req.to_id);
        } else {
            std::array<std::byte, 6> b;
            put_addr(b, req.to);
            _c.post(0, msg_node_timeout, b);
        }
    };
}

outgoing::~outgoing() = default;

const node_id* outgoing::request_id() const noexcept { return _c.ident->frame_id(request_socket()); }

std::uint16_t outgoing::request_socket() const noexcept { return _c.ident->request_socket(); }

std::size_t outgoing::closest_nodes(const target& t, std::span<base::endpoint> out) noexcept {
    return _c.keeper->closest_nodes(t, out);
}

void outgoing::on_response(std::span<const std::byte> bytes, const base::endpoint& from,
                           std::uint16_t socket) noexcept {
    auto res = decode_response(bytes);
    if (!res) {
        count_decode_error(_ctr, res.error());
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
        from_id = _c.ids.validate(*res->id, from);
        if (!from_id) _ctr.inc(ctr::id_mismatch);
    }
    // The table learns from the response before the request's owner sees it
    // (a liveness check compares "heard since" against it).
    _c.keeper->node_from_network(socket == request_socket(), from, from_id, res->to);
    _rpc.complete(slot, *res, from, from_id, socket, _c.now);
}

rpc_handle outgoing::request(rpc_request req, rpc_client* client, std::uint64_t cookie) noexcept {
    _ctr.inc(ctr::tx_requests);
    const node_id* id = _c.ident->frame_id(req.socket);
    return _rpc.send(std::move(req), client, cookie, id, _c.now);
}

void outgoing::send_ping(const base::endpoint& to, std::function<void(bool ok, const rpc_reply*)> done,
                         std::uint16_t socket, bool ping_nat, std::uint16_t nat_port) {
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
    send_internal(std::move(req), std::move(done));
}

void outgoing::send_internal(rpc_request req, std::function<void(bool ok, const rpc_reply*)> done) {
    auto r = std::make_unique<internal_request>();
    r->owner = this;
    r->key = _next_internal++;
    r->done = std::move(done);
    internal_request* raw = r.get();
    _internal.emplace(r->key, std::move(r));
    request(std::move(req), raw, 0);
}

std::uint64_t outgoing::start_query(query_spec spec) {
    _c.keeper->postpone_refresh(_c.keeper->refresh_period());  // any user query postpones the idle refresh
    const std::uint64_t id = _next_query++;
    auto q = std::make_unique<query>(static_cast<query_env&>(*this), id, std::move(spec));
    query* raw = q.get();
    _queries.emplace(id, std::move(q));
    raw->start();
    return id;
}

void outgoing::cancel_query(std::uint64_t id) noexcept {
    auto it = _queries.find(id);
    if (it != _queries.end()) it->second->cancel();
}

std::uint64_t outgoing::background_query(const target& t, std::function<void(const query_reply&)> on_reply,
                                         std::function<void(const query_result&)> on_done) {
    query_spec spec;
    spec.tgt = t;
    spec.internal = true;
    spec.command = static_cast<std::uint64_t>(internal_cmd::find_node);
    spec.full_concurrency = _c.cfg.concurrency;
    spec.concurrency = std::min(_c.cfg.concurrency, std::max<std::size_t>(2, _c.cfg.concurrency / 8));
    spec.background = true;
    spec.on_reply = std::move(on_reply);
    spec.on_done = std::move(on_done);
    return start_query(std::move(spec));
}

void outgoing::query_finished(std::uint64_t id) noexcept {
    auto it = _queries.find(id);
    if (it == _queries.end()) return;
    _finished_queries.push_back(std::move(it->second));
    _queries.erase(it);
}

void outgoing::down_hint(const base::endpoint& to, const base::endpoint& down) noexcept {
    if (_c.cfg.down_hints_per_tick >= 0 && _down_hints_this_tick >= _c.cfg.down_hints_per_tick) {
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
    send_internal(std::move(req), nullptr);
}

}  // namespace dht
