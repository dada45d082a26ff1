// dht/types.h -- strong types for the values of the HyperDHT wire protocol.
//
// 32-byte ids live in one XOR metric space: node ids are H(addr4) of a node's
// public address, targets are whatever a query looks up (a node id, H(public
// key), a topic). They are distinct types; convert explicitly with
// to_target()/to_node_id() where the protocol mixes them.
// Thread safety: plain values.
#pragma once

#include <compare>
#include <cstdint>

#include "base/fixed_bytes.h"

namespace dht {

struct node_id_tag {};
using node_id = base::fixed_bytes<32, node_id_tag>;
struct target_tag {};
using target = base::fixed_bytes<32, target_tag>;
struct token_tag {};
using token = base::fixed_bytes<32, token_tag>;

[[nodiscard]] inline target to_target(const node_id& id) noexcept { return target(id.array()); }
[[nodiscard]] inline node_id to_node_id(const target& t) noexcept { return node_id(t.array()); }

// dht-rpc transaction id (u16 on the wire). No arithmetic: tids are only
// allocated by rpc::tid_allocator and compared.
class txn_id {
public:
    constexpr txn_id() noexcept = default;
    explicit constexpr txn_id(std::uint16_t v) noexcept : _v(v) {}
    [[nodiscard]] constexpr std::uint16_t value() const noexcept { return _v; }
    friend constexpr bool operator==(txn_id, txn_id) noexcept = default;

private:
    std::uint16_t _v = 0;
};

// Compares the XOR distances of a and b to t: negative if a is closer,
// positive if b is closer, 0 if equal. Works for any two 32-byte id types.
template <class A, class B>
[[nodiscard]] int compare_distance(const target& t, const A& a, const B& b) noexcept {
    for (std::size_t i = 0; i < 32; ++i) {
        const int da = t[i] ^ a[i], db = t[i] ^ b[i];
        if (da != db) return da - db;
    }
    return 0;
}

// The index of the first bit (MSB first) where a and b differ; 255 when equal
// (the last row, as kademlia-routing-table does).
template <class A, class B>
[[nodiscard]] int first_diff_bit(const A& a, const B& b) noexcept {
    for (int i = 0; i < 32; ++i) {
        const unsigned x = static_cast<unsigned>(a[static_cast<std::size_t>(i)] ^ b[static_cast<std::size_t>(i)]);
        if (x) return i * 8 + __builtin_clz(x) - 24;
    }
    return 255;
}

// dht-rpc internal commands (request flag bit 2 set).
enum class internal_cmd : std::uint8_t { ping = 0, ping_nat = 1, find_node = 2, down_hint = 3, delayed_ping = 4 };

// Error codes carried in responses.
enum class rpc_error : std::uint8_t {
    none = 0,
    unknown_command = 1,
    invalid_token = 2,
    seq_reused = 16,
    seq_too_low = 17,
};

}  // namespace dht
