// base/hash.h -- hashing of peer-chosen bytes for hash tables.
//
// XXH3 with a random per-process seed, so a peer cannot aim keys at one bucket.
// Thread safety: the seed is set once before shards start and only read after.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace base {

// The per-process seed (drawn from the OS on first use).
[[nodiscard]] std::uint64_t hash_seed() noexcept;
// Seeded XXH3-64 of the bytes.
[[nodiscard]] std::uint64_t hash_bytes(std::span<const std::byte> b) noexcept;
[[nodiscard]] std::uint64_t hash_bytes(const void* p, std::size_t n) noexcept;

// Unseeded XXH3-64: the same in every process and on every run, for checksums
// of files this program writes and reads back (never for hash tables).
[[nodiscard]] std::uint64_t checksum64(std::span<const std::byte> b) noexcept;

// A hasher for containers keyed by fixed_bytes-like values (anything with data()/size()).
struct bytes_hasher {
    template <class K>
    std::size_t operator()(const K& k) const noexcept {
        return static_cast<std::size_t>(hash_bytes(k.data(), k.size()));
    }
};

}  // namespace base
