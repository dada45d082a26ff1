// crypto/hash.h -- BLAKE2b as HyperDHT uses it (libsodium crypto_generichash).
//
// H(x) = BLAKE2b-256(x); H_k(x) = keyed BLAKE2b-256; H64 = BLAKE2b-512.
// Node ids, namespaces, targets and round-trip tokens are all built from these.
// Thread safety: pure functions; call crypto::init() once before any shard starts.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <span>

#include "base/fixed_bytes.h"

namespace crypto {

struct hash32_tag {};
using hash32 = base::fixed_bytes<32, hash32_tag>;
struct hash64_tag {};
using hash64 = base::fixed_bytes<64, hash64_tag>;

using bytes_view = std::span<const std::byte>;

// Initialises libsodium (idempotent, thread-safe). Returns false if it cannot.
[[nodiscard]] bool init() noexcept;

// H(x): unkeyed BLAKE2b with a 32-byte output.
[[nodiscard]] hash32 blake2b_256(bytes_view in) noexcept;
// H(a || b || ...): the same over the concatenation, without copying.
[[nodiscard]] hash32 blake2b_256(std::initializer_list<bytes_view> parts) noexcept;
// H_k(x): keyed BLAKE2b-256. REQUIRES: 16 <= key.size() <= 64.
[[nodiscard]] hash32 blake2b_256_keyed(bytes_view in, bytes_view key) noexcept;
// H64(x): BLAKE2b-512.
[[nodiscard]] hash64 blake2b_512(bytes_view in) noexcept;

// HyperDHT namespaces: NS_i = H(H(utf8(name)) || byte(i)) (hypercore-crypto namespace()).
[[nodiscard]] hash32 ns(std::string_view name, std::uint8_t id) noexcept;

// A ChaCha20 keystream (libsodium crypto_stream_chacha20), read 8 bytes at a
// time: unpredictable to anyone without the key, deterministic given it (so
// seeded tests repeat), and cheap (it refills 512 bytes at a time).
// Thread safety: one owner.
class keystream {
public:
    explicit keystream(const hash32& key) noexcept : _key(key) {}
    [[nodiscard]] std::uint64_t next() noexcept;

private:
    hash32 _key;
    std::uint64_t _nonce = 0;
    std::array<std::uint64_t, 64> _buf{};
    std::size_t _pos = 64;
};

// Fills `out` from libsodium's CSPRNG.
void random_bytes(std::span<std::byte> out) noexcept;
void random_bytes(void* out, std::size_t n) noexcept;

}  // namespace crypto
