#include "crypto/key_cache.h"

#include <sodium.h>

#include <bit>
#include <cstring>

#include "crypto/detail/ge25519.h"
#include "crypto/hash.h"

namespace crypto {

key_cache::key_cache(std::size_t entries) {
    if (entries > 0) {
        const std::size_t sets = std::bit_ceil((entries + ways - 1) / ways);
        _slots.resize(sets * ways);
        _used.assign(sets * ways, 0);
        _set_mask = sets - 1;
    }
    crypto::random_bytes(_hash_key, sizeof _hash_key);
    crypto::random_bytes(&_rnd, sizeof _rnd);
    _rnd |= 1;
}

std::size_t key_cache::set_of(const std::uint8_t pk[32]) const noexcept {
    std::uint8_t h[crypto_shorthash_BYTES];
    crypto_shorthash(h, pk, 32, _hash_key);
    std::uint64_t v;
    std::memcpy(&v, h, sizeof v);
    return static_cast<std::size_t>(v) & _set_mask;
}

bool key_cache::find(const std::uint8_t pk[32], detail::ge_p3& out) noexcept {
    if (_slots.empty()) return false;
    ++_stats.lookups;
    const std::size_t base = set_of(pk) * ways;
    for (std::size_t w = 0; w < ways; ++w) {
        const slot& s = _slots[base + w];
        if (_used[base + w] == 0 || std::memcmp(s.pk, pk, 32) != 0) continue;
        ++_stats.hits;
        _used[base + w] = 2;  // hit since stored
        detail::fe x, y;
        std::memcpy(x.v, s.x, sizeof x.v);
        std::memcpy(y.v, s.y, sizeof y.v);
        out = detail::ge_p3{x, y, detail::fe_one_v, detail::fe_mul(x, y)};  // as decompress_finish builds it
        return true;
    }
    return false;
}

std::uint64_t key_cache::next_random() noexcept {
    _rnd ^= _rnd << 13;
    _rnd ^= _rnd >> 7;
    _rnd ^= _rnd << 17;
    return _rnd;
}

void key_cache::insert(const std::uint8_t pk[32], const detail::ge_p3& p) noexcept {
    if (_slots.empty()) return;
    const std::size_t base = set_of(pk) * ways;
    std::size_t victim = ways;
    for (std::size_t w = 0; w < ways; ++w) {
        if (_used[base + w] != 0 && std::memcmp(_slots[base + w].pk, pk, 32) == 0) return;  // already there
        if (_used[base + w] == 0 && victim == ways) victim = w;
    }
    if (victim == ways) {
        // Full set: replace only one miss in replace_one_in, and then a way
        // not hit since it was stored if there is one.
        const std::uint64_t r = next_random();
        if (r % replace_one_in != 0) return;
        const std::size_t start = static_cast<std::size_t>(r >> 32) % ways;
        victim = start;
        for (std::size_t i = 0; i < ways; ++i) {
            const std::size_t w = (start + i) % ways;
            if (_used[base + w] == 1) {
                victim = w;
                break;
            }
        }
        ++_stats.evictions;
    }
    slot& s = _slots[base + victim];
    std::memcpy(s.pk, pk, 32);
    std::memcpy(s.x, p.X.v, sizeof s.x);
    std::memcpy(s.y, p.Y.v, sizeof s.y);
    _used[base + victim] = 1;
    ++_stats.inserts;
}

}  // namespace crypto
