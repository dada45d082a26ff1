// base/time.h -- the monotonic time type passed down from the engine.
//
// Only the engine reads the clock (once per loop iteration); everything below
// it, the DHT in particular, receives `now` as an argument so tests can drive
// time (ngtcp2 `ts`). Thread safety: plain values.
#pragma once

#include <chrono>
#include <cstdint>

namespace base {

using mono_clock = std::chrono::steady_clock;
using mono_time = mono_clock::time_point;
using std::chrono::milliseconds;
using std::chrono::microseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

[[nodiscard]] constexpr std::int64_t to_ns(mono_time t) noexcept {
    return std::chrono::duration_cast<nanoseconds>(t.time_since_epoch()).count();
}
[[nodiscard]] constexpr mono_time from_ns(std::int64_t ns) noexcept { return mono_time(nanoseconds(ns)); }
[[nodiscard]] constexpr std::int64_t to_ms(nanoseconds d) noexcept {
    return std::chrono::duration_cast<milliseconds>(d).count();
}

}  // namespace base
