#include "tools/load/load_handler.h"

#include <algorithm>
#include <cstring>

#include "base/byte_reader.h"
#include "base/byte_writer.h"
#include "crypto/hash.h"
#include "dht/compact.h"
#include "hyperdht/hyper_messages.h"
#include "dht/ids.h"
#include "dht/wire.h"
#include "engine/shard.h"

namespace load {

namespace {
constexpr std::uint64_t tick_cookie = 1;
constexpr base::nanoseconds tick = base::milliseconds(1);
constexpr base::nanoseconds token_refresh = base::seconds(4);
// A token is accepted for 7.5-15 s after it was issued; do not send an item
// signed with one older than this.
constexpr std::int64_t token_max_age_ns = 7'000'000'000;

std::int64_t ns(base::mono_time t) noexcept { return base::to_ns(t); }
std::uint64_t wire_cmd(dht::hyper::command c) noexcept { return static_cast<std::uint64_t>(c); }
}  // namespace

bool flow_shared::read_token(dht::token& t, std::int64_t& issued) const noexcept {
    for (;;) {
        const auto v1 = version.load(std::memory_order_acquire);
        if (v1 == 0) return false;
        if (v1 & 1) continue;
        std::array<std::uint8_t, 32> a;
        for (std::size_t i = 0; i < 4; ++i) {
            const std::uint64_t w = token[i].load(std::memory_order_relaxed);
            std::memcpy(a.data() + 8 * i, &w, 8);
        }
        issued = token_ns.load(std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_acquire);
        if (version.load(std::memory_order_relaxed) == v1) {
            t = dht::token(a);
            return true;
        }
    }
}

void flow_shared::write_token(const dht::token& t, std::int64_t issued) noexcept {
    const auto v = version.load(std::memory_order_relaxed);
    version.store(v + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    for (std::size_t i = 0; i < 4; ++i) {
        std::uint64_t w;
        std::memcpy(&w, t.data() + 8 * i, 8);
        token[i].store(w, std::memory_order_relaxed);
    }
    token_ns.store(issued, std::memory_order_relaxed);
    version.store(v + 2, std::memory_order_release);
}

bool plan::needs_tokens() const noexcept {
    return preload > 0 || requests.has(command::announce) || requests.has(command::mutable_put) ||
           requests.has(command::immutable_put);
}

void load_handler::on_start(engine::shard& s) noexcept {
    _st = &_plan.stats[s.id().value()];
    _rnd = base::prng(_plan.seed * 7919 + s.id().value());
    const auto& locals = s.local_endpoints();
    _fake_first = _plan.flows;
    _fake_count = s.id().value() == 0 ? static_cast<std::uint32_t>(_plan.fake_nodes.size()) : 0;
    _flow_target.resize(_plan.flows);
    _flow_out.assign(_plan.flows, 0);
    _recycle.assign(_plan.flows, {});
    _recycle_next.assign(_plan.flows, 0);
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
    if (_plan.needs_tokens()) fetch_tokens(s);
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

// One LOOKUP per flow, sent only for the round-trip token in its reply.
void load_handler::fetch_tokens(engine::shard& s) noexcept {
    _tokens_at = s.now();
    for (std::uint16_t f = 0; f < _plan.flows; ++f) {
        const std::int64_t tid = alloc_tid();
        if (tid < 0) return;
        auto buf = s.send_buffer();
        if (buf.empty()) return;
        const dht::target t = _plan.topics.empty() ? dht::target() : _plan.topics[0];
        dht::request_out q;
        q.tid = dht::txn_id(static_cast<std::uint16_t>(tid));
        q.to = _plan.targets[_flow_target[f]];
        q.command = wire_cmd(dht::hyper::command::lookup);
        q.tgt = &t;
        s.commit_send(q.to, dht::encode_request(buf, q), f);
        auto& e = _inflight[static_cast<std::size_t>(tid)];
        e = {ns(s.now()), e.generation + 1, f, command::lookup, true, false, true};
        ++_live;
        _timeouts.push_back({e.sent_ns, static_cast<std::uint16_t>(tid), e.generation});
    }
}

// Encodes one request of kind c for `flow` into buf. 0: nothing to send now.
std::size_t load_handler::build(engine::shard& s, command c, std::uint16_t flow, std::span<std::byte> buf,
                                dht::request_out& q) noexcept {
    namespace h = dht::hyper;
    auto random_target = [&] {
        std::array<std::uint8_t, 32> t;
        for (std::size_t i = 0; i < 32; i += 8) {
            const std::uint64_t v = _rnd();
            std::memcpy(t.data() + i, &v, 8);
        }
        return dht::target(t);
    };
    auto flow_token = [&](dht::token& t) {
        std::int64_t issued = 0;
        auto& fs = *_plan.flows_shared[std::size_t{s.id().value()} * _plan.flows + flow];
        return fs.read_token(t, issued) && ns(s.now()) - issued < token_max_age_ns;
    };
    dht::target tgt;
    dht::token tok;
    std::array<std::byte, 1200> val;
    switch (c) {
        case command::find_node:
            tgt = random_target();
            q.internal = true;
            q.command = static_cast<std::uint64_t>(dht::internal_cmd::find_node);
            q.tgt = &tgt;
            return dht::encode_request(buf, q);
        case command::echo: {
            q.internal = true;
            q.command = static_cast<std::uint64_t>(dht::internal_cmd::ping);
            std::size_t len = dht::encode_request(buf, q);
            if (len && _plan.echo_bytes > len) {
                std::memset(buf.data() + len, 0, _plan.echo_bytes - len);
                len = _plan.echo_bytes;
            }
            return len;
        }
        case command::lookup:
            tgt = _plan.topics[_rnd.below(_plan.topics.size())];
            q.command = wire_cmd(h::command::lookup);
            q.tgt = &tgt;
            return dht::encode_request(buf, q);
        case command::find_peer:
        case command::mutable_get:
        case command::immutable_get: {
            const auto& kp = _plan.keys[_rnd.below(_plan.keys.size())];
            tgt = dht::target(crypto::blake2b_256(kp.pk.bytes()).array());
            q.tgt = &tgt;
            if (c == command::find_peer) q.command = wire_cmd(h::command::find_peer);
            if (c == command::immutable_get) q.command = wire_cmd(h::command::immutable_get);
            if (c == command::mutable_get) {
                q.command = wire_cmd(h::command::mutable_get);
                const std::byte zero{0};
                q.value = std::span<const std::byte>(&zero, 1);
                return dht::encode_request(buf, q);
            }
            return dht::encode_request(buf, q);
        }
        case command::announce: {
            auto& ring = _plan.flows_shared[std::size_t{s.id().value()} * _plan.flows + flow]->ready;
            const signed_item* use = nullptr;
            signed_item fresh;
            ring.consume(
                [&](signed_item& it) {
                    if (ns(s.now()) - it.token_ns >= token_max_age_ns) {
                        _st->stale.inc();
                        return;
                    }
                    fresh = it;
                    use = &fresh;
                },
                1);
            auto& pool = _recycle[flow];
            const bool preloading = _plan.now_phase.load(std::memory_order_relaxed) == phase::preload;
            if (use && !preloading) {
                if (pool.size() < 128) {
                    pool.push_back(fresh);
                } else {
                    pool[_recycle_next[flow]++ % pool.size()] = fresh;
                }
            } else if (!use && !preloading) {
                // Re-send a recent one while its token is good.
                while (!pool.empty()) {
                    auto& cand = pool[_recycle_next[flow]++ % pool.size()];
                    if (ns(s.now()) - cand.token_ns < token_max_age_ns) {
                        use = &cand;
                        break;
                    }
                    cand = pool.back();
                    pool.pop_back();
                }
            }
            if (!use) {
                _st->starved.inc();
                return 0;
            }
            tgt = _plan.topics[use->topic];
            tok = use->tok;
            q.command = wire_cmd(h::command::announce);
            q.tgt = &tgt;
            q.tok = &tok;
            q.value = std::span<const std::byte>(use->value.data(), use->len);
            return dht::encode_request(buf, q);
        }
        case command::mutable_put: {
            if (!flow_token(tok)) return 0;
            const auto& kp = _plan.keys[_rnd.below(_plan.keys.size())];
            tgt = dht::target(crypto::blake2b_256(kp.pk.bytes()).array());
            // The same signed value each time: a put with the stored seq and
            // value is a valid refresh. Signed here, once per request, costs
            // ~20 us; the storage benchmarks use announce for signed load.
            std::vector<std::byte> v(_plan.value_bytes, std::byte{0x42});
            const auto sig = crypto::sign(h::mutable_signable(1, v), kp.sk);
            const auto put = h::encode_mutable_put(kp.pk, 1, v, sig);
            std::memcpy(val.data(), put.data(), std::min(put.size(), val.size()));
            q.command = wire_cmd(h::command::mutable_put);
            q.tgt = &tgt;
            q.tok = &tok;
            q.value = std::span<const std::byte>(val.data(), std::min(put.size(), val.size()));
            return dht::encode_request(buf, q);
        }
        case command::immutable_put: {
            if (!flow_token(tok)) return 0;
            const std::size_t n = std::min(_plan.value_bytes, val.size());
            for (std::size_t i = 0; i < n; i += 8) {
                const std::uint64_t r = _rnd();
                std::memcpy(val.data() + i, &r, std::min<std::size_t>(8, n - i));
            }
            tgt = dht::target(crypto::blake2b_256(std::span<const std::byte>(val.data(), n)).array());
            q.command = wire_cmd(h::command::immutable_put);
            q.tgt = &tgt;
            q.tok = &tok;
            q.value = std::span<const std::byte>(val.data(), n);
            return dht::encode_request(buf, q);
        }
        default:  // ping
            q.internal = true;
            q.command = static_cast<std::uint64_t>(dht::internal_cmd::ping);
            return dht::encode_request(buf, q);
    }
}

bool load_handler::send_one(engine::shard& s, std::uint16_t flow) noexcept {
    if (!sending()) return false;
    const auto ph = _plan.now_phase.load(std::memory_order_relaxed);
    const command c = ph == phase::preload ? command::announce : _plan.requests.pick(_rnd);
    const std::int64_t tid = alloc_tid();
    if (tid < 0) {
        _st->shed.inc();
        return false;
    }
    auto buf = s.send_buffer();
    if (buf.empty()) return false;
    dht::request_out q;
    q.tid = dht::txn_id(static_cast<std::uint16_t>(tid));
    q.to = _plan.targets[_flow_target[flow]];
    const std::size_t len = build(s, c, flow, buf, q);
    s.commit_send(q.to, len, flow);  // len 0 gives the slot back
    if (len == 0) return false;
    auto& e = _inflight[static_cast<std::size_t>(tid)];
    const auto now = ns(s.now());
    e.sent_ns = now;
    e.flow = flow;
    e.cmd = c;
    e.live = true;
    e.token_fetch = false;
    e.measured = ph == phase::measure;
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
    if (e.token_fetch) {
        auto res = dht::decode_response(d.data);
        if (res && res->tok) {
            _plan.flows_shared[std::size_t{s.id().value()} * _plan.flows + e.flow]->write_token(*res->tok, ns(d.now));
        }
        return;
    }
    --_flow_out[e.flow];
    auto& cs = _st->cmd[static_cast<std::size_t>(e.cmd)];
    bool error = false;
    if (e.cmd != command::echo) {
        auto res = dht::decode_response(d.data);
        error = !res || res->error != 0;
    }
    if (!error && _plan.now_phase.load(std::memory_order_relaxed) == phase::preload && e.cmd == command::announce) {
        _st->preloaded.inc();
    }
    if (e.measured) {
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
        if (e.token_fetch) continue;
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
    if (_plan.needs_tokens() && s.now() - _tokens_at >= token_refresh) fetch_tokens(s);
    const bool preloading = _plan.now_phase.load(std::memory_order_relaxed) == phase::preload;
    if (_plan.rate_per_shard > 0 && !preloading) {
        pace(s);
    } else {
        // Closed loop (and preload): flows that could not send catch up here.
        for (std::uint16_t f = 0; f < _plan.flows; ++f) {
            while (_flow_out[f] < _plan.window && send_one(s, f)) {
            }
        }
    }
    if (_plan.now_phase.load(std::memory_order_relaxed) != phase::done) s.arm_timer(s.now() + tick, tick_cookie);
}

}  // namespace load
