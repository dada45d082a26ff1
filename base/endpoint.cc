#include "base/endpoint.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstdio>
#include <cstring>

namespace base {

endpoint endpoint::v6(const std::array<std::uint8_t, 16>& ip, std::uint16_t port) noexcept {
    endpoint e;
    e._family = ip_family::v6;
    e._ip = ip;
    e._port = port;
    return e;
}

std::optional<endpoint> endpoint::parse_host(std::string_view host, std::uint16_t port) {
    std::array<std::uint8_t, 4> o{};
    std::size_t i = 0;
    const char* p = host.data();
    const char* end = host.data() + host.size();
    for (; i < 4; ++i) {
        unsigned v = 0;
        auto [next, ec] = std::from_chars(p, end, v);
        if (ec != std::errc{} || next == p || next - p > 3 || v > 255) return std::nullopt;
        o[i] = static_cast<std::uint8_t>(v);
        p = next;
        if (i < 3) {
            if (p == end || *p != '.') return std::nullopt;
            ++p;
        }
    }
    if (p != end) return std::nullopt;
    return v4(o, port);
}

std::optional<endpoint> endpoint::parse(std::string_view s, bool allow_zero_port) {
    auto colon = s.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    auto port_s = s.substr(colon + 1);
    unsigned port = 0;
    auto [next, ec] = std::from_chars(port_s.data(), port_s.data() + port_s.size(), port);
    if (ec != std::errc{} || next != port_s.data() + port_s.size() || port_s.empty() || port > 65535) {
        return std::nullopt;
    }
    if (port == 0 && !allow_zero_port) return std::nullopt;
    return parse_host(s.substr(0, colon), static_cast<std::uint16_t>(port));
}

std::size_t endpoint::host_string(char* buf, std::size_t cap) const noexcept {
    if (cap == 0) return 0;
    if (is_v4()) {
        int n = std::snprintf(buf, cap, "%u.%u.%u.%u", _ip[0], _ip[1], _ip[2], _ip[3]);
        if (n < 0) return 0;
        return static_cast<std::size_t>(n) < cap ? static_cast<std::size_t>(n) : cap - 1;
    }
    char tmp[INET6_ADDRSTRLEN] = {};
    if (!inet_ntop(AF_INET6, _ip.data(), tmp, sizeof tmp)) return 0;
    std::size_t n = std::strlen(tmp);
    if (n >= cap) n = cap - 1;
    std::memcpy(buf, tmp, n);
    buf[n] = '\0';
    return n;
}

std::string endpoint::host_string() const {
    char buf[64];
    return std::string(buf, host_string(buf, sizeof buf));
}

std::string endpoint::to_string() const {
    std::string h = host_string();
    if (!is_v4()) h = "[" + h + "]";
    return h + ":" + std::to_string(_port);
}

addr_scope endpoint::scope() const noexcept {
    if (!is_v4() || _port == 0) return addr_scope::unusable;
    const std::uint32_t a = v4_u32();
    auto in = [a](std::uint32_t net, int bits) { return (a >> (32 - bits)) == (net >> (32 - bits)); };
    if (in(0x00000000, 8) || in(0xe0000000, 4) || in(0xf0000000, 4)) return addr_scope::unusable;
    if (in(0x7f000000, 8)) return addr_scope::loopback;
    if (in(0x0a000000, 8) || in(0x64400000, 10) || in(0xa9fe0000, 16) || in(0xac100000, 12) ||
        in(0xc0000000, 24) || in(0xc0000200, 24) || in(0xc0a80000, 16) || in(0xc6120000, 15) ||
        in(0xc6336400, 24) || in(0xcb007100, 24)) {
        return addr_scope::private_net;
    }
    return addr_scope::global;
}

std::uint64_t endpoint::key() const noexcept {
    if (is_v4()) return std::uint64_t(v4_u32()) << 16 | _port;
    std::uint64_t a = 0, b = 0;
    std::memcpy(&a, _ip.data(), 8);
    std::memcpy(&b, _ip.data() + 8, 8);
    return (a * 0x9E3779B97F4A7C15ull) ^ (b + 0x632BE59BD9B4E019ull) ^ (std::uint64_t(_port) << 48) ^ 1;
}

}  // namespace base
