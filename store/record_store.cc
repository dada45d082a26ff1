#include "store/record_store.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <type_traits>

#include "base/byte_writer.h"
#include "base/hash.h"

namespace store {

std::uint16_t shard_of(const target& t, std::uint16_t shards) noexcept {
    if (shards <= 1) return 0;
    // Targets are hashes or topics peers choose; the seeded hash keeps a peer
    // from aiming every key at one shard.
    return static_cast<std::uint16_t>(base::hash_bytes(t.data(), t.size()) % shards);
}

// --- id_list ---------------------------------------------------------------

namespace {
std::uint64_t prefix_of(const crypto::public_key& pk) noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 8; ++i) v = v << 8 | pk[i];
    return v;
}
}  // namespace

record_store::id_list& record_store::id_list::operator=(id_list&& o) noexcept {
    if (this == &o) return *this;
    std::free(_heap);
    _heap = o._heap;
    _inline_prefix = o._inline_prefix;
    _size = o._size;
    _cap = o._cap;
    _inline_id = o._inline_id;
    o._heap = nullptr;
    o._size = o._cap = o._inline_id = 0;
    o._inline_prefix = 0;
    return *this;
}

void record_store::id_list::insert(std::size_t pos, std::uint32_t id, std::uint64_t prefix) {
    if (_cap == 0 && _size == 0) {
        _inline_id = id;
        _inline_prefix = prefix;
        _size = 1;
        return;
    }
    if (_size == std::max<std::uint32_t>(_cap, 1)) {
        const std::uint32_t ncap = std::max<std::uint32_t>(2, _size + _size / 2);
        // One block: ncap prefixes (8 bytes) then ncap ids (4 bytes).
        auto* n = static_cast<std::uint64_t*>(std::malloc((sizeof(std::uint64_t) + sizeof(std::uint32_t)) * ncap));
        if (!n) std::abort();  // failed allocation terminates (house rule)
        std::memcpy(n, prefixes(), sizeof(std::uint64_t) * _size);
        std::memcpy(reinterpret_cast<std::uint32_t*>(n + ncap), data(), sizeof(std::uint32_t) * _size);
        std::free(_heap);
        _heap = n;
        _cap = ncap;
    }
    std::uint64_t* p = _heap;
    std::uint32_t* d = ids();
    std::memmove(p + pos + 1, p + pos, sizeof(std::uint64_t) * (_size - pos));
    std::memmove(d + pos + 1, d + pos, sizeof(std::uint32_t) * (_size - pos));
    p[pos] = prefix;
    d[pos] = id;
    ++_size;
}

void record_store::id_list::erase(std::size_t pos) noexcept {
    if (_cap == 0) {
        _size = 0;
        return;
    }
    std::uint64_t* p = _heap;
    std::uint32_t* d = ids();
    std::memmove(p + pos, p + pos + 1, sizeof(std::uint64_t) * (_size - pos - 1));
    std::memmove(d + pos, d + pos + 1, sizeof(std::uint32_t) * (_size - pos - 1));
    --_size;
}

// --- helpers -----------------------------------------------------------------

namespace {
// A rewrite of a live entry moves its expiry only when that gains at least
// an eighth of its lifetime, so a peer repeating one write (an IMMUTABLE_PUT,
// a refresh-only ANNOUNCE: neither needs a signature) relinks the entry in
// its expiry wheel at most eight times a lifetime. An entry expires between
// 7/8 of its lifetime and its lifetime after its last write.
std::uint32_t ttl_of(base::seconds s) noexcept {
    return static_cast<std::uint32_t>(std::clamp<std::int64_t>(s.count(), 1, INT32_MAX));
}

bool extend(std::uint32_t& expiry, std::uint32_t new_expiry, std::uint32_t ttl) noexcept {
    if (new_expiry < expiry + std::max<std::uint32_t>(1, ttl / 8)) return false;
    expiry = new_expiry;
    return true;
}

// Removes the entries closest to expiry while more() holds (the kind is
// over its cap). Returns how many were removed.
template <class More, class Remove>
std::uint64_t evict(detail::expiry_wheel& w, More&& more, Remove&& remove) {
    std::uint64_t removed = 0;
    for (std::uint32_t id; more() && (id = w.earliest()) != detail::expiry_wheel::none; ++removed) remove(id);
    return removed;
}
}  // namespace

record_store::record_store(limits l, base::mono_time now, std::uint64_t seed)
    : _lim(l),
      _epoch(now),
      _seed(seed),
      _record_exp(ttl_of(l.record_ttl)),
      _route_exp(ttl_of(l.route_ttl)),
      _value_exp(ttl_of(l.value_ttl)),
      _refresh_exp(ttl_of(l.record_ttl)) {}

std::uint64_t record_store::hash(const target& t) const noexcept { return base::hash_bytes(t.data(), t.size()) ^ _seed; }

std::uint32_t record_store::secs(base::mono_time now) const noexcept {
    auto d = std::chrono::duration_cast<base::seconds>(now - _epoch).count();
    return d < 0 ? 0 : static_cast<std::uint32_t>(d) + 1;  // +1: expiry 0 marks a free slot
}

base::mono_time record_store::time_of(std::uint32_t expiry_s) const noexcept {
    return _epoch + base::seconds(expiry_s > 0 ? expiry_s - 1 : 0);  // secs() adds 1
}

void record_store::report_record(std::uint32_t rid, const peer_record& r) const noexcept {
    report({.kind = entry_kind::record, .k = &_topics[_records[rid].topic].key, .pk = &_records[rid].pk, .record = &r,
            .expires = time_of(_records[rid].expiry)});
}

void record_store::report_route(std::uint32_t id) const noexcept {
    const route_entry& e = _routes[id];
    report({.kind = entry_kind::route, .k = &e.key, .record = &e.r.record, .relay = e.r.relay, .expires = time_of(e.expiry)});
}

void record_store::report_refresh(std::uint32_t id) const noexcept {
    const refresh_entry& e = _refreshes[id];
    report({.kind = entry_kind::refresh, .k = &e.r, .record = &e.link.record, .link_target = &e.link.target,
            .announce_self = e.link.announce_self, .expires = time_of(e.expiry)});
}

void record_store::report_value(std::uint32_t vid) const noexcept {
    const value_entry& e = _values[vid];
    report({.kind = entry_kind::value, .k = &e.key, .is_mutable = e.is_mutable, .seq = e.seq, .bytes = e.bytes,
            .value_offset = e.value_offset, .value_len = e.value_len, .expires = time_of(e.expiry)});
}

std::uint32_t record_store::find_topic(const target& t) const noexcept {
    return _topic_index.find(hash(t), [&](std::uint32_t id) { return _topics[id].key == t; });
}

std::size_t record_store::list_search(const id_list& l, const crypto::public_key& pk, bool& found) const noexcept {
    const std::uint64_t* pre = l.prefixes();
    const std::uint32_t* d = l.data();
    const std::uint64_t want = prefix_of(pk);
    std::size_t lo = 0, hi = l.size();
    while (lo < hi) {
        const std::size_t mid = (lo + hi) / 2;
        std::strong_ordering c = pre[mid] <=> want;
        if (c == 0) c = _records[d[mid]].pk <=> pk;  // a prefix tie: compare whole keys
        if (c == 0) {
            found = true;
            return mid;
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    found = false;
    return lo;
}

void record_store::drop_topic_if_empty(std::uint32_t tid) noexcept {
    if (_topics[tid].ids.size()) return;
    _bumps.erase(tid);
    _topic_index.erase(hash(_topics[tid].key), tid);
    _topics.free(tid);
}

void record_store::remove_record_id(std::uint32_t rid) noexcept {
    const std::uint32_t tid = _records[rid].topic;
    report({.kind = entry_kind::record, .removed = true, .k = &_topics[tid].key, .pk = &_records[rid].pk});
    bool found = false;
    const std::size_t pos = list_search(_topics[tid].ids, _records[rid].pk, found);
    if (found) _topics[tid].ids.erase(pos);
    _record_exp.unlink(rid);
    _records.free(rid);
    drop_topic_if_empty(tid);
}

// --- topic records -----------------------------------------------------------

void record_store::put_record(const target& t, const peer_record& r, base::mono_time now) {
    _affinity.check();
    const std::uint32_t exp = secs(now) + static_cast<std::uint32_t>(_lim.record_ttl.count());
    auto fill = [&](record& rec) {
        base::byte_writer w(std::as_writable_bytes(std::span(rec.relays)));
        for (std::size_t i = 0; i < r.relay_count && i < 3; ++i) {
            auto o = r.relays[i].v4_octets();
            w.write_bytes(o.data(), 4);
            w.write_u16le(r.relays[i].port());
        }
        rec.relay_count = static_cast<std::uint8_t>(std::min<std::size_t>(r.relay_count, 3));
    };
    std::uint32_t tid = find_topic(t);
    if (tid != detail::id_index::none) {
        bool found = false;
        const std::size_t pos = list_search(_topics[tid].ids, r.pk, found);
        if (found) {
            const std::uint32_t rid = _topics[tid].ids.data()[pos];
            fill(_records[rid]);
            if (extend(_records[rid].expiry, exp, static_cast<std::uint32_t>(_lim.record_ttl.count()))) {
                _record_exp.relink(rid, exp);
            }
            report_record(rid, r);
            return;
        }
        if (_topics[tid].ids.size() >= _lim.max_records_per_topic) {
            ++_evicted;  // a full topic refuses newcomers
            return;
        }
    }
    // Make room first: eviction may drop topics (including this one).
    _evicted += evict(_record_exp, [&] { return _records.size() >= _lim.max_records; },
                      [&](std::uint32_t id) { remove_record_id(id); });
    if (_records.size() >= _lim.max_records) return;
    tid = find_topic(t);
    if (tid == detail::id_index::none) {
        tid = _topics.alloc();
        _topics[tid].key = t;
        _topic_index.insert(hash(t), tid, [&](std::uint32_t id) { return hash(_topics[id].key); });
    }
    bool found = false;
    const std::size_t pos = list_search(_topics[tid].ids, r.pk, found);
    const std::uint32_t rid = _records.alloc();
    record& rec = _records[rid];
    rec.pk = r.pk;
    rec.topic = tid;
    fill(rec);
    rec.expiry = exp;
    _topics[tid].ids.insert(pos, rid, prefix_of(r.pk));
    _record_exp.link(rid, exp);
    report_record(rid, r);
}

bool record_store::remove_record(const target& t, const crypto::public_key& pk) noexcept {
    const std::uint32_t tid = find_topic(t);
    if (tid == detail::id_index::none) return false;
    bool found = false;
    const std::size_t pos = list_search(_topics[tid].ids, pk, found);
    if (!found) return false;
    remove_record_id(_topics[tid].ids.data()[pos]);
    return true;
}

record_store::sample_plan record_store::sample(const target& t, std::size_t max, base::prng& rnd) const {
    sample_plan plan;
    const std::uint32_t tid = find_topic(t);
    if (tid == detail::id_index::none) return plan;
    if (auto it = _bumps.find(tid); it != _bumps.end()) plan.bump = it->second;
    const id_list& ids = _topics[tid].ids;
    const std::uint32_t n = ids.size();
    const std::uint32_t* id = ids.data();
    // Floyd's sampling: k distinct indices out of n, uniformly; all of them
    // when there are no more than k.
    const std::size_t k = std::min({max, plan.ids.size(), std::size_t{n}});
    if (k == n) {
        for (std::uint32_t i = 0; i < n; ++i) plan.ids[i] = i;
    } else {
        std::size_t have = 0;
        for (std::uint32_t j = n - static_cast<std::uint32_t>(k); j < n; ++j) {
            auto x = static_cast<std::uint32_t>(rnd.below(std::uint64_t{j} + 1));
            std::uint32_t* end = plan.ids.data() + have;
            plan.ids[have++] = std::find(plan.ids.data(), end, x) != end ? j : x;
        }
    }
    // Indices to record ids. The records are scattered over the whole store:
    // start every cache miss (one line each) now, use them later.
    for (std::size_t i = 0; i < k; ++i) {
        plan.ids[i] = id[plan.ids[i]];
        __builtin_prefetch(&_records[plan.ids[i]]);
    }
    plan.count = k;
    return plan;
}

std::size_t record_store::write_sample(const sample_plan& plan, std::span<std::byte> out) const noexcept {
    static_assert(std::is_standard_layout_v<record>);
    static_assert(offsetof(record, relay_count) == 32 && offsetof(record, relays) == 33,
                  "a record's head must be its wire encoding");
    const std::size_t k = std::min(plan.count, out.size() / max_wire_record);
    std::byte* w = out.data();
    for (std::size_t i = 0; i < k; ++i) {
        const record& rec = _records[plan.ids[i]];
        // Copy the longest form, keep what this record uses: one fixed-size
        // copy instead of a variable one. `out` has room for the longest.
        std::memcpy(w, &rec, max_wire_record);
        w += 33 + 6 * std::size_t{rec.relay_count};
    }
    return static_cast<std::size_t>(w - out.data());
}

std::uint64_t record_store::bump(const target& t) const noexcept {
    const std::uint32_t tid = find_topic(t);
    if (tid == detail::id_index::none) return 0;
    auto it = _bumps.find(tid);
    return it == _bumps.end() ? 0 : it->second;
}

void record_store::raise_bump(const target& t, std::uint64_t v) noexcept {
    const std::uint32_t tid = find_topic(t);
    if (tid == detail::id_index::none) return;
    auto& b = _bumps[tid];
    if (v > b) b = v;
}

// --- routes --------------------------------------------------------------------

void record_store::put_route(const target& t, const route& r, base::mono_time now) {
    _affinity.check();
    const std::uint32_t exp = secs(now) + static_cast<std::uint32_t>(_lim.route_ttl.count());
    std::uint32_t id = _route_index.find(hash(t), [&](std::uint32_t i) { return _routes[i].key == t; });
    if (id != detail::id_index::none) {
        _routes[id].r = r;
        if (extend(_routes[id].expiry, exp, static_cast<std::uint32_t>(_lim.route_ttl.count()))) {
            _route_exp.relink(id, exp);
        }
        report_route(id);
        return;
    }
    _evicted += evict(_route_exp, [&] { return _routes.size() >= _lim.max_routes; },
                      [&](std::uint32_t i) { remove_route(_routes[i].key); });
    if (_routes.size() >= _lim.max_routes) return;
    id = _routes.alloc();
    _routes[id].key = t;
    _route_index.insert(hash(t), id, [&](std::uint32_t i) { return hash(_routes[i].key); });
    _routes[id].r = r;
    _routes[id].expiry = exp;
    _route_exp.link(id, exp);
    report_route(id);
}

const route* record_store::get_route(const target& t) const noexcept {
    const std::uint32_t id = _route_index.find(hash(t), [&](std::uint32_t i) { return _routes[i].key == t; });
    return id == detail::id_index::none ? nullptr : &_routes[id].r;
}

bool record_store::remove_route(const target& t) noexcept {
    const std::uint64_t h = hash(t);
    const std::uint32_t id = _route_index.find(h, [&](std::uint32_t i) { return _routes[i].key == t; });
    if (id == detail::id_index::none) return false;
    report({.kind = entry_kind::route, .removed = true, .k = &_routes[id].key});
    _route_index.erase(h, id);
    _route_exp.unlink(id);
    _routes.free(id);
    return true;
}

// --- refresh chains ----------------------------------------------------------

void record_store::put_refresh(const key& r, const refresh_link& l, base::mono_time now) {
    _affinity.check();
    const std::uint32_t exp = secs(now) + static_cast<std::uint32_t>(_lim.record_ttl.count());
    std::uint32_t id = _refresh_index.find(hash(r), [&](std::uint32_t i) { return _refreshes[i].r == r; });
    if (id != detail::id_index::none) {
        _refreshes[id].link = l;
        if (extend(_refreshes[id].expiry, exp, static_cast<std::uint32_t>(_lim.record_ttl.count()))) {
            _refresh_exp.relink(id, exp);
        }
        report_refresh(id);
        return;
    }
    _evicted += evict(_refresh_exp, [&] { return _refreshes.size() >= _lim.max_refreshes; },
                      [&](std::uint32_t i) { remove_refresh_id(i); });
    if (_refreshes.size() >= _lim.max_refreshes) return;
    id = _refreshes.alloc();
    _refreshes[id].r = r;
    _refresh_index.insert(hash(r), id, [&](std::uint32_t i) { return hash(_refreshes[i].r); });
    _refreshes[id].link = l;
    _refreshes[id].expiry = exp;
    _refresh_exp.link(id, exp);
    report_refresh(id);
}

std::optional<refresh_link> record_store::move_refresh(const key& from, const key& to, base::mono_time now) {
    const std::uint32_t id =
        _refresh_index.find(hash(from), [&](std::uint32_t i) { return _refreshes[i].r == from; });
    if (id == detail::id_index::none) return std::nullopt;
    if (from == to) return _refreshes[id].link;  // H(r) == r: not a chain anyone can build
    // A link already under `to` is replaced, as a second announce naming it would.
    const std::uint32_t old = _refresh_index.find(hash(to), [&](std::uint32_t i) { return _refreshes[i].r == to; });
    if (old != detail::id_index::none) remove_refresh_id(old);
    // Re-keyed in place: the link keeps its slot and its place in the wheel.
    report({.kind = entry_kind::refresh, .removed = true, .k = &_refreshes[id].r});
    _refresh_index.erase(hash(from), id);
    _refreshes[id].r = to;
    _refresh_index.insert(hash(to), id, [&](std::uint32_t i) { return hash(_refreshes[i].r); });
    const std::uint32_t exp = secs(now) + static_cast<std::uint32_t>(_lim.record_ttl.count());
    if (extend(_refreshes[id].expiry, exp, static_cast<std::uint32_t>(_lim.record_ttl.count()))) {
        _refresh_exp.relink(id, exp);
    }
    report_refresh(id);
    return _refreshes[id].link;
}

std::optional<refresh_link> record_store::take_refresh(const key& r) noexcept {
    const std::uint32_t id = _refresh_index.find(hash(r), [&](std::uint32_t i) { return _refreshes[i].r == r; });
    if (id == detail::id_index::none) return std::nullopt;
    refresh_link l = _refreshes[id].link;
    remove_refresh_id(id);
    return l;
}

void record_store::remove_refresh_id(std::uint32_t id) noexcept {
    report({.kind = entry_kind::refresh, .removed = true, .k = &_refreshes[id].r});
    _refresh_index.erase(hash(_refreshes[id].r), id);
    _refresh_exp.unlink(id);
    _refreshes.free(id);
}

// --- values --------------------------------------------------------------------

std::uint32_t record_store::find_value(const target& t) const noexcept {
    return _value_index.find(hash(t), [&](std::uint32_t i) { return _values[i].key == t; });
}

void record_store::remove_value_id(std::uint32_t vid) noexcept {
    report({.kind = entry_kind::value, .removed = true, .k = &_values[vid].key});
    _value_bytes -= _values[vid].bytes.size();
    if (_values[vid].is_mutable) --_mutable_count;
    _value_index.erase(hash(_values[vid].key), vid);
    _value_exp.unlink(vid);
    _values.free(vid);
}

bool record_store::make_room_for_value(std::size_t bytes) {
    if (bytes > _lim.max_value_bytes) return false;
    _evicted += evict(
        _value_exp, [&] { return _values.size() >= _lim.max_values || _value_bytes + bytes > _lim.max_value_bytes; },
        [&](std::uint32_t i) { remove_value_id(i); });
    return _values.size() < _lim.max_values && _value_bytes + bytes <= _lim.max_value_bytes;
}

void record_store::touch_value(std::uint32_t vid, std::uint32_t now_s) {
    const auto ttl = static_cast<std::uint32_t>(_lim.value_ttl.count());
    value_entry& e = _values[vid];
    if (e.expiry - now_s >= ttl / 2) return;  // recently written or touched
    e.expiry = now_s + ttl;
    _value_exp.relink(vid, e.expiry);
}

put_mutable_result record_store::put_mutable(const target& t, std::uint64_t seq, std::span<const std::byte> encoded,
                                             std::size_t value_offset, std::size_t value_len, base::mono_time now) {
    _affinity.check();
    if (value_offset + value_len > encoded.size() || value_len > 0xffff || value_offset > 0xffff) {
        return put_mutable_result::full;
    }
    const std::uint32_t now_s = secs(now);
    std::uint32_t vid = find_value(t);
    if (vid != detail::id_index::none && _values[vid].is_mutable) {
        value_entry& e = _values[vid];
        if (seq == e.seq) {
            auto stored = std::span<const std::byte>(e.bytes).subspan(e.value_offset, e.value_len);
            auto incoming = encoded.subspan(value_offset, value_len);
            if (!std::equal(stored.begin(), stored.end(), incoming.begin(), incoming.end())) {
                return put_mutable_result::seq_reused;
            }
            // The same value again: a refresh, in place.
            const auto ttl = static_cast<std::uint32_t>(_lim.value_ttl.count());
            if (extend(e.expiry, now_s + ttl, ttl)) {
                _value_exp.relink(vid, e.expiry);
                report_value(vid);
            }
            return put_mutable_result::stored;
        } else if (seq < e.seq) {
            return put_mutable_result::seq_too_low;
        }
        remove_value_id(vid);
        vid = detail::id_index::none;
    } else if (vid != detail::id_index::none) {
        remove_value_id(vid);  // an immutable value under a mutable key: the newer kind wins
        vid = detail::id_index::none;
    }
    if (!make_room_for_value(encoded.size())) return put_mutable_result::full;
    vid = _values.alloc();
    value_entry& e = _values[vid];
    e.key = t;
    e.seq = seq;
    e.bytes.assign(encoded.begin(), encoded.end());
    e.value_offset = static_cast<std::uint16_t>(value_offset);
    e.value_len = static_cast<std::uint16_t>(value_len);
    e.is_mutable = true;
    ++_mutable_count;
    e.expiry = now_s + static_cast<std::uint32_t>(_lim.value_ttl.count());
    _value_bytes += e.bytes.size();
    _value_index.insert(hash(t), vid, [&](std::uint32_t i) { return hash(_values[i].key); });
    _value_exp.link(vid, e.expiry);
    report_value(vid);
    return put_mutable_result::stored;
}

std::optional<record_store::mutable_view> record_store::get_mutable(const target& t, base::mono_time now) {
    const std::uint32_t vid = find_value(t);
    if (vid == detail::id_index::none || !_values[vid].is_mutable) return std::nullopt;
    touch_value(vid, secs(now));
    return mutable_view{_values[vid].seq, _values[vid].bytes};
}

bool record_store::put_immutable(const target& t, std::span<const std::byte> value, base::mono_time now) {
    _affinity.check();
    const std::uint32_t now_s = secs(now);
    std::uint32_t vid = find_value(t);
    if (vid != detail::id_index::none) {
        if (!_values[vid].is_mutable) {
            // Same key means same value (the key is its hash): refresh.
            const auto ttl = static_cast<std::uint32_t>(_lim.value_ttl.count());
            if (extend(_values[vid].expiry, now_s + ttl, ttl)) {
                _value_exp.relink(vid, _values[vid].expiry);
                report_value(vid);
            }
            return true;
        }
        remove_value_id(vid);
    }
    if (!make_room_for_value(value.size())) return false;
    vid = _values.alloc();
    value_entry& e = _values[vid];
    e.key = t;
    e.bytes.assign(value.begin(), value.end());
    e.expiry = now_s + static_cast<std::uint32_t>(_lim.value_ttl.count());
    _value_bytes += e.bytes.size();
    _value_index.insert(hash(t), vid, [&](std::uint32_t i) { return hash(_values[i].key); });
    _value_exp.link(vid, e.expiry);
    report_value(vid);
    return true;
}

std::optional<std::span<const std::byte>> record_store::get_immutable(const target& t, base::mono_time now) {
    const std::uint32_t vid = find_value(t);
    if (vid == detail::id_index::none || _values[vid].is_mutable) return std::nullopt;
    touch_value(vid, secs(now));
    return std::span<const std::byte>(_values[vid].bytes);
}

// --- expiry --------------------------------------------------------------------

bool record_store::limit_expiry(entry_kind kind, const key& k, const crypto::public_key* pk,
                                base::mono_time at) {
    _affinity.check();
    const std::uint32_t s = std::max<std::uint32_t>(secs(at), 1);
    auto lower = [&](std::uint32_t& expiry, detail::expiry_wheel& wheel, std::uint32_t id) {
        if (s >= expiry) return;
        expiry = s;
        wheel.relink(id, s);
    };
    switch (kind) {
        case entry_kind::record: {
            const std::uint32_t tid = find_topic(k);
            if (tid == detail::id_index::none || pk == nullptr) return false;
            bool found = false;
            const std::size_t pos = list_search(_topics[tid].ids, *pk, found);
            if (!found) return false;
            const std::uint32_t rid = _topics[tid].ids.data()[pos];
            lower(_records[rid].expiry, _record_exp, rid);
            return true;
        }
        case entry_kind::route: {
            const std::uint32_t id = _route_index.find(hash(k), [&](std::uint32_t i) { return _routes[i].key == k; });
            if (id == detail::id_index::none) return false;
            lower(_routes[id].expiry, _route_exp, id);
            return true;
        }
        case entry_kind::refresh: {
            const std::uint32_t id = _refresh_index.find(hash(k), [&](std::uint32_t i) { return _refreshes[i].r == k; });
            if (id == detail::id_index::none) return false;
            lower(_refreshes[id].expiry, _refresh_exp, id);
            return true;
        }
        case entry_kind::value: {
            const std::uint32_t vid = find_value(k);
            if (vid == detail::id_index::none) return false;
            lower(_values[vid].expiry, _value_exp, vid);
            return true;
        }
    }
    return false;
}

void record_store::expire(base::mono_time now) {
    _affinity.check();
    const std::uint32_t s = secs(now);
    _expired += _record_exp.pop_due(s, [&](std::uint32_t i) { remove_record_id(i); });
    _expired += _route_exp.pop_due(s, [&](std::uint32_t i) { remove_route(_routes[i].key); });
    _expired += _refresh_exp.pop_due(s, [&](std::uint32_t i) { remove_refresh_id(i); });
    _expired += _value_exp.pop_due(s, [&](std::uint32_t i) { remove_value_id(i); });
}

store_stats record_store::stats() const noexcept {
    store_stats s;
    s.topics = _topics.size();
    s.records = _records.size();
    s.routes = _routes.size();
    s.refreshes = _refreshes.size();
    s.queued_expiries = _record_exp.size() + _route_exp.size() + _value_exp.size() + _refresh_exp.size();
    s.value_bytes = _value_bytes;
    s.evicted = _evicted;
    s.expired = _expired;
    s.mutables = _mutable_count;
    s.immutables = _values.size() - _mutable_count;
    return s;
}

void record_store::collect_metrics() noexcept {
    const store_stats s = stats();
    _metrics.set(metric::topics, s.topics);
    _metrics.set(metric::records, s.records);
    _metrics.set(metric::routes, s.routes);
    _metrics.set(metric::refreshes, s.refreshes);
    _metrics.set(metric::mutables, s.mutables);
    _metrics.set(metric::immutables, s.immutables);
    _metrics.set(metric::value_bytes, s.value_bytes);
    _metrics.set(metric::evicted, s.evicted);
    _metrics.set(metric::expired, s.expired);
}

}  // namespace store
