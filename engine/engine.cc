#include "engine/engine.h"

#include <liburing.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "engine/detail/backend.h"
#include "engine/detail/socket.h"

namespace engine {

const char* to_string(backend_kind k) noexcept {
    switch (k) {
        case backend_kind::automatic: return "auto";
        case backend_kind::io_uring: return "io_uring";
        case backend_kind::epoll: return "epoll";
    }
    return "unknown";
}

namespace {

// Exercises, on a throw-away ring, exactly what the io_uring backend needs:
// SINGLE_ISSUER | DEFER_TASKRUN, a registered provided-buffer ring, and a
// multishot RECVMSG on a loopback UDP socket that really receives a datagram.
std::string probe_io_uring() {
    io_uring ring{};
    io_uring_params p{};
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    if (int rc = io_uring_queue_init_params(8, &ring, &p); rc < 0) {
        return std::string("io_uring_setup with SINGLE_ISSUER|DEFER_TASKRUN: ") + std::strerror(-rc);
    }
    std::string why;
    int fd = -1;
    constexpr unsigned nbufs = 2, bsize = 256;
    // Page-aligned memory for the ring, as the backend uses (and so the
    // compiler cannot bound-check liburing's flexible array against a fixed object).
    void* mem = mmap(nullptr, 4096 + nbufs * bsize, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (mem == MAP_FAILED) {
        io_uring_queue_exit(&ring);
        return std::string("mmap: ") + std::strerror(errno);
    }
    auto* br = static_cast<io_uring_buf_ring*>(mem);
    auto* bufs = static_cast<unsigned char*>(mem) + 4096;
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<std::uintptr_t>(br);
    reg.ring_entries = nbufs;
    msghdr hdr{};
    hdr.msg_namelen = sizeof(sockaddr_in6);
    auto sock = detail::open_udp(base::endpoint::v4(127, 0, 0, 1, 0), 0);
    if (int rc = io_uring_register_buf_ring(&ring, &reg, 0); rc < 0) {
        why = std::string("provided buffer ring: ") + std::strerror(-rc);
    } else if (!sock) {
        why = sock.error();
    } else {
        fd = *sock;
        io_uring_buf_ring_init(br);
        for (unsigned i = 0; i < nbufs; ++i) {
            io_uring_buf_ring_add(br, bufs + i * bsize, bsize, static_cast<unsigned short>(i),
                                  io_uring_buf_ring_mask(nbufs), static_cast<int>(i));
        }
        io_uring_buf_ring_advance(br, nbufs);
        io_uring_sqe* s = io_uring_get_sqe(&ring);
        io_uring_prep_recvmsg_multishot(s, fd, &hdr, MSG_TRUNC);
        s->flags |= IOSQE_BUFFER_SELECT;
        s->buf_group = 0;
        io_uring_submit(&ring);
        sockaddr_storage to;
        auto me = detail::local_address(fd);
        socklen_t len = detail::to_sockaddr(me ? *me : base::endpoint(), to);
        const char ping[] = "probe";
        if (::sendto(fd, ping, sizeof ping, 0, reinterpret_cast<sockaddr*>(&to), len) < 0) {
            why = std::string("probe sendto: ") + std::strerror(errno);
        } else {
            __kernel_timespec ts{1, 0};
            io_uring_cqe* c = nullptr;
            int wrc = io_uring_submit_and_wait_timeout(&ring, &c, 1, &ts, nullptr);
            if (wrc < 0 || !c) {
                why = std::string("multishot recvmsg: no completion (") + std::strerror(wrc < 0 ? -wrc : ETIME) + ")";
            } else if (c->res < 0) {
                why = std::string("multishot recvmsg: ") + std::strerror(-c->res);
            } else if (!(c->flags & IORING_CQE_F_BUFFER) || !(c->flags & IORING_CQE_F_MORE)) {
                why = "multishot recvmsg: completion without a provided buffer or without F_MORE";
            }
        }
    }
    io_uring_queue_exit(&ring);
    munmap(mem, 4096 + nbufs * bsize);
    if (fd >= 0) ::close(fd);
    return why;
}

}  // namespace

bool io_uring_usable(std::string* why) {
    static std::once_flag once;
    static std::string reason;
    std::call_once(once, [] { reason = probe_io_uring(); });
    if (why) *why = reason;
    return reason.empty();
}

engine::engine(config cfg, handler_factory factory) : _cfg(std::move(cfg)), _factory(std::move(factory)) {}

engine::~engine() {
    stop();
    join();
    for (std::size_t s = 0; s < _fds.size(); ++s) {
        for (std::size_t i = 0; i < _fds[s].size(); ++i) {
            if (s < _send_fds.size() && i < _send_fds[s].size() && _send_fds[s][i] != _fds[s][i]) ::close(_send_fds[s][i]);
            ::close(_fds[s][i]);
        }
    }
}

base::result<std::unique_ptr<engine>, std::string> engine::create(config cfg, handler_factory factory) {
    if (cfg.shards == 0 || cfg.shards > base::max_shards) {
        return base::fail("shards must be between 1 and " + std::to_string(base::max_shards));
    }
    if (cfg.binds.empty() && !cfg.private_binds) return base::fail(std::string("no socket to bind"));
    auto pow2 = [](std::uint32_t v) { return v >= 2 && (v & (v - 1)) == 0; };
    if (!pow2(cfg.ring_capacity)) return base::fail(std::string("ring_capacity must be a power of two >= 2"));
    if (!pow2(cfg.recv_buffers) || cfg.recv_buffers > 32768) {
        return base::fail(std::string("recv_buffers must be a power of two between 2 and 32768"));
    }
    if (cfg.send_slots == 0 || cfg.batch == 0 || cfg.poll_budget == 0) {
        return base::fail(std::string("send_slots, batch and poll_budget must be positive"));
    }
    if (!factory) return base::fail(std::string("no handler factory"));

    std::unique_ptr<engine> e(new engine(std::move(cfg), std::move(factory)));
    switch (e->_cfg.backend) {
        case backend_kind::epoll: e->_backend = backend_kind::epoll; break;
        case backend_kind::io_uring: {
            std::string why;
            if (!io_uring_usable(&why)) return base::fail("io_uring backend requested but unusable: " + why);
            e->_backend = backend_kind::io_uring;
            break;
        }
        case backend_kind::automatic: e->_backend = io_uring_usable() ? backend_kind::io_uring : backend_kind::epoll;
    }
    if (auto r = e->open_sockets(); !r) return base::fail(r.error());
    const auto n = e->_cfg.shards;
    e->_rings.resize(std::size_t{n} * n);
    for (std::uint16_t f = 0; f < n; ++f) {
        for (std::uint16_t t = 0; t < n; ++t) {
            if (f != t) e->_rings[std::size_t{f} * n + t] = std::make_unique<base::spsc_ring<message>>(e->_cfg.ring_capacity);
        }
    }
    return e;
}

// Opens every shared socket in shard order (the order of each SO_REUSEPORT
// group, which the reuseport program indexes), attaches the program, then the
// send-only sockets, then each shard's private sockets.
// How long a port in use may take to be released before it counts as taken
// (detail::wait_port_free: a killed predecessor's io_uring teardown).
constexpr std::chrono::milliseconds port_release_wait{2000};

base::result<void, std::string> engine::open_sockets() {
    const auto n = _cfg.shards;
    _fds.assign(n, {});
    _send_fds.assign(n, {});
    _locals.assign(n, {});
    for (const auto& want : _cfg.binds) {
        if (auto free = detail::wait_port_free(want, port_release_wait); !free) {
            return base::fail(free.error() + " (is another shoal or other program using this port?)");
        }
        base::endpoint at = want;
        const std::size_t bind_index = _fds[0].size();
        for (std::uint16_t s = 0; s < n; ++s) {
            auto fd = detail::open_udp(at, _cfg.socket_buffer_bytes);
            if (!fd) return base::fail(fd.error());
            _fds[s].push_back(*fd);
            if (s == 0) {
                auto local = detail::local_address(*fd);
                if (!local) return base::fail(local.error());
                at = *local;  // port 0 resolved: the other shards join the same port
                _bound.push_back(at);
            }
            _locals[s].push_back(at);
        }
        const bool steer = _cfg.steering.enabled && _cfg.steering.kernel && n > 1;
        bool attached = false;
        if (steer || _cfg.send_sockets) {
            steering_rule rule = _cfg.steering;
            rule.enabled = steer;
            attached = detail::attach_steering(_fds[0][bind_index], rule, n).has_value();
            if (attached && steer) _kernel_steering = true;
        }
        for (std::uint16_t s = 0; s < n; ++s) {
            int send_fd = _fds[s][bind_index];
            if (attached && _cfg.send_sockets) {
                auto fd = detail::open_udp(at, _cfg.socket_buffer_bytes);
                if (!fd) return base::fail(fd.error());
                send_fd = *fd;
                _separate_send = true;
            }
            _send_fds[s].push_back(send_fd);
        }
    }
    if (_cfg.private_binds) {
        for (std::uint16_t s = 0; s < n; ++s) {
            for (const auto& want : _cfg.private_binds(base::shard_id(s))) {
                auto fd = detail::open_udp(want, _cfg.socket_buffer_bytes);
                if (!fd) return base::fail(fd.error());
                _fds[s].push_back(*fd);
                _send_fds[s].push_back(*fd);
                auto local = detail::local_address(*fd);
                if (!local) return base::fail(local.error());
                _locals[s].push_back(*local);
            }
        }
    }
    for (std::uint16_t s = 0; s < n; ++s) {
        if (_fds[s].empty()) return base::fail("shard " + std::to_string(s) + " has no socket");
        if (_fds[s].size() > 32767) return base::fail(std::string("too many sockets in one shard"));
    }
    return {};
}

base::result<void, std::string> engine::start() {
    const auto n = _cfg.shards;
    if (!_shards.empty()) return base::fail(std::string("engine already started"));
    for (std::uint16_t s = 0; s < n; ++s) {
        _shards.push_back(std::unique_ptr<shard>(new shard(*this, base::shard_id(s), _cfg)));
    }
    _start_errors.assign(n, {});
    // Each thread sets itself up, reports in, then waits for the verdict:
    // run only if every shard started.
    for (std::uint16_t s = 0; s < n; ++s) {
        _threads.emplace_back([this, s] { shard_main(s); });
    }
    int seen;
    while ((seen = _started.load()) < n) _started.wait(seen);
    std::string errors;
    for (std::uint16_t s = 0; s < n; ++s) {
        if (_start_errors[s].empty()) continue;
        if (!errors.empty()) errors += "; ";
        errors += "shard " + std::to_string(s) + ": " + _start_errors[s];
    }
    _go.store(errors.empty() ? 1 : -1);
    _go.notify_all();
    if (!errors.empty()) {
        for (auto& t : _threads) t.join();
        _threads.clear();
        return base::fail(errors);
    }
    return {};
}

void engine::shard_main(std::uint16_t s) {
    if (!_cfg.cpus.empty()) {
        const int cpu = _cfg.cpus[s % _cfg.cpus.size()];
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0) {
            _start_errors[s] = "cannot pin to cpu " + std::to_string(cpu);
        }
    }
    char name[16];
    std::snprintf(name, sizeof name, "shard-%u", static_cast<unsigned>(s));
    pthread_setname_np(pthread_self(), name);
    if (_start_errors[s].empty()) _start_errors[s] = _shards[s]->start(_fds[s], _send_fds[s], _locals[s], _backend);
    _started.fetch_add(1);
    _started.notify_all();
    int go;
    while ((go = _go.load()) == 0) _go.wait(go);
    if (go > 0) _shards[s]->run();
}

void engine::stop() noexcept {
    for (auto& s : _shards) s->stop();
}

void engine::join() noexcept {
    for (auto& t : _threads) {
        if (t.joinable()) t.join();
    }
    _threads.clear();
}

base::result<void, std::string> engine::run() {
    if (auto r = start(); !r) return r;
    join();
    return {};
}

}  // namespace engine
