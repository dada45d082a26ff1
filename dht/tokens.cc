#include "dht/tokens.h"

#include <cstring>

#include "crypto/hash.h"

namespace dht {

namespace {
std::span<const std::byte> bytes(const std::array<std::uint8_t, 32>& a) noexcept {
    return {reinterpret_cast<const std::byte*>(a.data()), a.size()};
}
}  // namespace

token token_keeper::with_secret(const std::array<std::uint8_t, 32>& secret, const base::endpoint& peer) noexcept {
    char host[64];
    std::size_t n = peer.host_string(host, sizeof host);
    return token(crypto::blake2b_256_keyed({reinterpret_cast<const std::byte*>(host), n}, bytes(secret)).array());
}

void token_keeper::roll(std::int64_t epoch) noexcept {
    if (epoch == _epoch) return;
    auto derive = [this](std::int64_t e) {
        std::array<std::byte, 8> le;
        for (int i = 0; i < 8; ++i) le[static_cast<std::size_t>(i)] = std::byte(static_cast<std::uint64_t>(e) >> (8 * i));
        return crypto::blake2b_256_keyed(le, bytes(_master)).array();
    };
    if (epoch == _epoch + 1) {
        _prev = _cur;
    } else {
        _prev = derive(epoch - 1);
    }
    _cur = derive(epoch);
    _epoch = epoch;
}

const token& token_keeper::current_for(const base::endpoint& peer) noexcept {
    // Direct-mapped on a multiplicative hash of the IPv4 address; entries are
    // tagged with the epoch so a rotation invalidates them all at once.
    const std::uint32_t ip = peer.v4_u32();
    cached& c = _cache[(ip * 2654435761u) >> 22];
    if (c.epoch != _epoch || c.ip != ip || !peer.is_v4()) {
        c.ip = ip;
        c.epoch = _epoch;
        c.tok = with_secret(_cur, peer);
    }
    return c.tok;
}

token token_keeper::issue(const base::endpoint& peer, base::mono_time now) noexcept {
    roll(epoch_of(now));
    return current_for(peer);
}

bool token_keeper::valid(const token& t, const base::endpoint& peer, base::mono_time now) noexcept {
    roll(epoch_of(now));
    return t == current_for(peer) || t == with_secret(_prev, peer);
}

}  // namespace dht
