#include "hyperdht/hyper_messages.h"

#include <cstring>

#include "base/byte_writer.h"

namespace dht::hyper {

namespace {

using base::decode_errc;
constexpr std::size_t max_value = 2048;

template <class Fixed>
result<Fixed> read_fixed(base::byte_reader& r) noexcept {
    auto b = r.read_bytes(Fixed::size_bytes);
    if (!b) return base::fail(b.error());
    return Fixed::from_span(*b);
}

result<std::optional<base::endpoint>> read_opt_addr(base::byte_reader& r, bool present) noexcept {
    if (!present) return std::optional<base::endpoint>{};
    auto a = ce::read_addr4(r);
    if (!a) return base::fail(a.error());
    return std::optional<base::endpoint>(*a);
}

// A writer into a growable vector: encode into a 2048-byte stack buffer, copy out.
template <class F>
std::vector<std::byte> build(F&& fill) {
    std::array<std::byte, 4096> buf;
    base::byte_writer w(buf);
    fill(w);
    if (!w.ok()) return {};
    return {buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(w.size())};
}

}  // namespace

const namespaces& ns() noexcept {
    static const namespaces n{crypto::ns("hyperswarm/dht", 0), crypto::ns("hyperswarm/dht", 1),
                              crypto::ns("hyperswarm/dht", 4), crypto::ns("hyperswarm/dht", 5),
                              crypto::ns("hyperswarm/dht", 6)};
    return n;
}

// The caller fills `raw` (it knows the span the reader walks).
result<peer_view> read_peer(base::byte_reader& r) noexcept {
    auto pk = read_fixed<crypto::public_key>(r);
    if (!pk) return base::fail(pk.error());
    auto relays = ce::read_addr4_array(r, max_relays_decoded);
    if (!relays) return base::fail(relays.error());
    return peer_view{*pk, *relays, {}};
}

std::vector<std::byte> encode_peer(const crypto::public_key& pk, std::span<const base::endpoint> relays,
                                   std::size_t max_relays) {
    return build([&](base::byte_writer& w) {
        w.write_bytes(pk.data(), 32);
        const auto n = std::min(relays.size(), max_relays);
        ce::write_addr4_array(w, relays.first(n));
    });
}

result<announce_view> decode_announce(bytes_view v) noexcept {
    base::byte_reader r(v);
    auto flags = ce::read_uint(r);
    if (!flags) return base::fail(flags.error());
    announce_view a;
    if (*flags & 1) {
        const std::size_t start = r.position();
        auto p = read_peer(r);
        if (!p) return base::fail(p.error());
        a.peer = *p;
        a.peer->raw = v.subspan(start, r.position() - start);
    }
    if (*flags & 2) {
        auto f = read_fixed<crypto::hash32>(r);
        if (!f) return base::fail(f.error());
        a.refresh = *f;
    }
    if (*flags & 4) {
        auto s = read_fixed<crypto::signature>(r);
        if (!s) return base::fail(s.error());
        a.sig = *s;
    }
    if (*flags & 8) {
        auto b = ce::read_uint(r);
        if (!b) return base::fail(b.error());
        a.bump = *b;
    }
    return a;
}

std::vector<std::byte> encode_announce(const crypto::public_key& pk, std::span<const base::endpoint> relays,
                                       const std::optional<crypto::hash32>& refresh,
                                       const std::optional<crypto::signature>& sig, std::uint64_t bump) {
    return build([&](base::byte_writer& w) {
        const std::uint8_t flags = 1 | (refresh ? 2 : 0) | (sig ? 4 : 0) | (bump ? 8 : 0);
        w.write_u8(flags);
        w.write_bytes(pk.data(), 32);
        ce::write_addr4_array(w, relays);
        if (refresh) w.write_bytes(refresh->data(), 32);
        if (sig) w.write_bytes(sig->data(), 64);
        if (bump) ce::write_uint(w, bump);
    });
}

std::array<std::byte, 64> announce_signable(const crypto::hash32& space, const target& tgt, const node_id& id,
                                            const token& tok, bytes_view peer_encoding,
                                            const std::optional<crypto::hash32>& refresh) noexcept {
    const auto inner = crypto::blake2b_256({tgt.bytes(), id.bytes(), tok.bytes(), peer_encoding,
                                            refresh ? bytes_view(refresh->bytes()) : bytes_view{}});
    std::array<std::byte, 64> out;
    std::memcpy(out.data(), space.data(), 32);
    std::memcpy(out.data() + 32, inner.data(), 32);
    return out;
}

result<lookup_reply_view> decode_lookup_reply(bytes_view v) noexcept {
    base::byte_reader r(v);
    auto n = ce::read_uint(r);
    if (!n) return base::fail(n.error());
    // Each peer is at least 33 bytes: bound the count before reserving.
    if (*n > r.remaining() / 33) return base::fail(decode_errc::truncated);
    lookup_reply_view out;
    out.peers.reserve(static_cast<std::size_t>(*n));
    for (std::uint64_t i = 0; i < *n; ++i) {
        const std::size_t start = r.position();
        auto p = read_peer(r);
        if (!p) return base::fail(p.error());
        p->raw = v.subspan(start, r.position() - start);
        out.peers.push_back(*p);
    }
    if (!r.empty()) {
        auto b = ce::read_uint(r);
        if (!b) return base::fail(b.error());
        out.bump = *b;
    }
    return out;
}

std::vector<std::byte> encode_lookup_reply(std::span<const bytes_view> encoded_peers, std::uint64_t bump) {
    return build([&](base::byte_writer& w) {
        ce::write_uint(w, encoded_peers.size());
        for (auto p : encoded_peers) w.write_bytes(p);
        ce::write_uint(w, bump);
    });
}

result<mutable_put_view> decode_mutable_put(bytes_view v) noexcept {
    base::byte_reader r(v);
    mutable_put_view m;
    auto pk = read_fixed<crypto::public_key>(r);
    if (!pk) return base::fail(pk.error());
    m.pk = *pk;
    auto seq = ce::read_uint(r);
    if (!seq) return base::fail(seq.error());
    m.seq = *seq;
    auto val = ce::read_buffer(r, max_value);
    if (!val) return base::fail(val.error());
    m.value = *val;
    auto sig = read_fixed<crypto::signature>(r);
    if (!sig) return base::fail(sig.error());
    m.sig = *sig;
    return m;
}

std::vector<std::byte> encode_mutable_put(const crypto::public_key& pk, std::uint64_t seq, bytes_view value,
                                          const crypto::signature& sig) {
    return build([&](base::byte_writer& w) {
        w.write_bytes(pk.data(), 32);
        ce::write_uint(w, seq);
        ce::write_buffer(w, value);
        w.write_bytes(sig.data(), 64);
    });
}

result<mutable_get_view> decode_mutable_get_response(bytes_view v) noexcept {
    base::byte_reader r(v);
    mutable_get_view m;
    auto seq = ce::read_uint(r);
    if (!seq) return base::fail(seq.error());
    m.seq = *seq;
    auto val = ce::read_buffer(r, max_value);
    if (!val) return base::fail(val.error());
    m.value = *val;
    auto sig = read_fixed<crypto::signature>(r);
    if (!sig) return base::fail(sig.error());
    m.sig = *sig;
    return m;
}

std::vector<std::byte> encode_mutable_get_response(std::uint64_t seq, bytes_view value, const crypto::signature& sig) {
    return build([&](base::byte_writer& w) {
        ce::write_uint(w, seq);
        ce::write_buffer(w, value);
        w.write_bytes(sig.data(), 64);
    });
}

std::array<std::byte, 64> mutable_signable(std::uint64_t seq, bytes_view value) noexcept {
    std::array<std::byte, 9 + 9> head;
    base::byte_writer w(head);
    ce::write_uint(w, seq);
    ce::write_uint(w, value.size());
    const auto inner = crypto::blake2b_256({w.written(), value});
    std::array<std::byte, 64> out;
    std::memcpy(out.data(), ns().mutable_put.data(), 32);
    std::memcpy(out.data() + 32, inner.data(), 32);
    return out;
}

result<handshake_view> decode_handshake(bytes_view v) noexcept {
    base::byte_reader r(v);
    auto flags = ce::read_uint(r);
    if (!flags) return base::fail(flags.error());
    handshake_view h;
    auto m = ce::read_uint(r);
    if (!m) return base::fail(m.error());
    h.mode = *m;
    auto noise = ce::read_buffer(r, max_value);
    if (!noise) return base::fail(noise.error());
    h.noise = *noise;
    auto pa = read_opt_addr(r, *flags & 1);
    if (!pa) return base::fail(pa.error());
    h.peer_address = *pa;
    auto ra = read_opt_addr(r, *flags & 2);
    if (!ra) return base::fail(ra.error());
    h.relay_address = *ra;
    return h;
}

std::vector<std::byte> encode_handshake(std::uint64_t m, bytes_view noise, const std::optional<base::endpoint>& peer_address,
                                        const std::optional<base::endpoint>& relay_address) {
    return build([&](base::byte_writer& w) {
        ce::write_uint(w, (peer_address ? 1u : 0u) | (relay_address ? 2u : 0u));
        ce::write_uint(w, m);
        ce::write_buffer(w, noise);
        if (peer_address) ce::write_addr4(w, *peer_address);
        if (relay_address) ce::write_addr4(w, *relay_address);
    });
}

result<holepunch_view> decode_holepunch(bytes_view v) noexcept {
    base::byte_reader r(v);
    auto flags = ce::read_uint(r);
    if (!flags) return base::fail(flags.error());
    holepunch_view h;
    auto m = ce::read_uint(r);
    if (!m) return base::fail(m.error());
    h.mode = *m;
    auto id = ce::read_uint(r);
    if (!id) return base::fail(id.error());
    h.id = *id;
    auto payload = ce::read_buffer(r, max_value);
    if (!payload) return base::fail(payload.error());
    h.payload = *payload;
    auto pa = read_opt_addr(r, *flags & 1);
    if (!pa) return base::fail(pa.error());
    h.peer_address = *pa;
    return h;
}

std::vector<std::byte> encode_holepunch(std::uint64_t m, std::uint64_t id, bytes_view payload,
                                        const std::optional<base::endpoint>& peer_address) {
    return build([&](base::byte_writer& w) {
        ce::write_uint(w, peer_address ? 1u : 0u);
        ce::write_uint(w, m);
        ce::write_uint(w, id);
        ce::write_buffer(w, payload);
        if (peer_address) ce::write_addr4(w, *peer_address);
    });
}

result<plugin_request_view> decode_plugin_request(bytes_view v) noexcept {
    base::byte_reader r(v);
    plugin_request_view p;
    auto name = ce::read_buffer(r, 256);
    if (!name) return base::fail(name.error());
    p.plugin = std::string_view(reinterpret_cast<const char*>(name->data()), name->size());
    auto ver = ce::read_uint(r);
    if (!ver) return base::fail(ver.error());
    p.version = *ver;
    auto cmd = ce::read_uint(r);
    if (!cmd) return base::fail(cmd.error());
    p.command = *cmd;
    auto flags = ce::read_uint(r);
    if (!flags) return base::fail(flags.error());
    if (*flags & 1) {
        auto val = ce::read_buffer(r, max_value);
        if (!val) return base::fail(val.error());
        p.value = *val;
    }
    return p;
}

}  // namespace dht::hyper
