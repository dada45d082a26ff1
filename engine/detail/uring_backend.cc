// The io_uring backend (liburing 2.3 API).
//
// Receive: one multishot RECVMSG per socket into a provided buffer ring
// (buffer group 0); each completion is delivered and its buffer handed back to
// the ring right after the handler returns, and the ring tail is advanced
// once per completion batch. Send: queued slots become SENDMSG SQEs submitted
// together with the wait (send_mode::sqe_batch), or go out through one
// sendmmsg(2) per socket per iteration (send_mode::sendmmsg). The ring is
// SINGLE_ISSUER | DEFER_TASKRUN: completions are only produced inside our own
// io_uring_enter calls, which suits a thread that owns everything it touches.
// Cross-shard wake-ups arrive as a multishot POLL on the shard's eventfd.
#include <liburing.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "base/time.h"
#include "engine/detail/backend.h"

namespace engine::detail {

namespace {

constexpr std::uint64_t tag_shift = 56;
enum : std::uint64_t { tag_recv = 1, tag_send = 2, tag_wake = 3 };
constexpr std::uint32_t buffer_bytes = 2176;  // header + name + >2048 payload, 64-byte multiple
constexpr unsigned cqe_batch = 256;

std::uint64_t user_data(std::uint64_t tag, std::uint64_t index) noexcept { return tag << tag_shift | index; }

class uring_backend final : public backend {
public:
    explicit uring_backend(shard& s) : backend(s) {}
    ~uring_backend() override;

    std::string init(std::span<const int> fds, std::span<const int> send_fds, int wake_fd) override;
    void queue_send(std::uint32_t slot) noexcept override { _pending.push_back(slot); }
    void poll(std::int64_t timeout_ns) noexcept override;
    void drain() noexcept override;

private:
    void arm_recv(unsigned sock) noexcept;
    void arm_wake() noexcept;
    io_uring_sqe* sqe() noexcept;
    void submit_sends() noexcept;
    void sendmmsg_all() noexcept;
    std::size_t reap() noexcept;
    void on_recv(const io_uring_cqe& c, unsigned sock) noexcept;
    void recycle(std::uint16_t bid) noexcept;
    void cancel_all() noexcept;

    io_uring _ring{};
    bool _ring_ok = false;
    io_uring_buf_ring* _br = nullptr;
    std::size_t _br_bytes = 0;
    std::byte* _bufs = nullptr;
    std::size_t _bufs_bytes = 0;
    std::uint32_t _nbufs = 0;
    int _recycled = 0;
    std::vector<int> _fds;
    std::vector<int> _send_fds;
    unsigned _wake_index = 0;
    unsigned _send_base = 0;  // registered-file index of send_fds[0]
    msghdr _recv_hdr{};
    std::vector<std::uint8_t> _rearm;  // sockets + wake fd whose multishot ended
    std::vector<std::uint32_t> _pending;
    std::uint32_t _inflight = 0;
    std::vector<mmsghdr> _mm;
};

uring_backend::~uring_backend() {
    if (_ring_ok) io_uring_queue_exit(&_ring);
    if (_br) munmap(_br, _br_bytes);
    if (_bufs) munmap(_bufs, _bufs_bytes);
}

std::string uring_backend::init(std::span<const int> fds, std::span<const int> send_fds, int wake_fd) {
    _fds.assign(fds.begin(), fds.end());
    _send_fds.assign(send_fds.begin(), send_fds.end());
    io_uring_params p{};
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
    p.cq_entries = 16384;
    if (int rc = io_uring_queue_init_params(4096, &_ring, &p); rc < 0) {
        return std::string("io_uring_queue_init: ") + std::strerror(-rc);
    }
    _ring_ok = true;
    // Registered files: receive sockets, the wake eventfd, then send sockets.
    std::vector<int> files(_fds);
    files.push_back(wake_fd);
    _wake_index = static_cast<unsigned>(_fds.size());
    _send_base = _wake_index + 1;
    files.insert(files.end(), _send_fds.begin(), _send_fds.end());
    if (int rc = io_uring_register_files(&_ring, files.data(), static_cast<unsigned>(files.size())); rc < 0) {
        return std::string("io_uring_register_files: ") + std::strerror(-rc);
    }
    _nbufs = cfg().recv_buffers;
    if (_nbufs == 0 || (_nbufs & (_nbufs - 1)) || _nbufs > 32768) return "recv_buffers must be a power of two <= 32768";
    _br_bytes = _nbufs * sizeof(io_uring_buf);
    void* br = mmap(nullptr, _br_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (br == MAP_FAILED) return std::string("mmap buffer ring: ") + std::strerror(errno);
    _br = static_cast<io_uring_buf_ring*>(br);
    _bufs_bytes = std::size_t{_nbufs} * buffer_bytes;
    void* bufs = mmap(nullptr, _bufs_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (bufs == MAP_FAILED) return std::string("mmap receive buffers: ") + std::strerror(errno);
    _bufs = static_cast<std::byte*>(bufs);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<std::uintptr_t>(_br);
    reg.ring_entries = _nbufs;
    reg.bgid = 0;
    if (int rc = io_uring_register_buf_ring(&_ring, &reg, 0); rc < 0) {
        return std::string("io_uring_register_buf_ring: ") + std::strerror(-rc);
    }
    io_uring_buf_ring_init(_br);
    const int mask = io_uring_buf_ring_mask(_nbufs);
    for (std::uint32_t i = 0; i < _nbufs; ++i) {
        io_uring_buf_ring_add(_br, _bufs + std::size_t{i} * buffer_bytes, buffer_bytes, static_cast<unsigned short>(i),
                              mask, static_cast<int>(i));
    }
    io_uring_buf_ring_advance(_br, static_cast<int>(_nbufs));
    _recv_hdr.msg_namelen = sizeof(sockaddr_in6);
    _rearm.assign(_fds.size() + 1, 0);
    for (unsigned i = 0; i < _fds.size(); ++i) arm_recv(i);
    arm_wake();
    if (int rc = io_uring_submit(&_ring); rc < 0) return std::string("io_uring_submit: ") + std::strerror(-rc);
    _mm.resize(cfg().batch);
    return {};
}

io_uring_sqe* uring_backend::sqe() noexcept {
    io_uring_sqe* s = io_uring_get_sqe(&_ring);
    if (!s) {
        io_uring_submit(&_ring);
        s = io_uring_get_sqe(&_ring);
    }
    return s;
}

void uring_backend::arm_recv(unsigned sock) noexcept {
    io_uring_sqe* s = sqe();
    if (!s) {
        _rearm[sock] = 1;
        return;
    }
    io_uring_prep_recvmsg_multishot(s, static_cast<int>(sock), &_recv_hdr, MSG_TRUNC);
    s->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
    s->buf_group = 0;
    io_uring_sqe_set_data64(s, user_data(tag_recv, sock));
    _rearm[sock] = 0;
}

void uring_backend::arm_wake() noexcept {
    io_uring_sqe* s = sqe();
    if (!s) {
        _rearm[_wake_index] = 1;
        return;
    }
    io_uring_prep_poll_multishot(s, static_cast<int>(_wake_index), POLLIN);
    s->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(s, user_data(tag_wake, 0));
    _rearm[_wake_index] = 0;
}

void uring_backend::submit_sends() noexcept {
    std::size_t done = 0;
    for (; done < _pending.size(); ++done) {
        io_uring_sqe* s = sqe();
        if (!s) break;  // SQ full even after a submit: keep the rest for the next poll
        std::uint32_t i = _pending[done];
        io_uring_prep_sendmsg(s, static_cast<int>(_send_base + pool()[i].socket), &pool()[i].hdr, 0);
        s->flags |= IOSQE_FIXED_FILE;
        io_uring_sqe_set_data64(s, user_data(tag_send, i));
        ++_inflight;
    }
    _pending.erase(_pending.begin(), _pending.begin() + static_cast<std::ptrdiff_t>(done));
}

void uring_backend::sendmmsg_all() noexcept {
    std::size_t i = 0;
    while (i < _pending.size()) {
        const std::uint16_t sock = pool()[_pending[i]].socket;
        unsigned n = 0;
        while (i + n < _pending.size() && n < _mm.size() && pool()[_pending[i + n]].socket == sock) {
            _mm[n].msg_hdr = pool()[_pending[i + n]].hdr;
            _mm[n].msg_len = 0;
            ++n;
        }
        int rc = ::sendmmsg(_send_fds[sock], _mm.data(), n, 0);
        if (rc < 0) {
            if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR) {
                counters().inc(ctr::send_retries);
                break;
            }
            counters().inc(ctr::send_errors);
            rc = 1;  // the first datagram was refused; drop it and go on
        }
        for (int k = 0; k < rc; ++k) pool().release(_pending[i + static_cast<std::size_t>(k)]);
        i += static_cast<std::size_t>(rc);
    }
    _pending.erase(_pending.begin(), _pending.begin() + static_cast<std::ptrdiff_t>(i));
}

void uring_backend::poll(std::int64_t timeout_ns) noexcept {
    for (unsigned i = 0; i < _fds.size(); ++i) {
        if (_rearm[i]) arm_recv(i);
    }
    if (_rearm[_wake_index]) arm_wake();
    if (!_pending.empty()) {
        if (cfg().sends == send_mode::sendmmsg) {
            sendmmsg_all();
        } else {
            submit_sends();
        }
    }
    if (timeout_ns == 0 || reap() > 0) {
        io_uring_submit_and_get_events(&_ring);
    } else {
        __kernel_timespec ts{timeout_ns / 1'000'000'000, timeout_ns % 1'000'000'000};
        io_uring_cqe* c = nullptr;
        io_uring_submit_and_wait_timeout(&_ring, &c, 1, timeout_ns < 0 ? nullptr : &ts, nullptr);
        refresh_now();  // it may have slept: what arrived is stamped with now, not then
    }
    reap();
}

std::size_t uring_backend::reap() noexcept {
    std::size_t total = 0;
    io_uring_cqe* cqes[cqe_batch];
    while (total < cfg().poll_budget) {
        unsigned n = io_uring_peek_batch_cqe(&_ring, cqes, cqe_batch);
        if (n == 0) break;
        for (unsigned k = 0; k < n; ++k) {
            const io_uring_cqe& c = *cqes[k];
            const std::uint64_t tag = c.user_data >> tag_shift;
            const auto index = static_cast<std::uint32_t>(c.user_data & ((std::uint64_t{1} << tag_shift) - 1));
            if (tag == tag_recv) {
                on_recv(c, index);
            } else if (tag == tag_send) {
                if (c.res < 0) counters().inc(ctr::send_errors);
                pool().release(index);
                --_inflight;
            } else if (tag == tag_wake) {
                if (!(c.flags & IORING_CQE_F_MORE)) _rearm[_wake_index] = 1;
                on_wakeup();
            }
        }
        io_uring_cq_advance(&_ring, n);
        if (_recycled) {
            io_uring_buf_ring_advance(_br, _recycled);
            _recycled = 0;
        }
        total += n;
    }
    return total;
}

void uring_backend::on_recv(const io_uring_cqe& c, unsigned sock) noexcept {
    if (!(c.flags & IORING_CQE_F_MORE)) _rearm[sock] = 1;
    if (c.res < 0) {
        counters().inc(c.res == -ENOBUFS ? ctr::recv_no_buffers : ctr::recv_errors);
        return;
    }
    if (!(c.flags & IORING_CQE_F_BUFFER)) {
        counters().inc(ctr::drop_recv_invalid);
        return;
    }
    const auto bid = static_cast<std::uint16_t>(c.flags >> IORING_CQE_BUFFER_SHIFT);
    std::byte* buf = _bufs + std::size_t{bid} * buffer_bytes;
    io_uring_recvmsg_out* out = io_uring_recvmsg_validate(buf, c.res, &_recv_hdr);
    if (!out) {
        counters().inc(ctr::drop_recv_invalid);
    } else if (out->flags & MSG_TRUNC) {
        counters().inc(ctr::rx_datagrams);
        counters().inc(ctr::drop_oversize);
    } else {
        auto* payload = static_cast<std::byte*>(io_uring_recvmsg_payload(out, &_recv_hdr));
        auto len = io_uring_recvmsg_payload_length(out, c.res, &_recv_hdr);
        deliver({payload, len}, static_cast<const sockaddr*>(io_uring_recvmsg_name(out)), out->namelen,
                static_cast<std::uint16_t>(sock));
    }
    recycle(bid);
}

void uring_backend::recycle(std::uint16_t bid) noexcept {
    io_uring_buf_ring_add(_br, _bufs + std::size_t{bid} * buffer_bytes, buffer_bytes, bid,
                          io_uring_buf_ring_mask(_nbufs), _recycled);
    ++_recycled;
}

void uring_backend::drain() noexcept {
    auto deadline = base::mono_clock::now() + base::milliseconds(200);
    while ((!_pending.empty() || _inflight > 0) && base::mono_clock::now() < deadline) {
        poll(1'000'000);
    }
    cancel_all();
}

// Cancels the multishot receives and the wake poll and reaps their final
// completions, then drops the registered files. Ring teardown in the kernel is
// asynchronous: a request still armed at exit keeps its socket bound for a
// while, and a restarted node would find its port "already in use".
void uring_backend::cancel_all() noexcept {
    if (!_ring_ok) return;
    io_uring_sqe* s = sqe();
    if (!s) return;
    io_uring_prep_cancel64(s, 0, IORING_ASYNC_CANCEL_ANY);
    io_uring_sqe_set_data64(s, 0);
    std::size_t armed = _fds.size() + 1;  // one multishot per socket + the wake poll
    auto deadline = base::mono_clock::now() + base::milliseconds(500);
    io_uring_submit(&_ring);
    while (armed > 0 && base::mono_clock::now() < deadline) {
        __kernel_timespec ts{0, 10'000'000};
        io_uring_cqe* c = nullptr;
        if (io_uring_submit_and_wait_timeout(&_ring, &c, 1, &ts, nullptr) < 0) continue;
        io_uring_cqe* cqes[cqe_batch];
        unsigned n = io_uring_peek_batch_cqe(&_ring, cqes, cqe_batch);
        for (unsigned k = 0; k < n; ++k) {
            const std::uint64_t tag = cqes[k]->user_data >> tag_shift;
            if ((tag == tag_recv || tag == tag_wake) && !(cqes[k]->flags & IORING_CQE_F_MORE)) --armed;
        }
        io_uring_cq_advance(&_ring, n);
    }
    io_uring_unregister_files(&_ring);
}

}  // namespace

std::unique_ptr<backend> make_uring_backend(shard& s) { return std::make_unique<uring_backend>(s); }

}  // namespace engine::detail
