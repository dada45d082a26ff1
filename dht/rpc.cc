#include "dht/rpc.h"

#include <array>
#include <chrono>

namespace dht {

rpc::rpc(std::uint16_t shard, std::uint16_t shards, host& out, base::timer_wheel& wheel, const crypto::hash32& tid_key)
    : _shard(shard), _shards(shards ? shards : 1), _out(out), _wheel(wheel), _tid_stream(tid_key), _by_tid(65536, 0) {
    _tid_span = (65535u - _shard) / _shards + 1;
}

// A tid is tid % shards == shard (replies reach the owning shard) and
// otherwise drawn at random from the keystream, so an off-path sender who
// saw one cannot predict the next (docs/protocol.md §2.7).
// One in flight is skipped: a few draws find a free one while fewer than
// half are in use; past that a scan from the last draw does.
txn_id rpc::next_tid() noexcept {
    std::uint32_t c = 0;
    for (int draw = 0; draw < 8; ++draw) {
        c = static_cast<std::uint32_t>(_tid_stream.next() % _tid_span);
        const auto v = static_cast<std::uint16_t>(c * _shards + _shard);
        if (_by_tid[v] == 0) return txn_id(v);
    }
    for (std::uint32_t tries = 0; tries < _tid_span; ++tries, c = (c + 1) % _tid_span) {
        const auto v = static_cast<std::uint16_t>(c * _shards + _shard);
        if (_by_tid[v] == 0) return txn_id(v);
    }
    return txn_id(static_cast<std::uint16_t>(_shard));  // unreachable: fewer slots than tids
}

rpc_handle rpc::send(rpc_request req, rpc_client* client, std::uint64_t cookie, const node_id* self_id,
                     base::mono_time now) {
    const std::uint32_t slot = _slots.alloc_keep();
    entry& e = _slots[slot];
    e.req = std::move(req);
    e.client = client;
    e.cookie = cookie;
    e.tid = next_tid();
    e.sent = 0;
    e.active = true;
    e.counted = false;
    e.first_sent = now;
    _by_tid[e.tid.value()] = slot + 1;
    ++_active;

    std::array<std::byte, max_datagram> buf;
    request_out q;
    q.tid = e.tid;
    q.to = e.req.to;
    q.id = self_id;
    q.tok = e.req.tok ? &*e.req.tok : nullptr;
    q.internal = e.req.internal;
    q.command = e.req.command;
    q.tgt = e.req.tgt ? &*e.req.tgt : nullptr;
    if (e.req.value) q.value = std::span<const std::byte>(*e.req.value);
    std::size_t n = encode_request(buf, q);
    e.bytes.assign(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));

    rpc_handle h{slot, e.generation};
    if (n == 0) {
        // Too large to send: fail right away rather than time out.
        rpc_client* c = e.client;
        rpc_request copy = e.req;
        std::uint64_t ck = e.cookie;
        finish(slot);
        if (c) c->on_fail(ck, rpc_fail::cancelled, copy);
        return h;
    }
    if (!e.req.force && window_full()) {
        _pending.push_back(slot);
        _stats.inc(rpc_ctr::queued);
    } else {
        transmit(slot, now);
    }
    return h;
}

void rpc::transmit(std::uint32_t slot, base::mono_time now) noexcept {
    entry& e = _slots[slot];
    ++e.sent;
    _stats.inc(rpc_ctr::sent);
    congestion_send();
    e.counted = true;
    _out.send(e.req.to, e.bytes, e.req.socket);
    if (_wheel.armed(e.timer)) _wheel.cancel(e.timer);
    // payload: generation (low 24 bits) << 32 | slot
    e.timer = _wheel.schedule(now + e.req.timeout, detail::make_timer_cookie(detail::timer_kind::rpc,
                                                                             std::uint64_t{e.generation & 0xffffff} << 32 | slot));
}

void rpc::finish(std::uint32_t slot) noexcept {
    entry& e = _slots[slot];
    if (!e.active) return;
    if (_wheel.armed(e.timer)) _wheel.cancel(e.timer);
    if (e.counted) congestion_recv();
    _by_tid[e.tid.value()] = 0;
    e.active = false;
    e.counted = false;
    e.client = nullptr;
    ++e.generation;
    --_active;
    _slots.release_keep(slot);
}

void rpc::cancel(rpc_handle h, bool notify) noexcept {
    if (h.slot >= _slots.capacity()) return;
    entry& e = _slots[h.slot];
    if (!e.active || e.generation != h.generation) return;
    rpc_client* c = e.client;
    std::uint64_t cookie = e.cookie;
    rpc_request req = notify ? e.req : rpc_request{};
    // A request still waiting for the window is skipped when drained.
    finish(h.slot);
    if (notify && c) c->on_fail(cookie, rpc_fail::cancelled, req);
}

std::uint32_t rpc::match(const response_view& res, const base::endpoint& from) const noexcept {
    std::uint32_t idx = _by_tid[res.tid.value()];
    if (idx == 0) return UINT32_MAX;
    const entry& e = _slots[idx - 1];
    if (!(e.req.to == from) || e.sent == 0) return UINT32_MAX;
    return idx - 1;
}

void rpc::complete(std::uint32_t slot, const response_view& res, const base::endpoint& from,
                   std::optional<node_id> from_id, std::uint16_t socket, base::mono_time now) noexcept {
    entry& e = _slots[slot];
    if (!e.active) return;
    _stats.inc(rpc_ctr::responses);
    rpc_client* c = e.client;
    std::uint64_t cookie = e.cookie;
    auto rtt = now - e.first_sent;
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(rtt).count();
    _stats.inc(rtt_bucket(us));
    _stats.inc(rpc_ctr::rtt_sum_us, static_cast<std::uint64_t>(us > 0 ? us : 0));
    finish(slot);
    if (c) c->on_reply(cookie, rpc_reply{res, from, from_id, rtt, socket});
}

void rpc::on_timeout(std::uint64_t payload, base::mono_time now) noexcept {
    const auto slot = static_cast<std::uint32_t>(payload & 0xffffffffu);
    if (slot >= _slots.capacity()) return;
    entry& e = _slots[slot];
    if (!e.active || (e.generation & 0xffffff) != payload >> 32) return;  // a timer of an earlier use of the slot
    e.timer = {};
    if (e.sent > e.req.retries) {
        _stats.inc(rpc_ctr::timeouts);
        if (on_any_timeout) on_any_timeout(e.req);
        rpc_client* c = e.client;
        std::uint64_t cookie = e.cookie;
        rpc_request req = std::move(e.req);
        finish(slot);
        if (c) c->on_fail(cookie, rpc_fail::timeout, req);
        return;
    }
    _stats.inc(rpc_ctr::retries);
    if (e.client) e.client->on_retry(e.cookie);
    if (!_slots[slot].active) return;  // the client cancelled it
    if (!e.req.force && window_full()) {
        _pending.push_back(slot);
    } else {
        transmit(slot, now);
    }
}

void rpc::drain(base::mono_time now) noexcept {
    _slot_i = (_slot_i + 1) & 3;
    _total -= _window[_slot_i];
    _window[_slot_i] = 0;
    while (!_pending.empty() && !window_full()) {
        std::uint32_t slot = _pending.front();
        _pending.pop_front();
        if (_slots[slot].active && !_wheel.armed(_slots[slot].timer)) transmit(slot, now);
    }
}

void rpc::congestion_send() noexcept {
    ++_total;
    ++_window[_slot_i];
}

void rpc::congestion_recv() noexcept {
    if (_window[_slot_i] > 0) {
        --_window[_slot_i];
        --_total;
    }
}

}  // namespace dht
