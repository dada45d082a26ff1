// base/shard.h -- shard identity and the shard-affinity check.
//
// Each shard is one pinned thread. Shard-owned objects remember their shard and
// debug builds assert that only that thread touches them (Redpanda `oncore`).
// Thread safety: `current_shard()` is thread-local; `shard_id` is a value.
#pragma once

#include <cassert>
#include <compare>
#include <cstdint>

namespace base {

// Strong shard index. No arithmetic beyond what indexing needs.
class shard_id {
public:
    constexpr shard_id() noexcept = default;
    explicit constexpr shard_id(std::uint16_t v) noexcept : _v(v) {}
    [[nodiscard]] constexpr std::uint16_t value() const noexcept { return _v; }
    friend constexpr auto operator<=>(shard_id, shard_id) noexcept = default;

private:
    std::uint16_t _v = 0;
};

inline constexpr std::uint16_t max_shards = 64;

namespace detail {
inline thread_local int tls_shard = -1;
}

// Marks the calling thread as shard `s` (called by the engine when a shard thread starts).
inline void set_current_shard(shard_id s) noexcept { detail::tls_shard = s.value(); }
inline void clear_current_shard() noexcept { detail::tls_shard = -1; }
// The calling thread's shard, or -1 on a thread that is not a shard.
[[nodiscard]] inline int current_shard() noexcept { return detail::tls_shard; }

// Remembers the shard that created it; check() asserts the caller is that shard
// (or that no shard is set, e.g. single-threaded tests). Free in release builds.
class shard_affinity {
public:
    shard_affinity() noexcept : _owner(current_shard()) {}
    void check() const noexcept {
#ifndef NDEBUG
        int cur = current_shard();
        assert(_owner < 0 || cur < 0 || cur == _owner);
#endif
    }
    void rebind() noexcept { _owner = current_shard(); }

private:
    int _owner;
};

}  // namespace base
