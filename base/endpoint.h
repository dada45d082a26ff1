// base/endpoint.h -- an IP address and UDP port, IPv4 today and IPv6-ready.
//
// The engine carries endpoints between sockets and handlers; the DHT encodes
// the IPv4 ones as `addr4` on the wire. The address is kept in network byte
// order (octets as written). Thread safety: plain values.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace base {

enum class ip_family : std::uint8_t { v4 = 4, v6 = 6 };

// How far an address reaches (IANA's special-purpose registries, RFC 6890):
// the DHT sends sender-chosen bytes only where the node itself may reach.
enum class addr_scope : std::uint8_t {
    unusable,     // port 0, 0.0.0.0/8, multicast 224/4, 240/4 (with broadcast), IPv6
    loopback,     // 127/8
    private_net,  // 10/8, 100.64/10, 169.254/16, 172.16/12, 192.0.0/24, 192.0.2/24,
                  // 192.168/16, 198.18/15, 198.51.100/24, 203.0.113/24
    global,       // everything else
};

class endpoint {
public:
    constexpr endpoint() noexcept = default;

    [[nodiscard]] static constexpr endpoint v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d,
                                               std::uint16_t port) noexcept {
        endpoint e;
        e._family = ip_family::v4;
        e._ip = {a, b, c, d};
        e._port = port;
        return e;
    }
    [[nodiscard]] static constexpr endpoint v4(std::array<std::uint8_t, 4> o, std::uint16_t port) noexcept {
        return v4(o[0], o[1], o[2], o[3], port);
    }
    [[nodiscard]] static endpoint v6(const std::array<std::uint8_t, 16>& ip, std::uint16_t port) noexcept;

    // Parses "a.b.c.d:port" (IPv4 only for now). Rejects a missing or zero port
    // unless allow_zero_port, leading zeros are allowed, values > 255 are not.
    [[nodiscard]] static std::optional<endpoint> parse(std::string_view s, bool allow_zero_port = false);
    // Parses a bare dotted IPv4 address with the given port.
    [[nodiscard]] static std::optional<endpoint> parse_host(std::string_view host, std::uint16_t port);

    [[nodiscard]] constexpr ip_family family() const noexcept { return _family; }
    [[nodiscard]] constexpr bool is_v4() const noexcept { return _family == ip_family::v4; }
    [[nodiscard]] constexpr std::uint16_t port() const noexcept { return _port; }
    [[nodiscard]] constexpr endpoint with_port(std::uint16_t p) const noexcept {
        endpoint e = *this;
        e._port = p;
        return e;
    }
    // The 4 octets; REQUIRES: is_v4().
    [[nodiscard]] constexpr std::array<std::uint8_t, 4> v4_octets() const noexcept {
        return {_ip[0], _ip[1], _ip[2], _ip[3]};
    }
    // IPv4 address as a host-order integer (a.b.c.d -> a<<24|...); REQUIRES: is_v4().
    [[nodiscard]] constexpr std::uint32_t v4_u32() const noexcept {
        return std::uint32_t(_ip[0]) << 24 | std::uint32_t(_ip[1]) << 16 | std::uint32_t(_ip[2]) << 8 | _ip[3];
    }
    [[nodiscard]] constexpr const std::array<std::uint8_t, 16>& raw_ip() const noexcept { return _ip; }
    [[nodiscard]] constexpr bool same_host(const endpoint& o) const noexcept {
        return _family == o._family && _ip == o._ip;
    }

    // "a.b.c.d" -- the exact string the DHT token is computed over.
    // Writes into buf (>= 16 bytes for v4, 46 for v6) and returns the length.
    std::size_t host_string(char* buf, std::size_t cap) const noexcept;
    [[nodiscard]] std::string host_string() const;
    [[nodiscard]] std::string to_string() const;  // "a.b.c.d:port"

    // The scope of this address and port (addr_scope above).
    [[nodiscard]] addr_scope scope() const noexcept;

    // A 64-bit key for hash tables: family, address and port packed (v4) or folded (v6).
    [[nodiscard]] std::uint64_t key() const noexcept;

    friend constexpr bool operator==(const endpoint&, const endpoint&) noexcept = default;

private:
    ip_family _family = ip_family::v4;
    std::uint16_t _port = 0;
    std::array<std::uint8_t, 16> _ip{};
};

}  // namespace base
