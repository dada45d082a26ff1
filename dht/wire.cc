#include "dht/wire.h"

#include <algorithm>
#include <cstring>

#include "base/byte_reader.h"
#include "base/byte_writer.h"

namespace dht {

const char* to_string(wire_errc e) noexcept {
    switch (e) {
        case wire_errc::too_short: return "too_short";
        case wire_errc::too_long: return "too_long";
        case wire_errc::bad_type: return "bad_type";
        case wire_errc::truncated: return "truncated";
        case wire_errc::bad_field: return "bad_field";
    }
    return "unknown";
}

namespace {

wire_errc map(base::decode_errc e) noexcept {
    return e == base::decode_errc::truncated ? wire_errc::truncated : wire_errc::bad_field;
}

template <class Fixed>
base::result<Fixed, wire_errc> read_fixed32(base::byte_reader& r) noexcept {
    auto a = r.read_array<32>();
    if (!a) return base::fail(map(a.error()));
    return Fixed(*a);
}

// The common head of both frames: flags, tid, to.
struct head {
    std::uint8_t flags;
    txn_id tid;
    base::endpoint to;
};

base::result<head, wire_errc> read_head(base::byte_reader& r) noexcept {
    auto flags = ce::read_uint(r);
    if (!flags) return base::fail(map(flags.error()));
    auto tid = r.read_u16le();
    if (!tid) return base::fail(map(tid.error()));
    auto to = ce::read_addr4(r);
    if (!to) return base::fail(map(to.error()));
    // Flags above bit 4 are unused; the reference ignores them, and so do we.
    return head{static_cast<std::uint8_t>(*flags & 0xff), txn_id(*tid), *to};
}

}  // namespace

base::result<std::uint8_t, wire_errc> frame_type(base::bytes_view d) noexcept {
    if (d.size() < 2) return base::fail(wire_errc::too_short);
    if (d.size() > max_datagram) return base::fail(wire_errc::too_long);
    auto t = std::to_integer<std::uint8_t>(d[0]);
    if (t != request_byte && t != response_byte) return base::fail(wire_errc::bad_type);
    return t;
}

base::result<request_view, wire_errc> decode_request(base::bytes_view d) noexcept {
    auto type = frame_type(d);
    if (!type) return base::fail(type.error());
    if (*type != request_byte) return base::fail(wire_errc::bad_type);
    base::byte_reader r(d.subspan(1));
    auto h = read_head(r);
    if (!h) return base::fail(h.error());
    request_view v;
    v.flags = h->flags;
    v.tid = h->tid;
    v.to = h->to;
    if (v.flags & flag::id) {
        auto id = read_fixed32<node_id>(r);
        if (!id) return base::fail(id.error());
        v.id = *id;
    }
    if (v.flags & flag::token) {
        auto t = read_fixed32<token>(r);
        if (!t) return base::fail(t.error());
        v.tok = *t;
    }
    v.internal = (v.flags & flag::internal) != 0;
    auto cmd = ce::read_uint(r);
    if (!cmd) return base::fail(map(cmd.error()));
    v.command = *cmd;
    if (v.flags & flag::target) {
        auto t = read_fixed32<target>(r);
        if (!t) return base::fail(t.error());
        v.tgt = *t;
    }
    if (v.flags & flag::value) {
        auto val = ce::read_buffer(r, max_datagram);
        if (!val) return base::fail(map(val.error()));
        v.value = *val;
    }
    return v;
}

namespace {
// The length of the compact-encoding uint that starts with `first` (ce::read_uint).
constexpr std::uint16_t uint_length(std::byte first) noexcept {
    switch (std::to_integer<std::uint8_t>(first)) {
        case 0xfd: return 3;
        case 0xfe: return 5;
        case 0xff: return 9;
        default: return 1;
    }
}
}  // namespace

// The decoder above read the fields in this order; only the two uints (flags
// and command) have a length of their own, given by their first byte.
request_layout layout_of(const request_view& v, base::bytes_view d) noexcept {
    request_layout l;
    l.to = v.to;
    l.command = v.command;
    l.tid = v.tid;
    l.flags = v.flags;
    std::uint16_t at = 1 + uint_length(d[1]) + 2 + 6;  // type, flags, tid, to
    if (v.id) {
        l.id = at;
        at += 32;
    }
    if (v.tok) {
        l.tok = at;
        at += 32;
    }
    at += uint_length(d[at]);  // command
    if (v.tgt) l.tgt = at;
    if (v.value) {
        l.value = static_cast<std::uint16_t>(v.value->data() - d.data());
        l.value_len = static_cast<std::uint16_t>(v.value->size());
    }
    return l;
}

std::optional<request_view> request_view_at(const request_layout& l, base::bytes_view d) noexcept {
    auto fits = [&](std::size_t off, std::size_t len) { return off <= d.size() && len <= d.size() - off; };
    if ((l.id && !fits(l.id, 32)) || (l.tok && !fits(l.tok, 32)) || (l.tgt && !fits(l.tgt, 32)) ||
        ((l.flags & flag::value) && !fits(l.value, l.value_len))) {
        return std::nullopt;
    }
    auto fixed = [&](std::uint16_t off) {
        std::array<std::uint8_t, 32> a;
        std::memcpy(a.data(), d.data() + off, 32);
        return a;
    };
    request_view v;
    v.flags = l.flags;
    v.tid = l.tid;
    v.to = l.to;
    if (l.id) v.id = node_id(fixed(l.id));
    if (l.tok) v.tok = token(fixed(l.tok));
    v.internal = (l.flags & flag::internal) != 0;
    v.command = l.command;
    if (l.tgt) v.tgt = target(fixed(l.tgt));
    if (l.flags & flag::value) v.value = d.subspan(l.value, l.value_len);
    return v;
}

base::result<response_view, wire_errc> decode_response(base::bytes_view d) noexcept {
    auto type = frame_type(d);
    if (!type) return base::fail(type.error());
    if (*type != response_byte) return base::fail(wire_errc::bad_type);
    base::byte_reader r(d.subspan(1));
    auto h = read_head(r);
    if (!h) return base::fail(h.error());
    response_view v;
    v.flags = h->flags;
    v.tid = h->tid;
    v.to = h->to;
    if (v.flags & flag::id) {
        auto id = read_fixed32<node_id>(r);
        if (!id) return base::fail(id.error());
        v.id = *id;
    }
    if (v.flags & flag::token) {
        auto t = read_fixed32<token>(r);
        if (!t) return base::fail(t.error());
        v.tok = *t;
    }
    if (v.flags & flag::closer) {
        // A longer list than we use is legal: keep the first max_closer_nodes.
        auto n = ce::read_uint(r);
        if (!n) return base::fail(map(n.error()));
        if (*n > r.remaining() / 6) return base::fail(wire_errc::truncated);
        auto raw = r.read_bytes(static_cast<std::size_t>(*n) * 6);
        if (!raw) return base::fail(map(raw.error()));
        v.closer.raw = raw->first(std::min<std::size_t>(raw->size(), max_closer_nodes * 6));
    }
    if (v.flags & flag::error) {
        auto e = ce::read_uint(r);
        if (!e) return base::fail(map(e.error()));
        v.error = *e;
    }
    if (v.flags & flag::value) {
        auto val = ce::read_buffer(r, max_datagram);
        if (!val) return base::fail(map(val.error()));
        v.value = *val;
    }
    return v;
}

std::size_t encode_request(std::span<std::byte> out, const request_out& q) noexcept {
    base::byte_writer w(out.size() > max_datagram ? out.first(max_datagram) : out);
    std::uint8_t flags = (q.id ? flag::id : 0) | (q.tok ? flag::token : 0) | (q.internal ? flag::internal : 0) |
                         (q.tgt ? flag::target : 0) | (q.value ? flag::value : 0);
    w.write_u8(request_byte);
    w.write_u8(flags);
    w.write_u16le(q.tid.value());
    ce::write_addr4(w, q.to);
    if (q.id) w.write_bytes(q.id->data(), 32);
    if (q.tok) w.write_bytes(q.tok->data(), 32);
    ce::write_uint(w, q.command);
    if (q.tgt) w.write_bytes(q.tgt->data(), 32);
    if (q.value) ce::write_buffer(w, *q.value);
    return w.ok() ? w.size() : 0;
}

std::size_t encode_response(std::span<std::byte> out, const response_out& p) noexcept {
    base::byte_writer w(out.size() > max_datagram ? out.first(max_datagram) : out);
    std::uint8_t flags = (p.id ? flag::id : 0) | (p.tok ? flag::token : 0) | (!p.closer.empty() ? flag::closer : 0) |
                         (p.error ? flag::error : 0) | (p.value || p.writer ? flag::value : 0);
    w.write_u8(response_byte);
    w.write_u8(flags);
    w.write_u16le(p.tid.value());
    ce::write_addr4(w, p.to);
    if (p.id) w.write_bytes(p.id->data(), 32);
    if (p.tok) w.write_bytes(p.tok->data(), 32);
    if (!p.closer.empty()) ce::write_addr4_array(w, p.closer);
    if (p.error) ce::write_uint(w, p.error);
    if (p.writer) {
        // buffer(value): a uint length (1 or 3 bytes here), then the bytes.
        // Room for the longer length first; moved down when it is short.
        const std::size_t at = w.size();
        auto room = w.skip(3 + p.writer->max);
        if (room.empty() || p.writer->max > 0xffff) return 0;
        // A writer that fails (0 bytes where some were planned) drops the
        // frame rather than send an empty value the peer cannot decode.
        const std::size_t n = std::min(p.writer->write(p.writer->ctx, room.subspan(3)), p.writer->max);
        if (n == 0 && p.writer->max != 0) return 0;
        if (n <= 0xfc) {
            room[0] = std::byte(n);
            std::memmove(room.data() + 1, room.data() + 3, n);
            w.truncate(at + 1 + n);
        } else {
            room[0] = std::byte{0xfd};
            room[1] = std::byte(n & 0xff);
            room[2] = std::byte(n >> 8);
            w.truncate(at + 3 + n);
        }
    } else if (p.value) {
        ce::write_buffer(w, *p.value);
    }
    return w.ok() ? w.size() : 0;
}

}  // namespace dht
