// dht/counters.h -- what a node counts: one counter per event and per drop
// reason. Single writer (the node's shard), readable from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

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
    shard_messages_dropped,   // the ring to another shard was full (state messages are resent; see node_shards.cc)
    count_
};
inline constexpr std::size_t ctr_count = static_cast<std::size_t>(ctr::count_);
[[nodiscard]] const char* ctr_name(ctr c) noexcept;

class counters {
public:
    void inc(ctr c, std::uint64_t n = 1) noexcept {
        auto& v = _c[static_cast<std::size_t>(c)];
        v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t get(ctr c) const noexcept {
        return _c[static_cast<std::size_t>(c)].load(std::memory_order_relaxed);
    }

private:
    std::array<std::atomic<std::uint64_t>, ctr_count> _c{};
};

}  // namespace dht
