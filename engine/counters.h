// engine/counters.h -- per-shard counters, one per event and one per drop reason.
//
// Each counter has exactly one writer (its shard) and may be read from any
// thread: increments are a relaxed load + store (a plain add on x86, no lock
// prefix), reads are relaxed loads. Values only grow.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace engine {

class counter {
public:
    void inc(std::uint64_t n = 1) noexcept { _v.store(_v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
    [[nodiscard]] std::uint64_t get() const noexcept { return _v.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> _v{0};
};

enum class ctr : std::uint8_t {
    rx_datagrams,
    rx_bytes,
    tx_datagrams,
    tx_bytes,
    drop_oversize,        // larger than max_datagram
    drop_source_port0,    // no way to answer
    drop_unclassified,    // the classifier returned drop_kind or an unknown kind
    drop_recv_invalid,    // a completion the kernel produced but we could not parse
    recv_no_buffers,      // io_uring ran out of provided buffers (the socket queue holds the rest)
    recv_errors,
    send_queue_full,      // a handler's send found no free slot: the datagram was dropped
    send_errors,          // the kernel refused a datagram
    send_retries,         // sendmmsg hit EAGAIN; kept queued
    ring_full,            // a cross-shard message found the ring full: dropped
    steered_software,     // a steered datagram arrived at the wrong shard and was forwarded
    messages_in,
    messages_out,
    timers_fired,
    loop_iterations,
    wakeups,              // woken through the eventfd by another shard
    count_
};

inline constexpr std::size_t counter_count = static_cast<std::size_t>(ctr::count_);

// The stable, snake_case name of each counter (for logs and status output).
[[nodiscard]] const char* counter_name(ctr c) noexcept;

class shard_counters {
public:
    void inc(ctr c, std::uint64_t n = 1) noexcept { _c[static_cast<std::size_t>(c)].inc(n); }
    [[nodiscard]] std::uint64_t get(ctr c) const noexcept { return _c[static_cast<std::size_t>(c)].get(); }

private:
    std::array<counter, counter_count> _c{};
};

}  // namespace engine
