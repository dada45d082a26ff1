// A blocking UDP socket for tests: sends to and receives from an engine on loopback.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/endpoint.h"

namespace test {

class udp_client {
public:
    udp_client() {
        _fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(_fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        int big = 4 << 20;
        ::setsockopt(_fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    }
    ~udp_client() { ::close(_fd); }
    udp_client(const udp_client&) = delete;
    udp_client& operator=(const udp_client&) = delete;

    [[nodiscard]] std::uint16_t port() const {
        sockaddr_in a{};
        socklen_t l = sizeof a;
        ::getsockname(_fd, reinterpret_cast<sockaddr*>(&a), &l);
        return ntohs(a.sin_port);
    }
    [[nodiscard]] base::endpoint local() const { return base::endpoint::v4(127, 0, 0, 1, port()); }

    bool send(const base::endpoint& to, std::span<const std::byte> b) const {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(to.port());
        std::memcpy(&a.sin_addr, to.raw_ip().data(), 4);
        return ::sendto(_fd, b.data(), b.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a) ==
               static_cast<ssize_t>(b.size());
    }
    bool send(const base::endpoint& to, const std::string& s) const {
        return send(to, std::span<const std::byte>(reinterpret_cast<const std::byte*>(s.data()), s.size()));
    }

    // Waits up to `timeout` for one datagram.
    std::optional<std::vector<std::byte>> recv(std::chrono::milliseconds timeout, base::endpoint* from = nullptr) const {
        pollfd p{_fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
        std::vector<std::byte> buf(65536);
        sockaddr_in a{};
        socklen_t l = sizeof a;
        ssize_t n = ::recvfrom(_fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&a), &l);
        if (n < 0) return std::nullopt;
        buf.resize(static_cast<std::size_t>(n));
        if (from) {
            std::array<std::uint8_t, 4> o;
            std::memcpy(o.data(), &a.sin_addr, 4);
            *from = base::endpoint::v4(o, ntohs(a.sin_port));
        }
        return buf;
    }

private:
    int _fd;
};

inline std::span<const std::byte> bytes_of(const std::string& s) {
    return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

}  // namespace test
