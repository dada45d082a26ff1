#include "engine/shard.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "engine/detail/backend.h"
#include "engine/detail/socket.h"
#include "engine/engine.h"

namespace engine {

namespace {
constexpr std::uint64_t cookie_bits = 56;
constexpr std::uint64_t cookie_mask = (std::uint64_t{1} << cookie_bits) - 1;
}  // namespace

shard::shard(engine& e, base::shard_id id, const config& cfg)
    : _engine(e),
      _id(id),
      _count(cfg.shards),
      _cfg(cfg),
      _now(base::mono_clock::now()),
      _timers(_now),
      _pool(std::make_unique<detail::send_pool>(cfg.send_slots)) {
    _out.resize(_count, nullptr);
    _out_dirty.resize(_count, 0);
    for (std::uint16_t t = 0; t < _count; ++t) {
        if (t != id.value()) _out[t] = &e.ring(id.value(), t);
    }
    add_metric_block(shard_counters::defs(), _counters.data(), nullptr, nullptr);
    _wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

shard::~shard() {
    if (_wake_fd >= 0) ::close(_wake_fd);
}

// Runs on the shard's own thread: builds the backend (SINGLE_ISSUER rings must
// be created by the thread that submits) and the handlers.
std::string shard::start(std::vector<int> fds, std::vector<int> send_fds, std::vector<base::endpoint> local,
                         backend_kind kind) {
    base::set_current_shard(_id);
    _local = std::move(local);
    if (_wake_fd < 0) return std::string("eventfd: ") + std::strerror(errno);
    _backend_kind = kind;
    _backend = kind == backend_kind::io_uring ? detail::make_uring_backend(*this) : detail::make_epoll_backend(*this);
    if (auto err = _backend->init(fds, send_fds, _wake_fd); !err.empty()) return err;
    _now = base::mono_clock::now();
    _handlers = _engine._factory(*this);
    if (_handlers.empty()) return "the handler factory returned no handler";
    return {};
}

void shard::run() noexcept {
    _now = base::mono_clock::now();
    for (auto& h : _handlers) h->on_start(*this);
    while (!_stop.load(std::memory_order_relaxed)) {
        _counters.inc(ctr::loop_iterations);
        _now = base::mono_clock::now();
        _counters.inc(ctr::timers_fired, _timers.advance(_now, [this](std::uint64_t c) { fire_timer(c); }));
        drain_messages();
        publish_messages();
        const std::int64_t timeout = poll_timeout_ns();
        // Readers see the counters as of the last publish: make that the
        // moment before a sleep (so an idle shard's figures are current),
        // and at least every 50 ms while busy.
        if (timeout != 0 || _now >= _next_publish) publish_metrics_now();
        _backend->poll(timeout);
    }
    _now = base::mono_clock::now();
    for (auto& h : _handlers) h->on_stop(*this);
    publish_messages();
    _backend->drain();
    publish_metrics_now();  // exact from here on: nothing counts any more
    base::clear_current_shard();
}

void shard::add_metric_block(std::span<const base::metrics::def> defs, const std::uint64_t* live,
                             base::metrics::published::collect_fn collect, void* ctx) {
    const std::size_t n = _nblocks.load(std::memory_order_relaxed);
    if (n == _blocks.size()) std::abort();  // a programming error: raise max_metric_blocks
    _blocks[n] = std::make_unique<base::metrics::published>(defs, live, collect, ctx);
    _nblocks.store(n + 1, std::memory_order_release);
}

void shard::publish_metrics_now() noexcept {
    std::size_t depth = 0;
    for (const auto* r : _out) {
        if (r != nullptr) depth = std::max(depth, r->producer_depth());
    }
    _counters.set(ctr::ring_depth, depth);
    const std::size_t n = _nblocks.load(std::memory_order_relaxed);
    for (std::size_t i = 0; i < n; ++i) _blocks[i]->publish();
    _next_publish = _now + base::milliseconds(50);
}

// Zero when there is work to do now; otherwise until the next timer (or -1).
// Announces that this shard is about to sleep, then re-checks the inbound
// rings so a message published in between is not slept through (the producer
// side of this handshake is in publish_messages()).
std::int64_t shard::poll_timeout_ns() noexcept {
    if (!_self_queue.empty() || inbound_pending()) return 0;
    std::int64_t timeout = -1;
    if (auto next = _timers.next_deadline()) {
        auto d = base::to_ns(*next) - base::to_ns(base::mono_clock::now());
        timeout = d > 0 ? d : 0;
        if (timeout == 0) return 0;
    }
    _sleeping.store(true, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (inbound_pending() || _stop.load(std::memory_order_relaxed)) {
        _sleeping.store(false, std::memory_order_relaxed);
        return 0;
    }
    return timeout;
}

bool shard::inbound_pending() const noexcept {
    for (std::uint16_t f = 0; f < _count; ++f) {
        if (f != _id.value() && !_engine.ring(f, _id.value()).empty_for_consumer()) return true;
    }
    return false;
}

void shard::wake() noexcept {
    std::uint64_t one = 1;
    ssize_t rc = ::write(_wake_fd, &one, sizeof one);
    (void)rc;  // EAGAIN means the counter is already non-zero: the shard will wake
}

void shard::stop() noexcept {
    _stop.store(true, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    wake();
}

void shard::request_engine_stop() noexcept { _engine.stop(); }

// --- datagrams -------------------------------------------------------------

void shard::deliver(std::span<const std::byte> data, const base::endpoint& from, std::uint16_t socket) noexcept {
    _counters.inc(ctr::rx_datagrams);
    _counters.inc(ctr::rx_bytes, data.size());
    if (data.size() > max_datagram) {
        _counters.inc(ctr::drop_oversize);
        return;
    }
    if (from.port() == 0) {
        _counters.inc(ctr::drop_source_port0);
        return;
    }
    datagram d{data, from, socket, _now};
    const auto& st = _cfg.steering;
    if (st.enabled && _count > 1 && data.size() >= std::size_t{st.offset} + 2 &&
        std::to_integer<std::uint8_t>(data[0]) == st.first_byte) {
        auto v = std::to_integer<unsigned>(data[st.offset]) | std::to_integer<unsigned>(data[st.offset + 1u]) << 8;
        auto owner = static_cast<std::uint16_t>(v % _count);
        if (owner != _id.value()) {
            forward_datagram(base::shard_id(owner), d);
            return;
        }
    }
    dispatch(d);
}

void shard::dispatch(const datagram& d) noexcept {
    std::uint8_t kind = _cfg.classify ? _cfg.classify(d.data) : 0;
    if (kind >= _handlers.size() || !_handlers[kind]) {
        _counters.inc(ctr::drop_unclassified);
        return;
    }
    _handlers[kind]->on_packet(*this, d);
}

bool shard::forward_datagram(base::shard_id owner, const datagram& d) noexcept {
    message* m = reserve_message(owner);
    if (!m) return false;
    m->type = message::forwarded_datagram;
    m->socket = d.socket;
    m->from = d.from;
    m->assign(d.data);
    commit_message(owner);
    _counters.inc(ctr::steered_software);
    return true;
}

// --- sending ---------------------------------------------------------------

std::span<std::byte> shard::send_buffer() noexcept {
    assert(_reserved_slot == UINT32_MAX && "one send_buffer() at a time");
    std::uint32_t i = _pool->acquire();
    if (i == UINT32_MAX) {
        _counters.inc(ctr::send_queue_full);
        return {};
    }
    _reserved_slot = i;
    return {(*_pool)[i].data, max_datagram};
}

void shard::commit_send(const base::endpoint& to, std::size_t len, std::uint16_t via) noexcept {
    std::uint32_t i = _reserved_slot;
    if (i == UINT32_MAX) return;
    _reserved_slot = UINT32_MAX;
    if (len == 0 || len > max_datagram || via >= _local.size()) {
        if (len > max_datagram) _counters.inc(ctr::drop_oversize);
        _pool->release(i);
        return;
    }
    auto& s = (*_pool)[i];
    s.len = static_cast<std::uint16_t>(len);
    s.socket = via;
    socklen_t alen = detail::to_sockaddr(to, s.addr);
    s.iov = {s.data, len};
    s.hdr = {};
    s.hdr.msg_name = &s.addr;
    s.hdr.msg_namelen = alen;
    s.hdr.msg_iov = &s.iov;
    s.hdr.msg_iovlen = 1;
    _counters.inc(ctr::tx_datagrams);
    _counters.inc(ctr::tx_bytes, len);
    _backend->queue_send(i);
}

bool shard::send(const base::endpoint& to, std::span<const std::byte> bytes, std::uint16_t via) noexcept {
    if (bytes.size() > max_datagram) {
        _counters.inc(ctr::drop_oversize);
        return false;
    }
    auto buf = send_buffer();
    if (buf.empty()) return false;
    std::memcpy(buf.data(), bytes.data(), bytes.size());
    commit_send(to, bytes.size(), via);
    return true;
}

// --- timers ----------------------------------------------------------------

base::timer_handle shard::arm_timer(base::mono_time deadline, std::uint64_t cookie, std::uint8_t kind) {
    assert(cookie <= cookie_mask);
    return _timers.schedule(deadline, (std::uint64_t{kind} << cookie_bits) | (cookie & cookie_mask));
}

void shard::fire_timer(std::uint64_t c) noexcept {
    const std::uint64_t kind = c >> cookie_bits;
    if (kind < _handlers.size() && _handlers[kind]) _handlers[kind]->on_timer(*this, c & cookie_mask, _now);
}

// --- messages --------------------------------------------------------------

message* shard::reserve_message(base::shard_id to) noexcept {
    if (to.value() >= _count) return nullptr;
    if (to == _id) {
        if (!_self_reserved) _self_reserved = std::make_unique<message>();
        _self_reserved->source = _id;
        return _self_reserved.get();
    }
    message* m = _out[to.value()]->reserve();
    if (!m) {
        // Publish what is already committed so the consumer can make room, then retry once.
        publish_messages();
        m = _out[to.value()]->reserve();
        if (!m) {
            _counters.inc(ctr::ring_full);
            return nullptr;
        }
    }
    m->source = _id;
    return m;
}

void shard::commit_message(base::shard_id to) noexcept {
    _counters.inc(ctr::messages_out);
    if (to == _id) {
        if (_self_reserved) _self_queue.push_back(std::move(_self_reserved));
        return;
    }
    _out[to.value()]->commit();
    _out_dirty[to.value()] = 1;
}

bool shard::post(base::shard_id to, std::uint32_t type, std::span<const std::byte> bytes, std::uint64_t arg,
                 std::uint8_t kind) noexcept {
    message* m = reserve_message(to);
    if (!m) return false;
    m->type = type;
    m->arg = arg;
    m->kind = kind;
    m->assign(bytes);
    commit_message(to);
    return true;
}

// Producer half of the sleep handshake: publish, fence, then wake a target
// that announced it is going to sleep.
void shard::publish_messages() noexcept {
    bool any = false;
    for (std::uint16_t t = 0; t < _count; ++t) {
        if (!_out_dirty[t]) continue;
        _out_dirty[t] = 0;
        _out[t]->publish();
        any = true;
    }
    if (!any) return;
    std::atomic_thread_fence(std::memory_order_seq_cst);
    for (std::uint16_t t = 0; t < _count; ++t) {
        if (t == _id.value()) continue;
        auto& target = *_engine._shards[t];
        if (target._sleeping.load(std::memory_order_relaxed) && target._sleeping.exchange(false)) target.wake();
    }
}

std::size_t shard::drain_messages() noexcept {
    std::size_t n = 0;
    auto handle = [this](message& m) {
        if (m.type == message::forwarded_datagram) {
            datagram d{m.bytes(), m.from, m.socket, _now};
            dispatch(d);
        } else if (m.kind < _handlers.size() && _handlers[m.kind]) {
            _handlers[m.kind]->on_message(*this, m);
        }
        m.release();
    };
    for (std::uint16_t f = 0; f < _count; ++f) {
        if (f == _id.value()) continue;
        n += _engine.ring(f, _id.value()).consume(handle, _cfg.poll_budget);
    }
    // Messages a shard sent itself; those posted while these run wait for the
    // next iteration.
    if (!_self_queue.empty()) {
        std::vector<std::unique_ptr<message>> batch;
        batch.swap(_self_queue);
        for (auto& m : batch) handle(*m);
        n += batch.size();
    }
    _counters.inc(ctr::messages_in, n);
    return n;
}

}  // namespace engine
