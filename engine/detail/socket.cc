#include "engine/detail/socket.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace engine::detail {

socklen_t to_sockaddr(const base::endpoint& e, sockaddr_storage& out) noexcept {
    std::memset(&out, 0, sizeof out);
    if (e.is_v4()) {
        sockaddr_in sin{};
        sin.sin_family = AF_INET;
        sin.sin_port = htons(e.port());
        std::memcpy(&sin.sin_addr, e.raw_ip().data(), 4);
        std::memcpy(&out, &sin, sizeof sin);
        return sizeof sin;
    }
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(e.port());
    std::memcpy(&sin6.sin6_addr, e.raw_ip().data(), 16);
    std::memcpy(&out, &sin6, sizeof sin6);
    return sizeof sin6;
}

std::optional<base::endpoint> from_sockaddr(const sockaddr* sa, socklen_t len) noexcept {
    if (len >= static_cast<socklen_t>(sizeof(sockaddr_in)) && sa->sa_family == AF_INET) {
        sockaddr_in sin;
        std::memcpy(&sin, sa, sizeof sin);
        std::array<std::uint8_t, 4> o;
        std::memcpy(o.data(), &sin.sin_addr, 4);
        return base::endpoint::v4(o, ntohs(sin.sin_port));
    }
    if (len >= static_cast<socklen_t>(sizeof(sockaddr_in6)) && sa->sa_family == AF_INET6) {
        sockaddr_in6 sin6;
        std::memcpy(&sin6, sa, sizeof sin6);
        std::array<std::uint8_t, 16> ip;
        std::memcpy(ip.data(), &sin6.sin6_addr, 16);
        return base::endpoint::v6(ip, ntohs(sin6.sin6_port));
    }
    return std::nullopt;
}

namespace {
std::string sys_error(const char* what, const base::endpoint& at, int err) {
    return std::string(what) + " " + at.to_string() + ": " + std::strerror(err);
}

void set_buffer(int fd, int opt, int force_opt, int bytes) noexcept {
    // SO_*BUFFORCE lifts the rmem_max/wmem_max cap when we are privileged.
    if (setsockopt(fd, SOL_SOCKET, force_opt, &bytes, sizeof bytes) != 0) {
        (void)setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof bytes);
    }
}
}  // namespace

base::result<int, std::string> open_udp(const base::endpoint& at, int buffer_bytes) {
    int family = at.is_v4() ? AF_INET : AF_INET6;
    int fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return base::fail(sys_error("socket for", at, errno));
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
        int err = errno;
        ::close(fd);
        return base::fail(sys_error("SO_REUSEPORT on", at, err));
    }
    if (buffer_bytes > 0) {
        set_buffer(fd, SO_RCVBUF, SO_RCVBUFFORCE, buffer_bytes);
        set_buffer(fd, SO_SNDBUF, SO_SNDBUFFORCE, buffer_bytes);
    }
    sockaddr_storage ss;
    socklen_t len = to_sockaddr(at, ss);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
        int err = errno;
        ::close(fd);
        return base::fail(sys_error("bind", at, err));
    }
    return fd;
}

base::result<base::endpoint, std::string> local_address(int fd) {
    sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
        return base::fail(std::string("getsockname: ") + std::strerror(errno));
    }
    auto e = from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
    if (!e) return base::fail(std::string("getsockname: unknown address family"));
    return *e;
}

base::result<void, std::string> check_port_free(const base::endpoint& at) {
    if (at.port() == 0) return {};
    int fd = ::socket(at.is_v4() ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return base::fail(sys_error("socket for", at, errno));
    sockaddr_storage ss;
    socklen_t len = to_sockaddr(at, ss);
    int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&ss), len);
    int err = errno;
    ::close(fd);
    if (rc != 0) return base::fail(sys_error("bind", at, err));
    return {};
}

base::result<void, std::string> attach_steering(int fd, const steering_rule& rule, std::uint16_t shards) {
    // The program sees the UDP payload. For a datagram of at least offset+2
    // bytes whose first byte matches, it returns (u16le at offset) % shards, the
    // index of the owning shard's socket in the group (sockets join in shard
    // order). Anything else returns an out-of-range index, which makes the
    // kernel fall back to its usual 4-tuple hash.
    const std::uint32_t off = rule.offset;
    sock_filter prog[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),                        // A = len
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, off + 2, 0, 8),           // len < off+2 -> fallback
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0),                        // A = p[0]
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, rule.first_byte, 0, 6),   // not ours -> fallback
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, off + 1),                  // A = p[off+1]
        BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 8),                       // A <<= 8
        BPF_STMT(BPF_MISC | BPF_TAX, 0),                              // X = A
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, off),                      // A = p[off]
        BPF_STMT(BPF_ALU | BPF_OR | BPF_X, 0),                        // A |= X
        BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, shards),                  // A %= shards
        BPF_STMT(BPF_RET | BPF_A, 0),                                 // owner
        BPF_STMT(BPF_RET | BPF_K, 0xffffffffu),                       // fallback
    };
    // Fix the fallback jumps: both land on the last instruction.
    prog[1].jf = static_cast<std::uint8_t>(11 - 2);
    prog[3].jf = static_cast<std::uint8_t>(11 - 4);
    sock_fprog fprog{static_cast<unsigned short>(sizeof prog / sizeof prog[0]), prog};
    if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &fprog, sizeof fprog) != 0) {
        return base::fail(std::string("SO_ATTACH_REUSEPORT_CBPF: ") + std::strerror(errno));
    }
    return {};
}

}  // namespace engine::detail
