// dht/compact.h -- compact-encoding (holepunchto/compact-encoding) primitives.
//
// Limits, all checked at decode time (docs/wire_format.md):
//   uint      1, 3, 5 or 9 bytes; any form accepted, the shortest written
//   buffer    uint length, then that many bytes; length <= remaining input
//             and <= the caller's limit
//   array     uint count; count * element size <= remaining input
//   addr4     4 octets + u16le port (6 bytes)
// Decoders borrow the input; encoders report overflow through byte_writer.
// Thread safety: stateless functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "base/byte_reader.h"
#include "base/byte_writer.h"
#include "base/endpoint.h"
#include "base/result.h"

namespace dht::ce {

using base::bytes_view;
using base::decode_errc;
template <class T>
using result = base::result<T, decode_errc>;

[[nodiscard]] inline result<std::uint64_t> read_uint(base::byte_reader& r) noexcept {
    auto first = r.read_u8();
    if (!first) return base::fail(first.error());
    switch (*first) {
        case 0xfd: {
            auto v = r.read_u16le();
            if (!v) return base::fail(v.error());
            return *v;
        }
        case 0xfe: {
            auto v = r.read_u32le();
            if (!v) return base::fail(v.error());
            return *v;
        }
        case 0xff: return r.read_u64le();
        default: return *first;
    }
}

[[nodiscard]] constexpr std::size_t uint_size(std::uint64_t v) noexcept {
    return v <= 0xfc ? 1 : v <= 0xffff ? 3 : v <= 0xffffffffu ? 5 : 9;
}

inline void write_uint(base::byte_writer& w, std::uint64_t v) noexcept {
    if (v <= 0xfc) {
        w.write_u8(static_cast<std::uint8_t>(v));
    } else if (v <= 0xffff) {
        w.write_u8(0xfd);
        w.write_u16le(static_cast<std::uint16_t>(v));
    } else if (v <= 0xffffffffu) {
        w.write_u8(0xfe);
        w.write_u32le(static_cast<std::uint32_t>(v));
    } else {
        w.write_u8(0xff);
        w.write_u64le(v);
    }
}

// A length-prefixed buffer; fails with too_large when longer than `max`.
[[nodiscard]] inline result<bytes_view> read_buffer(base::byte_reader& r, std::size_t max) noexcept {
    auto len = read_uint(r);
    if (!len) return base::fail(len.error());
    if (*len > r.remaining()) return base::fail(decode_errc::truncated);
    if (*len > max) return base::fail(decode_errc::too_large);
    return r.read_bytes(static_cast<std::size_t>(*len));
}

inline void write_buffer(base::byte_writer& w, bytes_view b) noexcept {
    write_uint(w, b.size());
    w.write_bytes(b);
}

[[nodiscard]] inline result<base::endpoint> read_addr4(base::byte_reader& r) noexcept {
    auto ip = r.read_array<4>();
    if (!ip) return base::fail(ip.error());
    auto port = r.read_u16le();
    if (!port) return base::fail(port.error());
    return base::endpoint::v4(*ip, *port);
}

// REQUIRES: e.is_v4() (IPv6 endpoints never reach the IPv4 wire format).
inline void write_addr4(base::byte_writer& w, const base::endpoint& e) noexcept {
    auto o = e.v4_octets();
    w.write_bytes(o.data(), 4);
    w.write_u16le(e.port());
}

// An array of addr4: the count, then the borrowed 6-byte records.
struct addr4_array {
    bytes_view raw;  // count * 6 bytes
    [[nodiscard]] std::size_t size() const noexcept { return raw.size() / 6; }
    [[nodiscard]] base::endpoint operator[](std::size_t i) const noexcept {
        std::array<std::uint8_t, 4> ip;
        for (std::size_t k = 0; k < 4; ++k) ip[k] = std::to_integer<std::uint8_t>(raw[i * 6 + k]);
        auto port = static_cast<std::uint16_t>(std::to_integer<unsigned>(raw[i * 6 + 4]) |
                                               std::to_integer<unsigned>(raw[i * 6 + 5]) << 8);
        return base::endpoint::v4(ip, port);
    }
};

[[nodiscard]] inline result<addr4_array> read_addr4_array(base::byte_reader& r, std::size_t max_count) noexcept {
    auto n = read_uint(r);
    if (!n) return base::fail(n.error());
    if (*n > r.remaining() / 6) return base::fail(decode_errc::truncated);
    if (*n > max_count) return base::fail(decode_errc::too_large);
    auto raw = r.read_bytes(static_cast<std::size_t>(*n) * 6);
    if (!raw) return base::fail(raw.error());
    return addr4_array{*raw};
}

template <class Range>
void write_addr4_array(base::byte_writer& w, const Range& addrs) noexcept {
    write_uint(w, std::size(addrs));
    for (const auto& a : addrs) write_addr4(w, a);
}

}  // namespace dht::ce
