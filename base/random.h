// base/random.h -- a small seeded PRNG for simulations, jitter and sampling.
//
// xoshiro256** seeded through splitmix64. Not for secrets: keys, token secrets
// and signature coefficients come from libsodium's CSPRNG in crypto/.
// Thread safety: one generator per owner.
#pragma once

#include <cstdint>
#include <limits>

namespace base {

class prng {
public:
    using result_type = std::uint64_t;
    explicit prng(std::uint64_t seed) noexcept {
        for (auto& s : _s) {
            seed += 0x9E3779B97F4A7C15ull;
            std::uint64_t z = seed;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
            s = z ^ (z >> 31);
        }
    }
    static constexpr result_type min() noexcept { return 0; }
    static constexpr result_type max() noexcept { return std::numeric_limits<result_type>::max(); }
    result_type operator()() noexcept {
        const std::uint64_t r = rotl(_s[1] * 5, 7) * 9;
        const std::uint64_t t = _s[1] << 17;
        _s[2] ^= _s[0];
        _s[3] ^= _s[1];
        _s[1] ^= _s[2];
        _s[0] ^= _s[3];
        _s[2] ^= t;
        _s[3] = rotl(_s[3], 45);
        return r;
    }
    // Uniform in [0, n); REQUIRES n > 0. Lemire's multiply-shift (bias < 2^-32 for small n).
    std::uint64_t below(std::uint64_t n) noexcept {
        __extension__ using u128 = unsigned __int128;
        return static_cast<std::uint64_t>((static_cast<u128>((*this)()) * n) >> 64);
    }
    // True with probability p.
    bool chance(double p) noexcept { return static_cast<double>((*this)() >> 11) * 0x1.0p-53 < p; }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
    std::uint64_t _s[4];
};

}  // namespace base
