// dht/detail/timer_cookie.h -- what an entry of a node's timer wheel stands
// for: one scheme for every timer a dht::node and its parts arm.
//
//   cookie := u8(kind) << 56 | payload (56 bits)
//
// The payload is the kind's own business (an rpc slot and generation, a
// delayed-ping index, an application's cookie). Thread safety: values only.
#pragma once

#include <cstdint>

namespace dht::detail {

enum class timer_kind : std::uint8_t { rpc = 1, tick = 2, drain = 3, delayed_ping = 4, app = 5 };

inline constexpr int timer_payload_bits = 56;
inline constexpr std::uint64_t timer_payload_mask = (std::uint64_t{1} << timer_payload_bits) - 1;

// A cookie for `kind` carrying the low 56 bits of `payload`.
[[nodiscard]] constexpr std::uint64_t make_timer_cookie(timer_kind kind, std::uint64_t payload) noexcept {
    return std::uint64_t{static_cast<std::uint8_t>(kind)} << timer_payload_bits | (payload & timer_payload_mask);
}
[[nodiscard]] constexpr timer_kind timer_kind_of(std::uint64_t cookie) noexcept {
    return static_cast<timer_kind>(cookie >> timer_payload_bits);
}
[[nodiscard]] constexpr std::uint64_t timer_payload_of(std::uint64_t cookie) noexcept {
    return cookie & timer_payload_mask;
}

}  // namespace dht::detail
