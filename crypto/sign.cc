#include "crypto/sign.h"

#include <sodium.h>

#include <string_view>

namespace crypto {

keypair keypair_from_seed(const seed& s) noexcept {
    keypair kp;
    crypto_sign_seed_keypair(kp.pk.data(), kp.sk.data(), s.data());
    return kp;
}

keypair random_keypair() noexcept {
    keypair kp;
    crypto_sign_keypair(kp.pk.data(), kp.sk.data());
    return kp;
}

signature sign(std::span<const std::byte> msg, const secret_key& sk) noexcept {
    signature sig;
    crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(msg.data()), msg.size(),
                         sk.data());
    return sig;
}

bool verify(const signature& sig, std::span<const std::byte> msg, const public_key& pk) noexcept {
    return crypto_sign_verify_detached(sig.data(), reinterpret_cast<const unsigned char*>(msg.data()), msg.size(),
                                       pk.data()) == 0;
}

const char* sodium_version() noexcept { return sodium_version_string(); }

bool batch_rule_matches_library() noexcept { return std::string_view(sodium_version_string()) == "1.0.18"; }

}  // namespace crypto
