// crypto/sign.h -- Ed25519 keys, signing and single verification (libsodium).
//
// libsodium's crypto_sign_verify_detached is the reference every other
// verification path (crypto/batch_verify.h) is tested against.
// Thread safety: pure functions once crypto::init() has run.
#pragma once

#include <cstddef>
#include <span>

#include "base/fixed_bytes.h"

namespace crypto {

struct public_key_tag {};
using public_key = base::fixed_bytes<32, public_key_tag>;
struct secret_key_tag {};
using secret_key = base::fixed_bytes<64, secret_key_tag>;  // seed || public key
struct signature_tag {};
using signature = base::fixed_bytes<64, signature_tag>;
struct seed_tag {};
using seed = base::fixed_bytes<32, seed_tag>;

struct keypair {
    public_key pk;
    secret_key sk;
};

// crypto_sign_seed_keypair: the same seed always gives the same keys.
[[nodiscard]] keypair keypair_from_seed(const seed& s) noexcept;
// A fresh random keypair.
[[nodiscard]] keypair random_keypair() noexcept;

// crypto_sign_detached over msg.
[[nodiscard]] signature sign(std::span<const std::byte> msg, const secret_key& sk) noexcept;
// crypto_sign_verify_detached: true iff libsodium accepts (sig, msg, pk).
[[nodiscard]] bool verify(const signature& sig, std::span<const std::byte> msg, const public_key& pk) noexcept;

// The libsodium release this process runs with ("1.0.18").
[[nodiscard]] const char* sodium_version() noexcept;
// Whether it is the release whose acceptance rule the batch verifier
// reproduces: 1.0.18 (docs/batch_verification.md, section 1; from 1.0.19 on,
// libsodium accepts a leftover small-order component the batch rejects). The
// build requires 1.0.18; a process that meets another release at run time
// (a shared library swapped under it) must verify one signature at a time.
[[nodiscard]] bool batch_rule_matches_library() noexcept;

}  // namespace crypto
