#include "hyperdht/hyperdht.h"

#include <cstring>

#include "base/byte_reader.h"
#include "base/byte_writer.h"
#include "dht/compact.h"

namespace dht {

namespace h = hyper;

namespace {
constexpr std::uint64_t expire_timer = 1;
constexpr std::uint64_t verify_timer = 2;
constexpr std::int64_t max_bump_drift_ms = 60'000;
}  // namespace

// A write waiting for its signature check. Owns copies of everything it
// needs: the datagram it came from is long gone when a batch completes.
struct hyperdht::pending_write {
    enum class kind : std::uint8_t { announce, unannounce, mutable_put } what = kind::announce;
    txn_id tid;
    base::endpoint from;
    std::uint16_t socket = 0;
    target tgt;
    // announce / unannounce
    store::peer_record record;
    bool announce_self = false;
    std::uint64_t bump = 0;
    std::optional<crypto::hash32> refresh;  // remembered once the announce is applied
    // mutable_put
    std::uint64_t seq = 0;
    std::vector<std::byte> encoded;  // the mutableGetResponse to store
    std::size_t value_offset = 0, value_len = 0;
};

hyperdht::hyperdht(node& n, hyperdht_config cfg)
    : _node(n), _cfg(cfg), _store(cfg.limits, n.now(), n.random()()), _rnd(n.random()()) {
    // Batches only where they give libsodium's verdicts (crypto/sign.h).
    if (cfg.batch_verify && crypto::batch_rule_matches_library()) {
        crypto::verify_queue_config qc;
        qc.max_batch = cfg.verify_batch;
        qc.max_delay = cfg.verify_delay;
        _queue = std::make_unique<crypto::verify_queue>(qc);
        _verify = [this](const verify_job& j, std::function<void(bool)> done) { queue_verify(j, std::move(done)); };
    } else {
        _verify = [](const verify_job& j, std::function<void(bool)> done) {
            done(crypto::verify(j.sig, j.msg, j.pk));
        };
    }
    _node.app_timer(_node.now() + _expire_every, expire_timer);
}

// Batched verification: the check waits in the shard's queue with its
// continuation; verdicts come back when the batch is full or old enough.
void hyperdht::queue_verify(const verify_job& j, std::function<void(bool)> done) {
    const std::uint64_t cookie = _next_cookie++;
    _waiting.emplace(cookie, std::move(done));
    bump(hctr::verify_deferred);
    _queue->push(cookie, j.msg, j.pk, j.sig, _node.now(), [this](std::uint64_t c, bool ok) {
        auto it = _waiting.find(c);
        if (it == _waiting.end()) return;
        auto k = std::move(it->second);
        _waiting.erase(it);
        k(ok);
    });
    arm_verify_timer();
}

void hyperdht::deliver_verdicts() noexcept {
    _queue->poll(_node.now(), [this](std::uint64_t c, bool ok) {
        auto it = _waiting.find(c);
        if (it == _waiting.end()) return;
        auto k = std::move(it->second);
        _waiting.erase(it);
        k(ok);
    });
}

void hyperdht::arm_verify_timer() noexcept {
    auto due = _queue->next_deadline();
    if (!due) return;
    if (_verify_timer_at && *_verify_timer_at <= *due) return;  // an earlier one is armed
    _verify_timer_at = *due;
    _node.app_timer(*due, verify_timer);
}

void hyperdht::on_timer(node& n, std::uint64_t cookie, base::mono_time now) noexcept {
    if (cookie == verify_timer) {
        _verify_timer_at.reset();
        deliver_verdicts();
        arm_verify_timer();
        return;
    }
    if (cookie != expire_timer) return;
    if (_expire_on) {
        _store.expire(now);
        _expired_at = now;
    }
    n.app_timer(now + _expire_every, expire_timer);
}

namespace {
// What each command needs before its handler runs (docs/protocol.md §3.4),
// declared once and checked in this order by admit(); a request that lacks
// something is dropped with the counter named here, before any handler or
// cross-shard forward. Handlers check only what their own values say.
struct command_rule {
    bool storage = true;   // needs a persistent node (else UNKNOWN_COMMAND, drop_not_persistent)
    bool target = false;   // drop_no_target
    bool token = false;    // drop_no_token
    bool value = false;    // drop_bad_value
    bool node_id = false;  // signed over our id, so needs one: drop_bad_value
};
constexpr std::array<command_rule, 11> command_rules = {{
    /* peer_handshake */ {.storage = false, .value = true},
    /* peer_holepunch */ {.storage = false, .value = true},
    /* find_peer      */ {.target = true},
    /* lookup         */ {.target = true},
    /* announce       */ {.target = true, .token = true, .value = true, .node_id = true},
    /* unannounce     */ {.target = true, .token = true, .value = true, .node_id = true},
    /* mutable_put    */ {.target = true, .token = true, .value = true},
    /* mutable_get    */ {.target = true, .value = true},
    /* immutable_put  */ {.target = true, .token = true, .value = true},
    /* immutable_get  */ {.target = true},
    /* plugin         */ {},
}};
static_assert(command_rules.size() == static_cast<std::size_t>(h::command::plugin) + 1);
}  // namespace

hyperdht::admission hyperdht::admit(const incoming& in) noexcept {
    if (in.req.command >= command_rules.size()) return admission::unknown;
    const command_rule& r = command_rules[in.req.command];
    hctr drop;
    if (r.storage && !_node.persistent()) {
        bump(hctr::drop_not_persistent);
        return admission::unknown;  // the node answers UNKNOWN_COMMAND
    } else if (r.target && !in.req.tgt) {
        drop = hctr::drop_no_target;
    } else if (r.token && !in.req.tok) {
        drop = hctr::drop_no_token;
    } else if ((r.value && !in.req.value) || (r.node_id && !_node.id())) {
        drop = hctr::drop_bad_value;
    } else {
        return admission::admitted;
    }
    bump(drop);
    return admission::dropped;
}

bool hyperdht::on_request(node& n, const incoming& in) noexcept {
    (void)n;
    switch (admit(in)) {
        case admission::unknown: return false;
        case admission::dropped: return true;
        case admission::admitted: break;
    }
    // Route to the shard that owns the target.
    if (in.req.tgt && _node.shards() > 1) {
        const auto owner = store::shard_of(key(*in.req.tgt), _node.shards());
        if (owner != _node.shard()) {
            // Forwarded once, decoded already: the owner's request server
            // hands it to on_owned_request without decoding it again.
            bump(_node.forward(owner, in) ? hctr::forwarded_to_owner : hctr::drop_forward_ring_full);
            return true;
        }
    }
    return handle(in);
}

// The owner admits a forwarded request again: the check is a table lookup,
// and it keeps every handler's precondition local to this shard (a ring
// message is input like any other: the node fuzzer feeds them).
bool hyperdht::on_owned_request(node&, const incoming& in) noexcept {
    switch (admit(in)) {
        case admission::unknown: return false;
        case admission::dropped: return true;
        case admission::admitted: break;
    }
    return handle(in);
}

void hyperdht::on_message(node&, std::uint32_t, std::span<const std::byte>) noexcept {}

bool hyperdht::handle(const incoming& in) noexcept {
    switch (static_cast<h::command>(in.req.command)) {
        case h::command::peer_handshake: handshake(in); return true;
        case h::command::peer_holepunch: holepunch(in); return true;
        case h::command::find_peer: find_peer(in); return true;
        case h::command::lookup: lookup(in); return true;
        case h::command::announce: announce(in, false); return true;
        case h::command::unannounce: announce(in, true); return true;
        case h::command::mutable_put: mutable_put(in); return true;
        case h::command::mutable_get: mutable_get(in); return true;
        case h::command::immutable_put: immutable_put(in); return true;
        case h::command::immutable_get: immutable_get(in); return true;
        case h::command::plugin: bump(hctr::drop_plugin); return true;  // no plugins: no reply
    }
    return false;
}

// --- reads -------------------------------------------------------------------

namespace {
void write_peer(base::byte_writer& w, const store::peer_record& p) noexcept {
    w.write_bytes(p.pk.data(), 32);
    ce::write_addr4_array(w, p.relay_span());
}
}  // namespace

void hyperdht::find_peer(const incoming& in) noexcept {
    bump(hctr::find_peer);
    const store::route* r = _store.get_route(key(*in.req.tgt));
    std::array<std::byte, 64> buf;
    base::byte_writer w(buf);
    if (r) write_peer(w, r->record);
    reply_opts o;
    if (r && w.ok()) o.value = w.written();
    _node.reply(in, o);
}

namespace {
// A LOOKUP reply value (lookupRawReply): count, up to 20 peers, bump. The
// records were picked, and their loads started, before the reply was built;
// they are copied once the rest of the frame (token, closer nodes) is done.
constexpr std::size_t max_lookup_peers = 20;
struct lookup_value {
    const store::record_store* store;
    store::record_store::sample_plan plan;
    const store::route* route = nullptr;  // appended when there are fewer than 20 records
};
std::size_t write_lookup_value(const void* ctx, std::span<std::byte> out) noexcept {
    const auto& v = *static_cast<const lookup_value*>(ctx);
    // The stored records are already in wire form. The count goes first, in
    // one byte: a compact uint below 0xfd is one byte, and it is at most 20.
    const std::size_t room = v.plan.count * store::record_store::max_wire_record;
    if (out.size() < 1 + room) return 0;
    std::size_t used = 1 + v.store->write_sample(v.plan, out.subspan(1, room));
    base::byte_writer w(out.subspan(used));
    std::size_t n = v.plan.count;
    if (v.route) {
        write_peer(w, v.route->record);
        ++n;
    }
    ce::write_uint(w, v.plan.bump);
    out[0] = std::byte(n);
    return w.ok() ? used + w.size() : 0;
}
}  // namespace

void hyperdht::lookup(const incoming& in) noexcept {
    bump(hctr::lookup);
    const store::key k = key(*in.req.tgt);
    lookup_value v{&_store, _store.sample(k, max_lookup_peers, _rnd)};
    if (v.plan.count < max_lookup_peers) v.route = _store.get_route(k);
    const value_writer writer{write_lookup_value, &v, 1 + max_lookup_peers * store::record_store::max_wire_record + 9};
    reply_opts o;
    if (v.plan.count || v.route) o.writer = &writer;
    _node.reply(in, o);
}

void hyperdht::mutable_get(const incoming& in) noexcept {
    base::byte_reader r(*in.req.value);
    auto seq = ce::read_uint(r);
    if (!seq) {
        bump(hctr::drop_bad_value);
        return;
    }
    bump(hctr::mutable_get);
    auto stored = _store.get_mutable(key(*in.req.tgt), in.now);
    reply_opts o;
    if (stored && stored->seq >= *seq) o.value = stored->encoded;
    _node.reply(in, o);
}

void hyperdht::immutable_get(const incoming& in) noexcept {
    bump(hctr::immutable_get);
    auto stored = _store.get_immutable(key(*in.req.tgt), in.now);
    reply_opts o;
    if (stored) o.value = *stored;
    _node.reply(in, o);
}

// --- writes ------------------------------------------------------------------

void hyperdht::announce(const incoming& in, bool unannounce) noexcept {
    // Cheap checks first (admit() did the fields); the signature check last.
    const node_id id = *_node.id();
    auto ann = h::decode_announce(*in.req.value);
    if (ann && !ann->peer && ann->refresh && !unannounce) {
        refresh(in, *ann->refresh);
        return;
    }
    if (!ann || !ann->peer || !ann->sig) {
        bump(hctr::drop_bad_value);
        return;
    }
    // Sign-check the canonical re-encoding of the peer as sent (all relays).
    std::vector<base::endpoint> relays;
    relays.reserve(ann->peer->relays.size());
    for (std::size_t i = 0; i < ann->peer->relays.size(); ++i) relays.push_back(ann->peer->relays[i]);
    const auto canonical = h::encode_peer(ann->peer->pk, relays);
    if (canonical.empty()) {
        bump(hctr::drop_bad_value);
        return;
    }
    verify_job job{ann->peer->pk, *ann->sig,
                   h::announce_signable(unannounce ? h::ns().unannounce : h::ns().announce, *in.req.tgt, id,
                                        *in.req.tok, canonical, ann->refresh)};
    pending_write w;
    w.what = unannounce ? pending_write::kind::unannounce : pending_write::kind::announce;
    w.tid = in.req.tid;
    w.from = in.from;
    w.socket = in.socket;
    w.tgt = *in.req.tgt;
    w.record.pk = ann->peer->pk;
    w.record.relay_count = static_cast<std::uint8_t>(std::min(relays.size(), h::max_relays_stored));
    for (std::size_t i = 0; i < w.record.relay_count; ++i) w.record.relays[i] = relays[i];
    w.announce_self = crypto::blake2b_256(ann->peer->pk.bytes()) == crypto::hash32(in.req.tgt->array());
    w.bump = ann->bump;
    if (!unannounce) w.refresh = ann->refresh;
    _verify(job, [this, w = std::move(w)](bool ok) {
        if (ok) {
            apply(w);
        } else {
            bump(hctr::drop_bad_signature);  // no reply, like the reference
        }
    });
}

// A refresh-only ANNOUNCE (docs/protocol.md §3.4): revealing r, whose hash an earlier
// announce named as its refresh value, re-applies that announce without a
// signature; the link then moves to r, so the next refresh must reveal r's
// own preimage. The request is routed by its target like any other, so it
// finds its link when it names the target of the announce that made it (the
// reference keeps one table for all targets). A refresh renews an announce's
// lifetime; it cannot change what was announced.
void hyperdht::refresh(const incoming& in, const crypto::hash32& r) noexcept {
    const auto link = _store.move_refresh(store::key(crypto::blake2b_256(r.bytes()).array()), store::key(r.array()), in.now);
    if (!link) {
        bump(hctr::drop_unknown_refresh);  // no reply, like the reference
        return;
    }
    bump(hctr::announce_refresh);
    if (link->announce_self) {
        _store.put_route(link->target, store::route{in.from, link->record}, in.now);
        _store.remove_record(link->target, link->record.pk);
    } else {
        _store.put_record(link->target, link->record, in.now);
    }
    _node.reply(in, {.token = false, .closer = false});
}

void hyperdht::mutable_put(const incoming& in) noexcept {
    auto put = h::decode_mutable_put(*in.req.value);
    if (!put || crypto::blake2b_256(put->pk.bytes()) != crypto::hash32(in.req.tgt->array())) {
        bump(hctr::drop_bad_value);
        return;
    }
    verify_job job{put->pk, put->sig, h::mutable_signable(put->seq, put->value)};
    pending_write w;
    w.what = pending_write::kind::mutable_put;
    w.tid = in.req.tid;
    w.from = in.from;
    w.socket = in.socket;
    w.tgt = *in.req.tgt;
    w.seq = put->seq;
    w.encoded = h::encode_mutable_get_response(put->seq, put->value, put->sig);
    w.value_offset = ce::uint_size(put->seq) + ce::uint_size(put->value.size());
    w.value_len = put->value.size();
    _verify(job, [this, w = std::move(w)](bool ok) {
        if (ok) {
            apply(w);
        } else {
            bump(hctr::drop_bad_signature);
        }
    });
}

void hyperdht::immutable_put(const incoming& in) noexcept {
    if (crypto::blake2b_256(*in.req.value) != crypto::hash32(in.req.tgt->array())) {
        bump(hctr::drop_bad_value);
        return;
    }
    bump(hctr::immutable_put);
    if (!_store.put_immutable(key(*in.req.tgt), *in.req.value, in.now)) {
        bump(hctr::store_full);
        return;
    }
    _node.reply(in, {});
}

// A bump is a wall-clock time in ms (a u64 on the wire, not signed). One more
// than a minute ahead of our clock is ignored: bumps only rise, so a bump far
// in the future would pin the topic's for as long as the topic lives.
void hyperdht::raise_bump(const store::key& k, std::uint64_t v, base::mono_time now) noexcept {
    const std::int64_t newest = base::to_ms(now.time_since_epoch()) + _node.config().wall_offset_ms + max_bump_drift_ms;
    if (newest < 0 || v > static_cast<std::uint64_t>(newest)) {
        bump(hctr::bump_ignored);
        return;
    }
    _store.raise_bump(k, v);
}

void hyperdht::apply(const pending_write& w) noexcept {
    const store::key k = key(w.tgt);
    const auto now = _node.now();
    const reply_opts bare{.token = false, .closer = false};
    switch (w.what) {
        case pending_write::kind::announce:
            bump(hctr::announce);
            if (w.announce_self) {
                _store.put_route(k, store::route{w.from, w.record}, now);
                _store.remove_record(k, w.record.pk);
            } else {
                _store.put_record(k, w.record, now);
                if (w.bump) raise_bump(k, w.bump, now);
            }
            if (w.refresh) _store.put_refresh(store::key(w.refresh->array()), {k, w.record, w.announce_self}, now);
            _node.reply_to(w.tid, w.from, w.socket, &w.tgt, bare);
            return;
        case pending_write::kind::unannounce:
            bump(hctr::unannounce);
            if (w.announce_self) _store.remove_route(k);
            _store.remove_record(k, w.record.pk);
            _node.reply_to(w.tid, w.from, w.socket, &w.tgt, bare);
            return;
        case pending_write::kind::mutable_put: {
            bump(hctr::mutable_put);
            switch (_store.put_mutable(k, w.seq, w.encoded, w.value_offset, w.value_len, now)) {
                case store::put_mutable_result::stored: _node.reply_to(w.tid, w.from, w.socket, &w.tgt, {}); return;
                case store::put_mutable_result::seq_reused:
                    bump(hctr::seq_reused);
                    _node.reply_to(w.tid, w.from, w.socket, &w.tgt,
                                   {.error = static_cast<std::uint64_t>(rpc_error::seq_reused), .token = false});
                    return;
                case store::put_mutable_result::seq_too_low:
                    bump(hctr::seq_too_low);
                    _node.reply_to(w.tid, w.from, w.socket, &w.tgt,
                                   {.error = static_cast<std::uint64_t>(rpc_error::seq_too_low), .token = false});
                    return;
                case store::put_mutable_result::full: bump(hctr::store_full); return;
            }
            return;
        }
    }
}

// --- relaying ----------------------------------------------------------------

bool hyperdht::charge_relay(const base::endpoint& source) noexcept {
    const auto now = _node.now();
    const std::uint32_t ip = source.v4_u32();
    auto it = _buckets.find(ip);
    if (it == _buckets.end()) {
        if (_buckets.size() >= _cfg.relay_sources) {
            // Forget sources idle for a minute; if none are, start over.
            std::erase_if(_buckets, [&](const auto& kv) { return now - kv.second.at > base::seconds(60); });
            if (_buckets.size() >= _cfg.relay_sources) _buckets.clear();
        }
        it = _buckets.emplace(ip, bucket{_cfg.relay_burst, now}).first;
    }
    bucket& b = it->second;
    const double elapsed = std::chrono::duration<double>(now - b.at).count();
    b.tokens = std::min(_cfg.relay_burst, b.tokens + elapsed * _cfg.relay_per_second);
    b.at = now;
    if (b.tokens < 1) {
        bump(hctr::drop_relay_rate_limited);
        return false;
    }
    b.tokens -= 1;
    return true;
}

// A relayed handshake or holepunch carries ~1.9 KB of sender-chosen bytes to
// an address the sender names. It goes only to an address at least as far
// reaching as the node's own network (docs/wire_format.md, "Relay
// destinations"): a node on a public address never bounces into loopback or
// private ranges, and nothing goes to port 0, multicast or broadcast.
bool hyperdht::may_send_to(const base::endpoint& to) noexcept {
    const base::addr_scope s = to.scope();
    if (s != base::addr_scope::unusable && s >= _node.network_scope()) return true;
    bump(hctr::drop_relay_destination);
    return false;
}

void hyperdht::handshake(const incoming& in) noexcept {
    auto hs = h::decode_handshake(*in.req.value);
    if (!hs) {
        bump(hctr::drop_bad_value);
        return;
    }
    const auto mode = h::mode_of(hs->mode);
    if (!mode) {
        bump(hctr::drop_bad_value);
        return;
    }
    const store::route* st = in.req.tgt ? _store.get_route(key(*in.req.tgt)) : nullptr;
    const std::optional<base::endpoint> relay = st ? std::optional(st->relay) : std::nullopt;
    switch (*mode) {
        case h::mode::from_client: {
            if (!relay && !hs->relay_address) {
                // We know no server for this target: help the client route.
                _node.reply(in, {.token = false, .closer = true});
                return;
            }
            const base::endpoint to = hs->relay_address ? *hs->relay_address : *relay;
            if (!may_send_to(to) || !charge_relay(in.from)) return;
            bump(hctr::handshake_from_client);
            _node.relay(in, h::encode_handshake(static_cast<std::uint64_t>(h::mode::from_relay), hs->noise, in.from, std::nullopt), to);
            return;
        }
        case h::mode::from_relay: {
            if (!relay) {
                bump(hctr::drop_relay_no_route);
                return;
            }
            if (!may_send_to(*relay) || !charge_relay(in.from)) return;
            bump(hctr::handshake_from_relay);
            _node.relay(in,
                        h::encode_handshake(static_cast<std::uint64_t>(h::mode::from_second_relay), hs->noise,
                                            hs->peer_address, in.from),
                        *relay);
            return;
        }
        case h::mode::from_server: {
            if (!hs->peer_address) {
                bump(hctr::drop_relay_no_route);
                return;
            }
            if (!may_send_to(*hs->peer_address) || !charge_relay(in.from)) return;
            bump(hctr::handshake_from_server);
            const auto value = h::encode_handshake(static_cast<std::uint64_t>(h::mode::reply), hs->noise, in.from, std::nullopt);
            _node.reply(in, {.value = value, .token = false, .closer = false, .to = *hs->peer_address});
            return;
        }
        default: bump(hctr::drop_relay_wrong_mode); return;  // FROM_SECOND_RELAY and REPLY are for the peers
    }
}

void hyperdht::holepunch(const incoming& in) noexcept {
    auto hp = h::decode_holepunch(*in.req.value);
    if (!hp) {
        bump(hctr::drop_bad_value);
        return;
    }
    const auto mode = h::mode_of(hp->mode);
    if (!mode) {
        bump(hctr::drop_bad_value);
        return;
    }
    switch (*mode) {
        case h::mode::from_client: {
            const store::route* st = in.req.tgt ? _store.get_route(key(*in.req.tgt)) : nullptr;
            if (!hp->peer_address && !st) {
                bump(hctr::drop_relay_no_route);
                return;
            }
            const base::endpoint to = hp->peer_address ? *hp->peer_address : st->relay;
            if (!may_send_to(to) || !charge_relay(in.from)) return;
            bump(hctr::holepunch_from_client);
            _node.relay(in, h::encode_holepunch(static_cast<std::uint64_t>(h::mode::from_relay), hp->id, hp->payload, in.from), to);
            return;
        }
        case h::mode::from_server: {
            const base::endpoint to = hp->peer_address ? *hp->peer_address : in.from;
            if (!may_send_to(to) || !charge_relay(in.from)) return;
            bump(hctr::holepunch_from_server);
            const auto value = h::encode_holepunch(static_cast<std::uint64_t>(h::mode::reply), hp->id, hp->payload, in.from);
            _node.reply(in, {.value = value, .token = false, .closer = false, .to = to});
            return;
        }
        default:
            // FROM_RELAY is for the server itself, FROM_SECOND_RELAY and REPLY for
            // the peers; an infrastructure node drops them.
            bump(hctr::drop_relay_wrong_mode);
            return;
    }
}

}  // namespace dht
