// crypto/key_cache.h -- decoded Ed25519 public keys, kept for the batch verifier.
//
// Decoding a public key (a square root: one exponentiation) is one of the five
// exponentiations the batch verifier spends per signature, and DHT announcers
// sign with the same key every few minutes. A key_cache remembers the points
// that keys decoded to, so a later batch skips that exponentiation; each
// verify_queue (one per shard) owns one.
//
// Bounded: `entries` slots in sets of four, chosen by a keyed SipHash of the
// key (crypto_shorthash with a random key), so a sender cannot aim many keys at
// one set. A miss into a full set stores its key only one time in
// replace_one_in, and then over a way not hit since it was stored: when more
// keys cycle than the cache holds (every key re-announcing every ten minutes),
// replacing on every miss (LRU or random) keeps almost none of them until
// their next use, while a slowly changing resident subset keeps hitting; and a
// flood of one-off keys displaces hit keys slowly. A hit compares all 32 bytes and returns exactly the
// point the decoder produced, so verdicts never depend on the cache. Only keys
// that decoded are stored.
//
// Memory: 112 bytes per entry (the key, x and y). Thread safety: owned by one
// shard; no member may be called concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace crypto {

namespace detail {
struct ge_p3;
}

struct key_cache_stats {
    std::uint64_t lookups = 0;
    std::uint64_t hits = 0;
    std::uint64_t inserts = 0;
    std::uint64_t evictions = 0;  // inserts that replaced another key
};

class key_cache {
public:
    static constexpr std::size_t ways = 4;
    // A miss into a full set stores its key once in this many times.
    static constexpr std::uint64_t replace_one_in = 8;

    // Room for at least `entries` keys (rounded up to a power of two, at least
    // `ways`); 0 makes a cache that stores nothing. REQUIRES: crypto::init() has run.
    explicit key_cache(std::size_t entries);

    // If pk is cached, writes the point it decodes to (Z = 1, T = XY) and returns true.
    [[nodiscard]] bool find(const std::uint8_t pk[32], detail::ge_p3& out) noexcept;
    // Remembers that pk decodes to p. REQUIRES: p is decompress_finish's output for pk (Z = 1).
    void insert(const std::uint8_t pk[32], const detail::ge_p3& p) noexcept;

    [[nodiscard]] std::size_t capacity() const noexcept { return _slots.size(); }
    [[nodiscard]] const key_cache_stats& stats() const noexcept { return _stats; }

private:
    struct slot {
        std::uint8_t pk[32];
        std::uint64_t x[5], y[5];
    };
    [[nodiscard]] std::size_t set_of(const std::uint8_t pk[32]) const noexcept;
    std::uint64_t next_random() noexcept;

    std::vector<slot> _slots;
    std::vector<std::uint8_t> _used;  // per slot: 0 empty, 1 stored, 2 hit since stored
    std::size_t _set_mask = 0;
    std::uint8_t _hash_key[16];
    std::uint64_t _rnd;  // xorshift state for the replaced way
    key_cache_stats _stats;
};

}  // namespace crypto
