// dht/tokens.h -- round-trip tokens (docs/protocol.md §2.4).
//
// token(peer) = H_{S_e}(utf8(peer's dotted IP)), keyed BLAKE2b-256. The
// secret of epoch e = floor(now / 7.5 s) is S_e = H_master(e), so every shard
// of a node derives the same secrets from one master key without talking to
// the others. Tokens are issued with the current epoch's secret and accepted
// for the current or the previous epoch: valid for 7.5 to 15 s, like the
// reference. Only the issuing node ever checks its tokens, so this
// construction is a local choice.
//
// Thread safety: one instance per shard (it caches the current secrets).
#pragma once

#include <array>
#include <cstdint>

#include "base/endpoint.h"
#include "base/time.h"
#include "dht/types.h"

namespace dht {

inline constexpr base::nanoseconds token_rotation = base::milliseconds(7500);

class token_keeper {
public:
    explicit token_keeper(const std::array<std::uint8_t, 32>& master) noexcept : _master(master) {}

    // The token to hand `peer` now.
    [[nodiscard]] token issue(const base::endpoint& peer, base::mono_time now) noexcept;
    // True if `t` is what this node issued to peer's IP in this or the previous epoch.
    [[nodiscard]] bool valid(const token& t, const base::endpoint& peer, base::mono_time now) noexcept;

    // For tests: the token for a given secret (the reference construction).
    [[nodiscard]] static token with_secret(const std::array<std::uint8_t, 32>& secret, const base::endpoint& peer) noexcept;

private:
    // The current epoch's token for recently seen IPv4 hosts: a keyed BLAKE2b
    // costs more than the rest of a request's validation.
    struct cached {
        std::uint32_t ip = 0;
        std::int64_t epoch = -1;
        token tok;
    };
    [[nodiscard]] const token& current_for(const base::endpoint& peer) noexcept;
    void roll(std::int64_t epoch) noexcept;
    [[nodiscard]] static std::int64_t epoch_of(base::mono_time now) noexcept {
        return base::to_ns(now) / token_rotation.count();
    }

    std::array<std::uint8_t, 32> _master;
    std::int64_t _epoch = -1;
    std::array<std::uint8_t, 32> _cur{};
    std::array<std::uint8_t, 32> _prev{};
    std::array<cached, 1024> _cache{};
};

}  // namespace dht
