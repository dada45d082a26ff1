// dht/counters.h -- what dht-rpc counts: one metric per event and per drop
// reason, declared in base::metrics terms (base/metrics.h). Counted in plain
// integers by the node's shard; other threads read the engine's published copy.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "base/metrics.h"

namespace dht {

enum class ctr : std::uint8_t {
    rx_requests,
    rx_responses,
    drop_too_short,           // < 2 bytes
    drop_too_long,            // > 2048 bytes
    drop_bad_type,            // first byte not 0x03/0x13
    drop_truncated,           // a declared field ran past the end
    drop_bad_field,           // a field outside its limits
    drop_unmatched_response,  // unknown tid, or answered from another address
    drop_not_ipv4,            // from an IPv6 source (the protocol is IPv4)
    id_mismatch,              // id present but != H(source): treated as absent
    token_invalid,            // answered with error 2 and a fresh token
    cmd_ping,
    cmd_ping_nat,
    cmd_find_node,
    cmd_down_hint,
    cmd_delayed_ping,
    drop_ping_nat_bad_value,  // value < 2 bytes or port 0
    drop_find_node_no_target,
    drop_down_hint_bad_value,   // value < 6 bytes
    drop_delayed_ping_bad_value,  // value < 4 bytes or delay > max
    drop_delayed_ping_overload,   // too many delayed pings pending
    unknown_command,          // answered with error 1
    app_requests,             // handed to the application layer (hyperdht)
    tx_replies,
    tx_requests,
    table_added,
    table_removed,
    down_hints_sent,
    down_hints_suppressed,    // over the per-tick budget
    shard_messages_out,
    shard_messages_dropped,   // the ring to another shard was full (state messages are resent; see replication.cc)
    bad_shard_messages,       // a cross-shard message that did not parse (only this process posts them)
    known_pinged,             // nodes from a saved table pinged at start (node_config::known_nodes)
    known_answered,           // ... that answered, and so re-entered the table
    count_
};
inline constexpr std::size_t ctr_count = static_cast<std::size_t>(ctr::count_);

namespace detail {
using base::metrics::kind;
inline constexpr std::string_view dropped_datagrams_help = "dht-rpc datagrams dropped before any command ran, by reason.";
inline constexpr std::string_view dropped_requests_help = "dht-rpc requests dropped by their command's checks, by reason.";
inline constexpr std::string_view requests_help = "dht-rpc requests served, by command.";
inline constexpr std::array<base::metrics::def, ctr_count> ctr_defs{{
    {"rx_requests", "shoal_dht_received_requests_total", kind::counter, "dht-rpc requests that decoded."},
    {"rx_responses", "shoal_dht_received_responses_total", kind::counter, "dht-rpc responses that decoded."},
    {"drop_too_short", "shoal_dht_dropped_datagrams_total", kind::counter, dropped_datagrams_help, {"reason", "too_short"}},
    {"drop_too_long", "shoal_dht_dropped_datagrams_total", kind::counter, dropped_datagrams_help, {"reason", "too_long"}},
    {"drop_bad_type", "shoal_dht_dropped_datagrams_total", kind::counter, dropped_datagrams_help, {"reason", "bad_type"}},
    {"drop_truncated", "shoal_dht_dropped_datagrams_total", kind::counter, dropped_datagrams_help, {"reason", "truncated"}},
    {"drop_bad_field", "shoal_dht_dropped_datagrams_total", kind::counter, dropped_datagrams_help, {"reason", "bad_field"}},
    {"drop_unmatched_response", "shoal_dht_dropped_datagrams_total", kind::counter, dropped_datagrams_help,
     {"reason", "unmatched_response"}},
    {"drop_not_ipv4", "shoal_dht_dropped_datagrams_total", kind::counter, dropped_datagrams_help, {"reason", "not_ipv4"}},
    {"id_mismatch", "shoal_dht_id_mismatches_total", kind::counter,
     "Messages whose id was not the hash of their source address (treated as id-less)."},
    {"token_invalid", "shoal_dht_invalid_tokens_total", kind::counter,
     "Requests whose token was wrong or stale (answered with error 2 and a fresh token)."},
    {"cmd_ping", "shoal_dht_requests_total", kind::counter, requests_help, {"command", "ping"}},
    {"cmd_ping_nat", "shoal_dht_requests_total", kind::counter, requests_help, {"command", "ping_nat"}},
    {"cmd_find_node", "shoal_dht_requests_total", kind::counter, requests_help, {"command", "find_node"}},
    {"cmd_down_hint", "shoal_dht_requests_total", kind::counter, requests_help, {"command", "down_hint"}},
    {"cmd_delayed_ping", "shoal_dht_requests_total", kind::counter, requests_help, {"command", "delayed_ping"}},
    {"drop_ping_nat_bad_value", "shoal_dht_dropped_requests_total", kind::counter, dropped_requests_help,
     {"reason", "ping_nat_bad_value"}},
    {"drop_find_node_no_target", "shoal_dht_dropped_requests_total", kind::counter, dropped_requests_help,
     {"reason", "find_node_no_target"}},
    {"drop_down_hint_bad_value", "shoal_dht_dropped_requests_total", kind::counter, dropped_requests_help,
     {"reason", "down_hint_bad_value"}},
    {"drop_delayed_ping_bad_value", "shoal_dht_dropped_requests_total", kind::counter, dropped_requests_help,
     {"reason", "delayed_ping_bad_value"}},
    {"drop_delayed_ping_overload", "shoal_dht_dropped_requests_total", kind::counter, dropped_requests_help,
     {"reason", "delayed_ping_overload"}},
    {"unknown_command", "shoal_dht_unknown_commands_total", kind::counter,
     "Requests for a command this node does not serve (answered with error 1)."},
    {"app_requests", "shoal_dht_app_requests_total", kind::counter,
     "Requests handed to the application layer (HyperDHT)."},
    {"tx_replies", "shoal_dht_sent_replies_total", kind::counter, "dht-rpc responses sent."},
    {"tx_requests", "shoal_dht_sent_requests_total", kind::counter, "dht-rpc requests sent (first tries)."},
    {"table_added", "shoal_dht_table_added_total", kind::counter, "Nodes added to the routing table."},
    {"table_removed", "shoal_dht_table_removed_total", kind::counter, "Nodes removed from the routing table."},
    {"down_hints_sent", "shoal_dht_down_hints_sent_total", kind::counter, "DOWN_HINT requests sent."},
    {"down_hints_suppressed", "shoal_dht_down_hints_suppressed_total", kind::counter,
     "DOWN_HINTs not sent because the per-tick budget was spent."},
    {"shard_messages_out", "shoal_dht_shard_messages_sent_total", kind::counter,
     "State messages posted to other shards (table, identity, reports)."},
    {"shard_messages_dropped", "shoal_dht_shard_messages_dropped_total", kind::counter,
     "State messages lost to a full ring (identity and table are resent)."},
    {"bad_shard_messages", "shoal_dht_bad_shard_messages_total", kind::counter,
     "Cross-shard messages that did not parse and were dropped (a bug: only this process posts them)."},
    {"known_pinged", "shoal_dht_known_nodes_pinged_total", kind::counter,
     "Nodes of a saved routing table pinged at start, before any of them is used."},
    {"known_answered", "shoal_dht_known_nodes_answered_total", kind::counter,
     "Nodes of a saved routing table that answered the ping at start and re-entered the table."},
}};
}  // namespace detail

[[nodiscard]] constexpr std::span<const base::metrics::def> metric_defs(ctr) noexcept { return detail::ctr_defs; }

// A node's counters: plain integers, its shard's alone.
using counters = base::metrics::counter_set<ctr>;

// What the outgoing-request engine (dht/rpc.h) counts.
enum class rpc_ctr : std::uint8_t {
    sent,       // first transmissions
    retries,    // retransmissions after a silent interval
    responses,  // requests answered
    timeouts,   // requests that ran out of tries
    queued,     // requests that waited for the congestion window
    // Round-trip time of answered requests (first send to answer, retries
    // included), by bucket (rtt_bounds_ms), and their sum.
    rtt_1ms,
    rtt_2ms,
    rtt_5ms,
    rtt_10ms,
    rtt_25ms,
    rtt_50ms,
    rtt_100ms,
    rtt_250ms,
    rtt_500ms,
    rtt_1s,
    rtt_2500ms,
    rtt_more,
    rtt_sum_us,
    count_
};
inline constexpr std::array<std::int64_t, 11> rtt_bounds_ms{1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500};
// The bucket of a round-trip time.
[[nodiscard]] constexpr rpc_ctr rtt_bucket(std::int64_t us) noexcept {
    std::size_t b = 0;
    while (b < rtt_bounds_ms.size() && us > rtt_bounds_ms[b] * 1000) ++b;
    return static_cast<rpc_ctr>(static_cast<std::size_t>(rpc_ctr::rtt_1ms) + b);
}

namespace detail {
inline constexpr std::string_view rtt_help =
    "Round-trip time of answered outgoing dht-rpc requests (queries included), from the first send.";
inline constexpr std::array<base::metrics::def, static_cast<std::size_t>(rpc_ctr::count_)> rpc_ctr_defs{{
    {"rpc_sent", "shoal_dht_rpc_sent_total", kind::counter, "Outgoing dht-rpc requests sent (first tries)."},
    {"rpc_retries", "shoal_dht_rpc_retries_total", kind::counter, "Outgoing dht-rpc requests sent again."},
    {"rpc_responses", "shoal_dht_rpc_responses_total", kind::counter, "Outgoing dht-rpc requests answered."},
    {"rpc_timeouts", "shoal_dht_rpc_timeouts_total", kind::counter, "Outgoing dht-rpc requests that were never answered."},
    {"rpc_queued", "shoal_dht_rpc_queued_total", kind::counter,
     "Outgoing dht-rpc requests that waited for the congestion window."},
    {"rpc_rtt_1ms", "shoal_dht_rpc_rtt_seconds", kind::bucket, rtt_help, {"le", "0.001"}},
    {"rpc_rtt_2ms", "shoal_dht_rpc_rtt_seconds", kind::bucket, rtt_help, {"le", "0.002"}},
    {"rpc_rtt_5ms", "shoal_dht_rpc_rtt_seconds", kind::bucket, rtt_help, {"le", "0.005"}},
    {"rpc_rtt_10ms", "shoal_dht_rpc_rtt_seconds", kind::bucket, rtt_help, {"le", "0.01"}},
    {"rpc_rtt_25ms", "shoal_dht_rpc_rtt_seconds", kind::bucket, rtt_help, {"le", "0.025"}},
    {"rpc_rtt_50ms", "shoal_dht_rpc_rtt_seconds", kind::bucket, rtt_help, {"le", "0.05"}},
    {"rpc_rtt_100ms", "shoal_dht_rpc_rtt_seconds", kind::bucket, rtt_help, {"le", "0.1"}},
    {"rpc_rtt_250ms", "shoal_dht_rpc_rtt_seconds", kind::bucket, rtt_help, {"le", "0.25"}},
    {"rpc_rtt_500ms", "shoal_dht_rpc_rtt_seconds", kind::bucket, rtt_help, {"le", "0.5"}},
    {"rpc_rtt_1s", "shoal_dht_rpc_rtt_seconds", kind::bucket, rtt_help, {"le", "1"}},
    {"rpc_rtt_2500ms", "shoal_dht_rpc_rtt_seconds", kind::bucket, rtt_help, {"le", "2.5"}},
    {"rpc_rtt_more", "shoal_dht_rpc_rtt_seconds", kind::bucket, rtt_help, {"le", "+Inf"}},
    {"rpc_rtt_sum_us", "shoal_dht_rpc_rtt_seconds", kind::bucket_sum, rtt_help},
}};
}  // namespace detail
[[nodiscard]] constexpr std::span<const base::metrics::def> metric_defs(rpc_ctr) noexcept { return detail::rpc_ctr_defs; }

}  // namespace dht
