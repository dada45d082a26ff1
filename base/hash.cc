#include "base/hash.h"

#include <sys/random.h>
#include <xxhash.h>

namespace base {

namespace {
std::uint64_t draw_seed() noexcept {
    std::uint64_t s = 0;
    if (getrandom(&s, sizeof s, 0) != static_cast<ssize_t>(sizeof s)) s = 0x5eed5eed5eed5eedull;
    return s;
}
}  // namespace

std::uint64_t hash_seed() noexcept {
    static const std::uint64_t seed = draw_seed();
    return seed;
}

std::uint64_t hash_bytes(const void* p, std::size_t n) noexcept { return XXH3_64bits_withSeed(p, n, hash_seed()); }

std::uint64_t hash_bytes(std::span<const std::byte> b) noexcept { return hash_bytes(b.data(), b.size()); }

std::uint64_t checksum64(std::span<const std::byte> b) noexcept { return XXH3_64bits(b.data(), b.size()); }

}  // namespace base
