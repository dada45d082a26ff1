#include "crypto/hash.h"

#include <sodium.h>

#include <cassert>

namespace crypto {

namespace {
const unsigned char* u8(const void* p) noexcept { return static_cast<const unsigned char*>(p); }
}  // namespace

bool init() noexcept { return sodium_init() >= 0; }

std::uint64_t keystream::next() noexcept {
    if (_pos == _buf.size()) {
        std::array<unsigned char, crypto_stream_chacha20_NONCEBYTES> nonce{};
        for (std::size_t i = 0; i < nonce.size(); ++i) nonce[i] = static_cast<unsigned char>(_nonce >> (8 * i));
        ++_nonce;
        crypto_stream_chacha20(reinterpret_cast<unsigned char*>(_buf.data()), sizeof _buf, nonce.data(), u8(_key.data()));
        _pos = 0;
    }
    return _buf[_pos++];
}

hash32 blake2b_256(bytes_view in) noexcept {
    hash32 out;
    crypto_generichash(out.data(), 32, u8(in.data()), in.size(), nullptr, 0);
    return out;
}

hash32 blake2b_256(std::initializer_list<bytes_view> parts) noexcept {
    crypto_generichash_state st;
    crypto_generichash_init(&st, nullptr, 0, 32);
    for (auto p : parts) crypto_generichash_update(&st, u8(p.data()), p.size());
    hash32 out;
    crypto_generichash_final(&st, out.data(), 32);
    return out;
}

hash32 blake2b_256_keyed(bytes_view in, bytes_view key) noexcept {
    assert(key.size() >= crypto_generichash_KEYBYTES_MIN && key.size() <= crypto_generichash_KEYBYTES_MAX);
    hash32 out;
    crypto_generichash(out.data(), 32, u8(in.data()), in.size(), u8(key.data()), key.size());
    return out;
}

hash64 blake2b_512(bytes_view in) noexcept {
    hash64 out;
    crypto_generichash(out.data(), 64, u8(in.data()), in.size(), nullptr, 0);
    return out;
}

hash32 ns(std::string_view name, std::uint8_t id) noexcept {
    hash32 root = blake2b_256(base::as_bytes(name));
    std::byte idb{id};
    return blake2b_256({root.bytes(), bytes_view(&idb, 1)});
}

void random_bytes(void* out, std::size_t n) noexcept { randombytes_buf(out, n); }
void random_bytes(std::span<std::byte> out) noexcept { randombytes_buf(out.data(), out.size()); }

}  // namespace crypto
