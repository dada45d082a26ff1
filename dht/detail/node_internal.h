// dht/detail/node_internal.h -- constants and helpers shared by node*.cc.
// The timing constants are the reference's (dht-rpc index.js).
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "base/byte_writer.h"
#include "base/endpoint.h"
#include "base/time.h"
#include "dht/compact.h"
#include "dht/counters.h"
#include "dht/wire.h"
#include "dht/detail/timer_cookie.h"

namespace dht::detail {

inline constexpr base::nanoseconds tick_interval = base::milliseconds(5000);
inline constexpr base::nanoseconds sleeping_interval = 3 * tick_interval;  // longer gaps mean we slept
inline constexpr base::nanoseconds drain_interval = base::milliseconds(750);
inline constexpr std::int64_t stable_ticks = 240;       // ~20 min without trouble: try to become persistent
inline constexpr std::int64_t more_stable_ticks = 3 * stable_ticks;
inline constexpr std::int64_t refresh_ticks = 60;       // refresh every ~5 min when idle
inline constexpr std::uint64_t recent_node = 12;        // heard from less than 1 min ago
inline constexpr std::uint64_t old_node = 360;          // around for more than 30 min
inline constexpr int max_repinging = 3;
inline constexpr int max_checks = 10;
inline constexpr std::uint64_t replica_sync_ticks = 12;  // full table sync to other shards, ~1 min

inline void put_addr(std::span<std::byte, 6> out, const base::endpoint& e) noexcept {
    base::byte_writer w(out);
    ce::write_addr4(w, e);
}

inline void count_decode_error(dht::counters& _ctr, wire_errc e) noexcept {
    switch (e) {
        case wire_errc::too_short: _ctr.inc(ctr::drop_too_short); break;
        case wire_errc::too_long: _ctr.inc(ctr::drop_too_long); break;
        case wire_errc::bad_type: _ctr.inc(ctr::drop_bad_type); break;
        case wire_errc::truncated: _ctr.inc(ctr::drop_truncated); break;
        case wire_errc::bad_field: _ctr.inc(ctr::drop_bad_field); break;
    }
}

}  // namespace dht::detail
