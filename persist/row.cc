#include "persist/row.h"

#include <xxhash.h>

#include <cstring>

#include "base/byte_reader.h"
#include "base/byte_writer.h"
#include "crypto/hash.h"

namespace persist {

namespace {

constexpr std::uint8_t kind_mutable = 'm', kind_immutable = 'i';

void write_key(base::byte_writer& w, tag t, const store::key& k) noexcept {
    w.write_u8(static_cast<std::uint8_t>(t));
    w.write_bytes(k.data(), k.size());
}

void write_endpoint(base::byte_writer& w, const base::endpoint& e) noexcept {
    const auto o = e.v4_octets();
    w.write_bytes(o.data(), o.size());
    w.write_u16le(e.port());
}

void write_peer(base::byte_writer& w, const store::peer_record& r) noexcept {
    w.write_bytes(r.pk.data(), r.pk.size());
    const std::uint8_t n = r.relay_count < 3 ? r.relay_count : 3;
    w.write_u8(n);
    for (std::size_t i = 0; i < n; ++i) write_endpoint(w, r.relays[i]);
}

tag tag_of(store::entry_kind k) noexcept {
    switch (k) {
        case store::entry_kind::record: return tag::record;
        case store::entry_kind::route: return tag::route;
        case store::entry_kind::value: return tag::value;
        case store::entry_kind::refresh: return tag::refresh;
    }
    return tag::record;
}

bool encode_body(const store::change& c, base::byte_writer& w) noexcept {
    switch (c.kind) {
        case store::entry_kind::record:
            if (c.record == nullptr) return false;
            write_peer(w, *c.record);  // the key holds the pk too; the body repeats it for the decoder's check
            return true;
        case store::entry_kind::route:
            if (c.record == nullptr) return false;
            write_endpoint(w, c.relay);
            write_peer(w, *c.record);
            return true;
        case store::entry_kind::refresh:
            if (c.record == nullptr || c.link_target == nullptr) return false;
            w.write_bytes(c.link_target->data(), c.link_target->size());
            w.write_u8(c.announce_self ? 1 : 0);
            write_peer(w, *c.record);
            return true;
        case store::entry_kind::value:
            if (c.bytes.size() > max_stored_bytes) return false;
            w.write_u8(c.is_mutable ? kind_mutable : kind_immutable);
            if (c.is_mutable) {
                w.write_u64le(c.seq);
                w.write_u16le(c.value_offset);
                w.write_u16le(c.value_len);
            }
            w.write_u16le(static_cast<std::uint16_t>(c.bytes.size()));
            w.write_bytes(c.bytes);
            return true;
    }
    return false;
}

template <class T>
bool take(base::result<T, base::decode_errc> r, T& out) noexcept {
    if (!r) return false;
    out = *r;
    return true;
}

bool read_endpoint(base::byte_reader& r, base::endpoint& e) noexcept {
    auto o = r.read_array<4>();
    auto port = r.read_u16le();
    if (!o || !port) return false;
    e = base::endpoint::v4(*o, *port);
    return true;
}

bool read_peer(base::byte_reader& r, store::peer_record& p) noexcept {
    auto pk = r.read_array<32>();
    std::uint8_t n = 0;
    if (!pk || !take(r.read_u8(), n) || n > 3) return false;
    p.pk = crypto::public_key(*pk);
    p.relay_count = n;
    for (std::size_t i = 0; i < n; ++i) {
        if (!read_endpoint(r, p.relays[i])) return false;
    }
    return true;
}

bool read_value(base::byte_reader& r, entry& e) noexcept {
    std::uint8_t kind = 0;
    if (!take(r.read_u8(), kind)) return false;
    if (kind == kind_mutable) {
        e.is_mutable = true;
        if (!take(r.read_u64le(), e.seq) || !take(r.read_u16le(), e.value_offset) || !take(r.read_u16le(), e.value_len)) {
            return false;
        }
    } else if (kind != kind_immutable) {
        return false;
    }
    std::uint16_t len = 0;
    if (!take(r.read_u16le(), len) || len > max_stored_bytes) return false;
    auto b = r.read_bytes(len);
    if (!b) return false;
    if (e.is_mutable && (e.value_offset > len || len - e.value_offset < e.value_len)) return false;
    // An immutable value is stored under its own hash: check it.
    if (!e.is_mutable && crypto::blake2b_256(*b) != crypto::hash32(e.k.array())) return false;
    e.bytes.assign(b->begin(), b->end());
    return true;
}

}  // namespace

// Seeded with the key's hash, so a value moved under another key fails too.
std::uint64_t row_checksum(std::span<const std::byte> key, std::span<const std::byte> body) noexcept {
    const std::uint64_t seed = XXH3_64bits(key.data(), key.size());
    return XXH3_64bits_withSeed(body.data(), body.size(), seed);
}

const char* to_string(skip s) noexcept {
    switch (s) {
        case skip::bad_key: return "bad key";
        case skip::bad_checksum: return "bad checksum";
        case skip::bad_field: return "bad field";
        case skip::expired: return "expired";
        case skip::count_: break;
    }
    return "?";
}

bool encode(const store::change& c, std::int64_t expires_unix_ms, row& out) noexcept {
    if (c.k == nullptr) return false;
    base::byte_writer kw(std::span<std::byte>(out.key));
    write_key(kw, tag_of(c.kind), *c.k);
    if (c.kind == store::entry_kind::record) {
        if (c.pk == nullptr) return false;
        kw.write_bytes(c.pk->data(), c.pk->size());
    }
    if (!kw.ok()) return false;
    out.key_len = static_cast<std::uint8_t>(kw.written().size());
    out.del = c.removed;
    out.value_len = 0;
    if (c.removed) return true;
    base::byte_writer w(std::span<std::byte>(out.value));
    w.write_u64le(static_cast<std::uint64_t>(expires_unix_ms));
    if (!encode_body(c, w)) return false;
    const std::uint64_t sum = row_checksum(out.key_bytes(), w.written());
    w.write_u64le(sum);
    if (!w.ok()) return false;
    out.value_len = static_cast<std::uint16_t>(w.written().size());
    return true;
}

base::result<entry, skip> decode(std::span<const std::byte> key, std::span<const std::byte> value,
                                 std::int64_t now_unix_ms) {
    entry e;
    base::byte_reader kr(key);
    std::uint8_t t = 0;
    if (!take(kr.read_u8(), t)) return base::fail(skip::bad_key);
    auto k = kr.read_array<32>();
    if (!k) return base::fail(skip::bad_key);
    e.k = store::key(*k);
    crypto::public_key key_pk;
    switch (static_cast<tag>(t)) {
        case tag::record: {
            auto pk = kr.read_array<32>();
            if (!pk) return base::fail(skip::bad_key);
            key_pk = crypto::public_key(*pk);
            e.kind = store::entry_kind::record;
            break;
        }
        case tag::route: e.kind = store::entry_kind::route; break;
        case tag::value: e.kind = store::entry_kind::value; break;
        case tag::refresh: e.kind = store::entry_kind::refresh; break;
        default: return base::fail(skip::bad_key);
    }
    if (!kr.empty()) return base::fail(skip::bad_key);
    if (value.size() < 16) return base::fail(skip::bad_checksum);
    const auto body = value.first(value.size() - 8);
    std::uint64_t sum = 0;
    if (!take(base::byte_reader(value.last(8)).read_u64le(), sum) || sum != row_checksum(key, body)) {
        return base::fail(skip::bad_checksum);
    }
    base::byte_reader r(body);
    std::uint64_t exp = 0;
    if (!take(r.read_u64le(), exp)) return base::fail(skip::bad_field);
    e.expires_unix_ms = static_cast<std::int64_t>(exp);
    bool ok = false;
    switch (e.kind) {
        case store::entry_kind::record: ok = read_peer(r, e.record) && e.record.pk == key_pk; break;
        case store::entry_kind::route: ok = read_endpoint(r, e.relay) && read_peer(r, e.record); break;
        case store::entry_kind::refresh: {
            auto target = r.read_array<32>();
            std::uint8_t self = 2;
            ok = target && take(r.read_u8(), self) && self <= 1 && read_peer(r, e.record);
            if (ok) e.link_target = store::key(*target), e.announce_self = self == 1;
            break;
        }
        case store::entry_kind::value: ok = read_value(r, e); break;
    }
    if (!ok || !r.empty()) return base::fail(skip::bad_field);
    if (e.expires_unix_ms <= now_unix_ms) return base::fail(skip::expired);
    return e;
}

}  // namespace persist
