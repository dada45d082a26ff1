#include "tools/load/load_handler.h"

#include <algorithm>
#include <cstring>

#include "base/byte_reader.h"
#include "dht/ids.h"
#include "dht/wire.h"
#include "engine/shard.h"

namespace load {

namespace {
constexpr std::uint64_t tick_cookie = 1;
constexpr base::nanoseconds tick = base::milliseconds(1);

std::int64_t ns(base::mono_time t) noexcept { return base::to_ns(t); }
}  // namespace

void load_handler::on_start(engine::shard& s) noexcept {
    _st = &_plan.stats[s.id().value()];
    _rnd = base::prng(_plan.seed * 7919 + s.id().value());
    const auto& locals = s.local_endpoints();
    _fake_first = _plan.flows;
    _fake_count = s.id().value() == 0 ? static_cast<std::uint32_t>(_plan.fake_nodes.size()) : 0;
    _flow_target.resize(_plan.flows);
    _flow_out.assign(_plan.flows, 0);
    for (std::uint32_t f = 0; f < _plan.flows; ++f) {
        _flow_target[f] = static_cast<std::uint16_t>((f + s.id().value()) % _plan.targets.size());
    }
    // Fake nodes introduce themselves: a PING carrying their (valid) id makes
    // the target add them to its routing table.
    for (std::uint32_t i = 0; i < _fake_count; ++i) {
        const auto& me = locals[_fake_first + i];
        const dht::node_id id = dht::id_of(me);
        for (const auto& t : _plan.targets) {
            std::array<std::byte, 64> buf;
            dht::request_out q;
            q.tid = dht::txn_id(static_cast<std::uint16_t>(i));
            q.to = t;
            q.id = &id;
            q.internal = true;
            q.command = static_cast<std::uint64_t>(dht::internal_cmd::ping);
            auto n = dht::encode_request(buf, q);
            s.send(t, std::span(buf).first(n), static_cast<std::uint16_t>(_fake_first + i));
        }
    }
    _rate_start = s.now();
    s.arm_timer(s.now() + tick, tick_cookie);
}

std::int64_t load_handler::alloc_tid() noexcept {
    if (_live >= 65535) return -1;
    for (;;) {
        auto t = static_cast<std::uint16_t>(_next_tid++);
        if (!_inflight[t].live) return t;
    }
}

bool load_handler::send_one(engine::shard& s, std::uint16_t flow) noexcept {
    if (!sending()) return false;
    const std::int64_t tid = alloc_tid();
    if (tid < 0) {
        _st->shed.inc();
        return false;
    }
    const command c = _plan.requests.pick(_rnd);
    const base::endpoint& to = _plan.targets[_flow_target[flow]];
    auto buf = s.send_buffer();
    if (buf.empty()) return false;
    dht::request_out q;
    q.tid = dht::txn_id(static_cast<std::uint16_t>(tid));
    q.to = to;
    q.internal = true;
    dht::target tgt;
    std::size_t len = 0;
    switch (c) {
        case command::find_node: {
            std::array<std::uint8_t, 32> t;
            for (std::size_t i = 0; i < 32; i += 8) {
                const std::uint64_t v = _rnd();
                std::memcpy(t.data() + i, &v, 8);
            }
            tgt = dht::target(t);
            q.command = static_cast<std::uint64_t>(dht::internal_cmd::find_node);
            q.tgt = &tgt;
            len = dht::encode_request(buf, q);
            break;
        }
        case command::echo: {
            q.command = static_cast<std::uint64_t>(dht::internal_cmd::ping);
            len = dht::encode_request(buf, q);
            if (len && _plan.echo_bytes > len) {
                std::memset(buf.data() + len, 0, _plan.echo_bytes - len);
                len = _plan.echo_bytes;
            }
            break;
        }
        default:  // ping (the other commands are validated away before start)
            q.command = static_cast<std::uint64_t>(dht::internal_cmd::ping);
            len = dht::encode_request(buf, q);
            break;
    }
    s.commit_send(to, len, flow);
    auto& e = _inflight[static_cast<std::size_t>(tid)];
    const auto now = ns(s.now());
    e.sent_ns = now;
    e.flow = flow;
    e.cmd = c;
    e.live = true;
    e.measured = _plan.now_phase.load(std::memory_order_relaxed) == phase::measure;
    ++e.generation;
    ++_live;
    ++_flow_out[flow];
    _timeouts.push_back({now, static_cast<std::uint16_t>(tid), e.generation});
    if (e.measured) _st->cmd[static_cast<std::size_t>(c)].sent.inc();
    return true;
}

void load_handler::on_packet(engine::shard& s, const engine::datagram& d) noexcept {
    if (d.socket >= _fake_first && d.socket < _fake_first + _fake_count) {
        reply_as_fake_node(s, d);
        return;
    }
    if (d.data.size() < 4) {
        _st->foreign.inc();
        return;
    }
    // Replies carry our tid at offset 2 (an echo returns our request as is).
    const auto tid = static_cast<std::uint16_t>(std::to_integer<unsigned>(d.data[2]) |
                                                std::to_integer<unsigned>(d.data[3]) << 8);
    auto& e = _inflight[tid];
    if (!e.live || e.flow != d.socket) {
        _st->foreign.inc();
        return;
    }
    e.live = false;
    --_live;
    --_flow_out[e.flow];
    auto& cs = _st->cmd[static_cast<std::size_t>(e.cmd)];
    if (e.measured) {
        bool error = false;
        if (e.cmd != command::echo) {
            auto res = dht::decode_response(d.data);
            error = !res || res->error != 0;
        }
        (error ? cs.errors : cs.replies).inc();
        cs.latency_ns.record(static_cast<std::uint64_t>(ns(d.now) - e.sent_ns));
    }
    if (_plan.rate_per_shard <= 0) send_one(s, e.flow);
}

// A fake node answers as a persistent node at its own address would.
void load_handler::reply_as_fake_node(engine::shard& s, const engine::datagram& d) noexcept {
    const auto& me = s.local_endpoints()[d.socket];
    if (d.data.size() >= 2 && d.data[0] == std::byte{dht::response_byte}) {
        _st->populated.inc();  // the target answered our introduction
        return;
    }
    auto req = dht::decode_request(d.data);
    if (!req || !req->internal) return;
    if (req->command != static_cast<std::uint64_t>(dht::internal_cmd::ping) &&
        req->command != static_cast<std::uint64_t>(dht::internal_cmd::find_node)) {
        return;
    }
    const dht::node_id id = dht::id_of(me);
    std::array<std::byte, 128> buf;
    dht::response_out r;
    r.tid = req->tid;
    r.to = d.from;
    r.id = &id;
    auto n = dht::encode_response(buf, r);
    s.send(d.from, std::span(buf).first(n), d.socket);
}

void load_handler::expire(engine::shard& s) noexcept {
    const std::int64_t limit = ns(s.now()) - _plan.timeout.count();
    while (!_timeouts.empty() && _timeouts.front().sent_ns <= limit) {
        auto t = _timeouts.front();
        _timeouts.pop_front();
        auto& e = _inflight[t.tid];
        if (!e.live || e.generation != t.generation) continue;
        e.live = false;
        --_live;
        --_flow_out[e.flow];
        if (e.measured) _st->cmd[static_cast<std::size_t>(e.cmd)].timeouts.inc();
        if (_plan.rate_per_shard <= 0) send_one(s, e.flow);
    }
}

// Open loop: send what the rate says is due since the start, round robin.
void load_handler::pace(engine::shard& s) noexcept {
    const double elapsed = std::chrono::duration<double>(s.now() - _rate_start).count();
    const double due = _plan.rate_per_shard * elapsed - _rate_sent;
    for (double i = 0; i < due && sending(); i += 1) {
        _rate_sent += 1;
        send_one(s, _rr);
        _rr = static_cast<std::uint16_t>((_rr + 1) % _plan.flows);
    }
}

void load_handler::on_timer(engine::shard& s, std::uint64_t, base::mono_time) noexcept {
    expire(s);
    if (_plan.rate_per_shard > 0) {
        pace(s);
    } else {
        // Closed loop: a flow that could not send (no free send slot) catches up here.
        for (std::uint16_t f = 0; f < _plan.flows; ++f) {
            while (_flow_out[f] < _plan.window && send_one(s, f)) {
            }
        }
    }
    if (_plan.now_phase.load(std::memory_order_relaxed) != phase::done) s.arm_timer(s.now() + tick, tick_cookie);
}

}  // namespace load
