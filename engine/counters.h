// engine/counters.h -- what a shard counts: one metric per event and one per
// drop reason, declared in base::metrics terms (base/metrics.h).
//
// Each shard counts in plain integers (shard_counters) and publishes a copy
// for other threads (engine::total, the control plane) before it may sleep,
// at least every 50 ms while busy, and when it stops.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "base/metrics.h"

namespace engine {

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
    ring_depth,           // gauge: most messages waiting in a ring this shard sends on, when it published
    count_
};

inline constexpr std::size_t counter_count = static_cast<std::size_t>(ctr::count_);

namespace detail {
using base::metrics::kind;
inline constexpr std::string_view dropped_datagrams_help =
    "Datagrams the engine dropped before any handler saw them, by reason.";
inline constexpr std::array<base::metrics::def, counter_count> ctr_defs{{
    {"rx_datagrams", "shoal_engine_received_datagrams_total", kind::counter, "UDP datagrams received."},
    {"rx_bytes", "shoal_engine_received_bytes_total", kind::counter, "Bytes of UDP payload received."},
    {"tx_datagrams", "shoal_engine_sent_datagrams_total", kind::counter, "UDP datagrams queued for sending."},
    {"tx_bytes", "shoal_engine_sent_bytes_total", kind::counter, "Bytes of UDP payload queued for sending."},
    {"drop_oversize", "shoal_engine_dropped_datagrams_total", kind::counter, dropped_datagrams_help,
     {"reason", "oversize"}},
    {"drop_source_port0", "shoal_engine_dropped_datagrams_total", kind::counter, dropped_datagrams_help,
     {"reason", "source_port0"}},
    {"drop_unclassified", "shoal_engine_dropped_datagrams_total", kind::counter, dropped_datagrams_help,
     {"reason", "unclassified"}},
    {"drop_recv_invalid", "shoal_engine_dropped_datagrams_total", kind::counter, dropped_datagrams_help,
     {"reason", "recv_invalid"}},
    {"recv_no_buffers", "shoal_engine_receive_no_buffers_total", kind::counter,
     "Times io_uring ran out of provided receive buffers (datagrams wait in the socket queue)."},
    {"recv_errors", "shoal_engine_receive_errors_total", kind::counter, "Receive calls that failed."},
    {"send_queue_full", "shoal_engine_dropped_sends_total", kind::counter,
     "Datagrams a handler could not queue because no send slot was free."},
    {"send_errors", "shoal_engine_send_errors_total", kind::counter, "Datagrams the kernel refused to send."},
    {"send_retries", "shoal_engine_send_retries_total", kind::counter,
     "Send batches that hit EAGAIN and stayed queued."},
    {"ring_full", "shoal_engine_dropped_messages_total", kind::counter,
     "Cross-shard messages dropped because the target shard's ring was full."},
    {"steered_software", "shoal_engine_steered_datagrams_total", kind::counter,
     "Datagrams that reached the wrong shard and were passed on to their owner."},
    {"messages_in", "shoal_engine_messages_received_total", kind::counter, "Cross-shard messages received."},
    {"messages_out", "shoal_engine_messages_sent_total", kind::counter, "Cross-shard messages sent."},
    {"timers_fired", "shoal_engine_timers_fired_total", kind::counter, "Timers that fired."},
    {"loop_iterations", "shoal_engine_loop_iterations_total", kind::counter, "Iterations of the shard loop."},
    {"wakeups", "shoal_engine_wakeups_total", kind::counter, "Times another shard woke this one."},
    {"ring_depth", "shoal_engine_ring_depth_messages", kind::gauge,
     "Most messages waiting in any cross-shard ring this shard sends on, as of its last publish."},
}};
}  // namespace detail

[[nodiscard]] constexpr std::span<const base::metrics::def> metric_defs(ctr) noexcept { return detail::ctr_defs; }


using shard_counters = base::metrics::counter_set<ctr>;

}  // namespace engine
