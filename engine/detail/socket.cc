#include "engine/detail/socket.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

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

base::result<void, std::string> wait_port_free(const base::endpoint& at, std::chrono::milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    for (;;) {
        auto free = check_port_free(at);
        if (free || std::chrono::steady_clock::now() >= until) return free;
        if (free.error().find(std::strerror(EADDRINUSE)) == std::string::npos) return free;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

base::result<void, std::string> attach_steering(int fd, const steering_rule& rule, std::uint16_t shards) {
    // The program sees the UDP payload and returns the index, in the group,
    // of the socket that gets the datagram; sockets joined in shard order, so
    // index = shard, and every value it returns is below `shards` (send-only
    // sockets joined later, at higher indices, are never picked).
    //  - A steered response (first byte rule.first_byte, at least offset+2
    //    bytes): (u16le at offset) % shards, the shard that sent the request.
    //  - Anything else: a hash of the source IPv4 address and UDP port (read
    //    from the headers through SKF_NET_OFF), so a flow stays on one shard.
    const std::uint32_t off = rule.offset;
    const std::uint32_t net = static_cast<std::uint32_t>(SKF_NET_OFF);
    std::vector<sock_filter> prog;
    auto emit = [&](sock_filter f) { prog.push_back(f); };
    if (rule.enabled) {
        // Jump offsets to `hash` are patched below.
        emit(BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0));                      // 0: A = len
        emit(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, off + 2, 0, 0));         // 1: too short -> hash
        emit(BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0));                      // 2: A = p[0]
        emit(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, rule.first_byte, 0, 0)); // 3: not ours -> hash
        emit(BPF_STMT(BPF_LD | BPF_B | BPF_ABS, off + 1));                // 4: A = p[off+1]
        emit(BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 8));                     // 5: A <<= 8
        emit(BPF_STMT(BPF_MISC | BPF_TAX, 0));                            // 6: X = A
        emit(BPF_STMT(BPF_LD | BPF_B | BPF_ABS, off));                    // 7: A = p[off]
        emit(BPF_STMT(BPF_ALU | BPF_OR | BPF_X, 0));                      // 8: A |= X
        emit(BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, shards));                // 9: A %= shards
        emit(BPF_STMT(BPF_RET | BPF_A, 0));                               // 10: owner
    }
    const auto hash = static_cast<std::uint8_t>(prog.size());
    emit(BPF_STMT(BPF_LD | BPF_H | BPF_ABS, net + 20));                   // A = UDP source port (IPv4, no options)
    emit(BPF_STMT(BPF_MISC | BPF_TAX, 0));                                // X = A
    emit(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, net + 12));                   // A = IPv4 source address
    emit(BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0));                         // A ^= X
    emit(BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 2654435761u));               // mix
    emit(BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 16));
    emit(BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, shards));                    // A %= shards
    emit(BPF_STMT(BPF_RET | BPF_A, 0));
    if (rule.enabled) {
        prog[1].jf = static_cast<std::uint8_t>(hash - 2);
        prog[3].jf = static_cast<std::uint8_t>(hash - 4);
    }
    sock_fprog fprog;
    std::memset(&fprog, 0, sizeof fprog);  // the padding after `len` goes to the kernel too
    fprog.len = static_cast<unsigned short>(prog.size());
    fprog.filter = prog.data();
    if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &fprog, sizeof fprog) != 0) {
        return base::fail(std::string("SO_ATTACH_REUSEPORT_CBPF: ") + std::strerror(errno));
    }
    return {};
}

}  // namespace engine::detail
