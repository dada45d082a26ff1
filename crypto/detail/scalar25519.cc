#include "crypto/detail/scalar25519.h"

#include <sodium.h>

#include <cstring>

#include "crypto/detail/fe25519.h"  // u128

namespace crypto::detail {

namespace {

// L, little-endian words.
constexpr std::uint64_t order_l[4] = {0x5812631a5cf5d3edull, 0x14def9dea2f79cd6ull, 0, 0x1000000000000000ull};

// out[0..5] = a (128 bits) * b (256 bits).
void mul128x256(std::uint64_t out[6], std::uint64_t a_lo, std::uint64_t a_hi, const scalar& b) noexcept {
    u128 carry = 0;
    for (int i = 0; i < 4; ++i) {
        carry += static_cast<u128>(a_lo) * b.w[i];
        out[i] = static_cast<std::uint64_t>(carry);
        carry >>= 64;
    }
    out[4] = static_cast<std::uint64_t>(carry);
    out[5] = 0;
    carry = 0;
    for (int i = 0; i < 4; ++i) {
        carry += static_cast<u128>(a_hi) * b.w[i] + out[i + 1];
        out[i + 1] = static_cast<std::uint64_t>(carry);
        carry >>= 64;
    }
    out[5] = static_cast<std::uint64_t>(carry);
}

// n <= 16 bits of s starting at bit pos; bits past 255 read as zero.
[[nodiscard]] inline std::uint64_t bits_at(const scalar& s, std::size_t pos, int n) noexcept {
    if (pos >= 256) return 0;
    const std::size_t word = pos / 64, shift = pos % 64;
    std::uint64_t v = s.w[word] >> shift;
    if (shift + static_cast<std::size_t>(n) > 64 && word + 1 < 4) v |= s.w[word + 1] << (64 - shift);
    return v & ((std::uint64_t{1} << n) - 1);
}

}  // namespace

scalar scalar_from_bytes(const std::uint8_t in[32]) noexcept {
    scalar s;
    std::memcpy(s.w, in, 32);  // little-endian host
    return s;
}

void scalar_to_bytes(std::uint8_t out[32], const scalar& s) noexcept { std::memcpy(out, s.w, 32); }

bool scalar_is_canonical(const std::uint8_t s[32]) noexcept {
    const scalar v = scalar_from_bytes(s);
    for (int i = 3; i >= 0; --i) {
        if (v.w[i] != order_l[i]) return v.w[i] < order_l[i];
    }
    return false;  // s == L
}

scalar scalar_reduce512(const std::uint8_t in[64]) noexcept {
    std::uint8_t out[32];
    crypto_core_ed25519_scalar_reduce(out, in);
    return scalar_from_bytes(out);
}

scalar scalar_mul128_mod_l(std::uint64_t a_lo, std::uint64_t a_hi, const scalar& b) noexcept {
    std::uint64_t prod[8] = {};
    mul128x256(prod, a_lo, a_hi, b);
    std::uint8_t wide[64];
    std::memcpy(wide, prod, 64);
    return scalar_reduce512(wide);
}

scalar scalar_negate(const scalar& s) noexcept {
    scalar r;
    std::uint64_t borrow = 0;
    for (int i = 0; i < 4; ++i) {
        const u128 d = static_cast<u128>(order_l[i]) - s.w[i] - borrow;
        r.w[i] = static_cast<std::uint64_t>(d);
        borrow = static_cast<std::uint64_t>(d >> 64) & 1;
    }
    if ((s.w[0] | s.w[1] | s.w[2] | s.w[3]) == 0) return s;  // -0 = 0, not L
    return r;
}

void scalar_acc::add_mul128(std::uint64_t a_lo, std::uint64_t a_hi, const scalar& b) noexcept {
    std::uint64_t prod[6];
    mul128x256(prod, a_lo, a_hi, b);
    u128 carry = 0;
    for (int i = 0; i < 8; ++i) {
        carry += static_cast<u128>(w[i]) + (i < 6 ? prod[i] : 0);
        w[i] = static_cast<std::uint64_t>(carry);
        carry >>= 64;
    }
}

scalar scalar_acc::reduce() const noexcept {
    std::uint8_t wide[64];
    std::memcpy(wide, w, 64);
    return scalar_reduce512(wide);
}

std::size_t scalar_wnaf(std::int8_t digits[scalar_wnaf_len], const scalar& s, int w) noexcept {
    std::memset(digits, 0, scalar_wnaf_len);
    const std::int64_t width = std::int64_t{1} << w;
    std::size_t top = 0;
    std::int64_t carry = 0;  // pending +1 from a negative digit below
    std::size_t pos = 0;
    while (pos < scalar_wnaf_len) {
        // Each position holds bit + carry. Even (0 or 2): no digit, the carry
        // stays as it is. Odd: a digit from the next w bits.
        if (carry == 0) {
            const std::uint64_t ahead = bits_at(s, pos, 16);  // skip a run of zeros at once
            if (ahead == 0) {
                pos += 16;
                continue;
            }
            pos += static_cast<std::size_t>(__builtin_ctzll(ahead));
            if (pos >= scalar_wnaf_len) break;
        } else if (bits_at(s, pos, 1) != 0) {
            ++pos;  // 1 + carry = 2
            continue;
        }
        const std::int64_t window = (static_cast<std::int64_t>(bits_at(s, pos, w)) + carry) & (width - 1);
        carry = window >> (w - 1);  // a digit >= 2^(w-1) becomes negative and carries
        digits[pos] = static_cast<std::int8_t>(window - (carry << w));
        top = pos + 1;
        pos += static_cast<std::size_t>(w);
    }
    return top;
}

std::size_t scalar_signed_radix(std::int16_t* digits, const scalar& s, int c) noexcept {
    const std::size_t count = scalar_signed_radix_count(c);
    const std::int64_t width = std::int64_t{1} << c;
    const std::int64_t half = width >> 1;
    std::int64_t carry = 0;
    for (std::size_t i = 0; i < count; ++i) {
        std::int64_t d = static_cast<std::int64_t>(bits_at(s, i * static_cast<std::size_t>(c), c)) + carry;
        carry = (d + half) >> c;  // 1 when d > half (or d == half... see below), else 0
        d -= carry << c;
        digits[i] = static_cast<std::int16_t>(d);
    }
    return count;
}

}  // namespace crypto::detail
