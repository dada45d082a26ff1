// The fallback backend: epoll (level-triggered) + recvmmsg/sendmmsg.
//
// Chosen when io_uring is unusable (kernel.io_uring_disabled, seccomp,
// an old kernel) or forced by configuration. Receives up to `batch`
// datagrams per recvmmsg into a fixed set of buffers that are reused as soon
// as the handlers return; sends every queued datagram with one sendmmsg per
// run of same-socket slots. A socket whose send buffer is full keeps its
// datagrams queued and waits for EPOLLOUT.
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <vector>

#include "base/time.h"
#include "engine/detail/backend.h"

namespace engine::detail {

namespace {

constexpr std::uint32_t wake_token = UINT32_MAX;
constexpr std::uint32_t send_token = 1u << 30;  // or'd into a socket index: its send-only twin
constexpr std::size_t buffer_bytes = max_datagram + 64;  // room to see that a datagram is too large

class epoll_backend final : public backend {
public:
    explicit epoll_backend(shard& s) : backend(s) {}
    ~epoll_backend() override {
        if (_ep >= 0) ::close(_ep);
    }

    std::string init(std::span<const int> fds, std::span<const int> send_fds, int wake_fd) override;
    void queue_send(std::uint32_t slot) noexcept override { _pending.push_back(slot); }
    void poll(std::int64_t timeout_ns) noexcept override;
    void drain() noexcept override;

private:
    void flush_sends() noexcept;
    void receive(unsigned sock) noexcept;
    void want_out(unsigned sock, bool on) noexcept;
    int wait(std::int64_t timeout_ns) noexcept;

    int _ep = -1;
    std::vector<int> _fds;
    std::vector<int> _send_fds;  // registered for EPOLLOUT only while blocked
    std::vector<std::uint8_t> _out_armed;
    std::vector<std::uint32_t> _pending;
    std::vector<std::uint32_t> _blocked;
    std::vector<mmsghdr> _send_mm;
    std::vector<mmsghdr> _recv_mm;
    std::vector<iovec> _recv_iov;
    std::vector<sockaddr_storage> _recv_addr;
    std::vector<std::byte> _recv_buf;
    std::vector<epoll_event> _events;
    bool _have_pwait2 = true;
};

std::string epoll_backend::init(std::span<const int> fds, std::span<const int> send_fds, int wake_fd) {
    _fds.assign(fds.begin(), fds.end());
    _send_fds.assign(send_fds.begin(), send_fds.end());
    _out_armed.assign(_fds.size(), 0);
    _ep = ::epoll_create1(EPOLL_CLOEXEC);
    if (_ep < 0) return std::string("epoll_create1: ") + std::strerror(errno);
    for (unsigned i = 0; i < _fds.size(); ++i) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u32 = i;
        if (::epoll_ctl(_ep, EPOLL_CTL_ADD, _fds[i], &ev) != 0) return std::string("epoll_ctl: ") + std::strerror(errno);
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = wake_token;
    if (::epoll_ctl(_ep, EPOLL_CTL_ADD, wake_fd, &ev) != 0) return std::string("epoll_ctl: ") + std::strerror(errno);
    const std::size_t b = cfg().batch ? cfg().batch : 1;
    _send_mm.resize(b);
    _recv_mm.resize(b);
    _recv_iov.resize(b);
    _recv_addr.resize(b);
    _recv_buf.resize(b * buffer_bytes);
    for (std::size_t i = 0; i < b; ++i) _recv_iov[i] = {_recv_buf.data() + i * buffer_bytes, buffer_bytes};
    _events.resize(2 * _fds.size() + 1);
    return {};
}

// EPOLLOUT interest while a socket's sends are blocked: on the receive
// registration when it sends from the same fd, otherwise a registration of
// the send-only socket that exists only while blocked (so normally nothing
// waits on that socket).
void epoll_backend::want_out(unsigned sock, bool on) noexcept {
    if (_out_armed[sock] == on) return;
    epoll_event ev{};
    int rc;
    if (_send_fds[sock] == _fds[sock]) {
        ev.events = EPOLLIN | (on ? EPOLLOUT : 0u);
        ev.data.u32 = sock;
        rc = ::epoll_ctl(_ep, EPOLL_CTL_MOD, _fds[sock], &ev);
    } else {
        ev.events = EPOLLOUT;
        ev.data.u32 = sock | send_token;
        rc = ::epoll_ctl(_ep, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, _send_fds[sock], on ? &ev : nullptr);
    }
    if (rc == 0) _out_armed[sock] = on;
}

void epoll_backend::flush_sends() noexcept {
    std::vector<std::uint32_t>& blocked = _blocked;  // slots of sockets whose buffer is full
    blocked.clear();
    std::size_t i = 0;
    while (i < _pending.size()) {
        const std::uint16_t sock = pool()[_pending[i]].socket;
        unsigned n = 0;
        while (i + n < _pending.size() && n < _send_mm.size() && pool()[_pending[i + n]].socket == sock) {
            _send_mm[n].msg_hdr = pool()[_pending[i + n]].hdr;
            _send_mm[n].msg_len = 0;
            ++n;
        }
        int rc = ::sendmmsg(_send_fds[sock], _send_mm.data(), n, 0);
        if (rc < 0) {
            if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR) {
                counters().inc(ctr::send_retries);
                for (unsigned k = 0; k < n; ++k) blocked.push_back(_pending[i + k]);
                want_out(sock, true);
                i += n;
                continue;
            }
            counters().inc(ctr::send_errors);
            rc = 1;  // the first datagram was refused; drop it and go on
        }
        for (int k = 0; k < rc; ++k) pool().release(_pending[i + static_cast<std::size_t>(k)]);
        i += static_cast<std::size_t>(rc);
    }
    _pending.swap(blocked);
    if (_pending.empty()) {
        for (unsigned s = 0; s < _fds.size(); ++s) want_out(s, false);
    }
}

void epoll_backend::receive(unsigned sock) noexcept {
    std::uint32_t handled = 0;
    const unsigned batch = static_cast<unsigned>(_recv_mm.size());
    while (handled < cfg().poll_budget) {
        for (unsigned i = 0; i < batch; ++i) {
            msghdr& h = _recv_mm[i].msg_hdr;
            h = {};
            h.msg_name = &_recv_addr[i];
            h.msg_namelen = sizeof(sockaddr_storage);
            h.msg_iov = &_recv_iov[i];
            h.msg_iovlen = 1;
        }
        int n = ::recvmmsg(_fds[sock], _recv_mm.data(), batch, MSG_DONTWAIT, nullptr);
        if (n <= 0) {
            if (n < 0 && errno != EAGAIN && errno != EINTR) counters().inc(ctr::recv_errors);
            return;
        }
        for (int i = 0; i < n; ++i) {
            const mmsghdr& m = _recv_mm[static_cast<std::size_t>(i)];
            if (m.msg_hdr.msg_flags & MSG_TRUNC) {
                counters().inc(ctr::rx_datagrams);
                counters().inc(ctr::drop_oversize);
                continue;
            }
            deliver({static_cast<std::byte*>(m.msg_hdr.msg_iov->iov_base), m.msg_len},
                    static_cast<const sockaddr*>(m.msg_hdr.msg_name), m.msg_hdr.msg_namelen,
                    static_cast<std::uint16_t>(sock));
        }
        handled += static_cast<std::uint32_t>(n);
        if (static_cast<unsigned>(n) < batch) return;
    }
}

int epoll_backend::wait(std::int64_t timeout_ns) noexcept {
    const int max = static_cast<int>(_events.size());
    if (_have_pwait2) {
        timespec ts{static_cast<time_t>(timeout_ns / 1'000'000'000), static_cast<long>(timeout_ns % 1'000'000'000)};
        int n = ::epoll_pwait2(_ep, _events.data(), max, timeout_ns < 0 ? nullptr : &ts, nullptr);
        if (n >= 0 || errno != ENOSYS) return n;
        _have_pwait2 = false;
    }
    int ms = timeout_ns < 0 ? -1 : static_cast<int>((timeout_ns + 999'999) / 1'000'000);
    return ::epoll_wait(_ep, _events.data(), max, ms);
}

void epoll_backend::poll(std::int64_t timeout_ns) noexcept {
    if (!_pending.empty()) flush_sends();
    int n = wait(timeout_ns);
    if (timeout_ns != 0) refresh_now();  // it may have slept: what arrived is stamped with now, not then
    for (int i = 0; i < n; ++i) {
        const epoll_event& ev = _events[static_cast<std::size_t>(i)];
        if (ev.data.u32 == wake_token) {
            on_wakeup();
            continue;
        }
        if (ev.events & EPOLLOUT) flush_sends();
        if ((ev.data.u32 & send_token) == 0 && (ev.events & (EPOLLIN | EPOLLERR))) receive(ev.data.u32);
    }
}

void epoll_backend::drain() noexcept {
    auto deadline = base::mono_clock::now() + base::milliseconds(200);
    while (!_pending.empty() && base::mono_clock::now() < deadline) {
        flush_sends();
        if (!_pending.empty()) wait(1'000'000);
    }
}

}  // namespace

std::unique_ptr<backend> make_epoll_backend(shard& s) { return std::make_unique<epoll_backend>(s); }

}  // namespace engine::detail
