// engine/shard.h -- one reactor: a pinned thread that owns its sockets, its
// io_uring (or epoll set), its timers, its send slots and its counters.
//
// Handlers receive `shard&` and use the public part below to send datagrams,
// arm timers and post messages to other shards. Everything here is called
// only from the shard's own thread, except `metric_blocks()`/`metric_block()`
// (any thread may read the published copies) and the engine's stop/wake calls.
//
// Loop, once per iteration (docs/architecture.md):
//   now = clock()  ->  fire due timers  ->  deliver inbound messages
//   ->  publish outbound messages, wake sleeping targets
//   ->  publish metrics if the poll may sleep or 50 ms have passed
//   ->  backend.poll(timeout): submit queued sends, wait, now = clock() again
//       if it may have slept, deliver datagrams (each stamped with that now)
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <netinet/in.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/spsc_ring.h"
#include "base/timer_wheel.h"
#include "engine/config.h"
#include "engine/counters.h"
#include "engine/handler.h"

namespace engine {

class engine;
namespace detail {
class backend;
class send_pool;
}  // namespace detail

class shard {
public:
    shard(const shard&) = delete;
    shard& operator=(const shard&) = delete;
    ~shard();

    [[nodiscard]] base::shard_id id() const noexcept { return _id; }
    [[nodiscard]] std::uint16_t shard_count() const noexcept { return _count; }
    // The time read at the top of this loop iteration.
    [[nodiscard]] base::mono_time now() const noexcept { return _now; }
    // Local addresses of this shard's sockets (index = datagram::socket).
    [[nodiscard]] const std::vector<base::endpoint>& local_endpoints() const noexcept { return _local; }

    // --- sending ---------------------------------------------------------
    // Queues a copy of `bytes` for `to` on socket `via`. Datagrams are sent in
    // batches when the loop next polls. Returns false (and counts
    // send_queue_full or drop_oversize) when it cannot be queued.
    bool send(const base::endpoint& to, std::span<const std::byte> bytes, std::uint16_t via = 0) noexcept;
    // Zero-copy variant: a buffer of max_datagram bytes to encode into, then
    // commit_send() with the length actually written. An empty span means no
    // slot is free (counted). At most one buffer is outstanding at a time.
    [[nodiscard]] std::span<std::byte> send_buffer() noexcept;
    void commit_send(const base::endpoint& to, std::size_t len, std::uint16_t via = 0) noexcept;

    // --- timers ----------------------------------------------------------
    // Arms a timer for the handler of `kind`; it calls on_timer(cookie).
    // REQUIRES: cookie < 2^56.
    base::timer_handle arm_timer(base::mono_time deadline, std::uint64_t cookie, std::uint8_t kind = 0);
    bool cancel_timer(base::timer_handle h) noexcept { return _timers.cancel(h); }

    // --- cross-shard messages --------------------------------------------
    // A message slot to fill for shard `to` (to == id() is allowed), or nullptr
    // when that ring is full (counted as ring_full). Call commit_message(to)
    // after filling it; the batch becomes visible at the end of the iteration.
    [[nodiscard]] message* reserve_message(base::shard_id to) noexcept;
    void commit_message(base::shard_id to) noexcept;
    // Convenience: copies bytes into a new message. Returns false when full.
    bool post(base::shard_id to, std::uint32_t type, std::span<const std::byte> bytes, std::uint64_t arg = 0,
              std::uint8_t kind = 0) noexcept;

    // --- metrics (base/metrics.h) ---------------------------------------
    // The engine's own counters (shard thread only; others read metric_block(0)).
    [[nodiscard]] const shard_counters& counters() const noexcept { return _counters; }
    [[nodiscard]] shard_counters& counters() noexcept { return _counters; }
    // Publishes a handler's counter set: the shard copies it for other
    // threads whenever it publishes its own (see the loop above), after
    // calling `collect(ctx)` if given. Call from on_start; `set` must live
    // until the shard stops (handlers do). At most max_metric_blocks per shard.
    template <class E>
    void publish_metrics(const base::metrics::counter_set<E>& set, base::metrics::published::collect_fn collect = nullptr,
                         void* ctx = nullptr) {
        add_metric_block(base::metrics::counter_set<E>::defs(), set.data(), collect, ctx);
    }
    static constexpr std::size_t max_metric_blocks = 16;
    // Any thread: the published blocks (block 0 is the engine's).
    [[nodiscard]] std::size_t metric_blocks() const noexcept { return _nblocks.load(std::memory_order_acquire); }
    [[nodiscard]] const base::metrics::published& metric_block(std::size_t i) const noexcept { return *_blocks[i]; }
    // Asks the whole engine to stop (from a handler).
    void request_engine_stop() noexcept;
    [[nodiscard]] backend_kind backend() const noexcept { return _backend_kind; }

private:
    friend class engine;
    friend class detail::backend;
    shard(engine& e, base::shard_id id, const config& cfg);
    [[nodiscard]] std::string start(std::vector<int> fds, std::vector<int> send_fds, std::vector<base::endpoint> local,
                                    backend_kind kind);
    void run() noexcept;
    void wake() noexcept;
    void stop() noexcept;

    // Called by the backend for every received datagram (the buffer is
    // recycled when this returns).
    void deliver(std::span<const std::byte> data, const base::endpoint& from, std::uint16_t socket) noexcept;
    void dispatch(const datagram& d) noexcept;
    void fire_timer(std::uint64_t cookie) noexcept;
    std::size_t drain_messages() noexcept;
    void publish_messages() noexcept;
    [[nodiscard]] bool inbound_pending() const noexcept;
    [[nodiscard]] std::int64_t poll_timeout_ns() noexcept;
    bool forward_datagram(base::shard_id owner, const datagram& d) noexcept;
    void add_metric_block(std::span<const base::metrics::def> defs, const std::uint64_t* live,
                          base::metrics::published::collect_fn collect, void* ctx);
    void publish_metrics_now() noexcept;

    engine& _engine;
    const base::shard_id _id;
    const std::uint16_t _count;
    const config& _cfg;
    base::mono_time _now;
    base::timer_wheel _timers;
    shard_counters _counters;
    std::array<std::unique_ptr<base::metrics::published>, max_metric_blocks> _blocks;
    std::atomic<std::size_t> _nblocks{0};
    base::mono_time _next_publish;
    std::vector<std::unique_ptr<handler>> _handlers;
    std::vector<base::endpoint> _local;
    std::unique_ptr<detail::send_pool> _pool;
    std::uint32_t _reserved_slot = UINT32_MAX;  // send_buffer() handed out, not yet committed
    std::unique_ptr<detail::backend> _backend;
    backend_kind _backend_kind = backend_kind::epoll;

    // Outbound rings to each shard (index = target; self uses a local queue),
    // and which of them have unpublished commits.
    std::vector<base::spsc_ring<message>*> _out;
    std::vector<std::uint8_t> _out_dirty;
    // Messages a shard posts to itself: reserved one at a time, queued on
    // commit, and swapped out before they run so handlers may post more.
    std::unique_ptr<message> _self_reserved;
    std::vector<std::unique_ptr<message>> _self_queue;

    int _wake_fd = -1;
    alignas(base::cache_line) std::atomic<bool> _sleeping{false};
    std::atomic<bool> _stop{false};
};

}  // namespace engine
