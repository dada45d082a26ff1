// base/fixed_bytes.h -- strong fixed-size byte strings (ids, keys, signatures).
//
// `fixed_bytes<N, Tag>` is a value type: copy, compare (==, <=> as unsigned
// big-endian numbers), hash and hex. It deliberately has no arithmetic, no
// implicit conversion between tags and no implicit construction from spans
// (libtorrent kademlia/types.hpp; Abseil crc32c_t lists what it leaves out).
// Thread safety: plain values.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace base {

template <std::size_t N, class Tag>
class fixed_bytes {
public:
    static constexpr std::size_t size_bytes = N;

    constexpr fixed_bytes() noexcept : _b{} {}
    explicit constexpr fixed_bytes(const std::array<std::uint8_t, N>& b) noexcept : _b(b) {}
    // REQUIRES: s.size() == N (checked by the caller; copies min(N, size)).
    [[nodiscard]] static fixed_bytes from_span(std::span<const std::byte> s) noexcept {
        fixed_bytes out;
        std::memcpy(out._b.data(), s.data(), s.size() < N ? s.size() : N);
        return out;
    }

    [[nodiscard]] constexpr const std::array<std::uint8_t, N>& array() const noexcept { return _b; }
    [[nodiscard]] std::uint8_t* data() noexcept { return _b.data(); }
    [[nodiscard]] const std::uint8_t* data() const noexcept { return _b.data(); }
    [[nodiscard]] constexpr std::size_t size() const noexcept { return N; }
    [[nodiscard]] constexpr std::uint8_t operator[](std::size_t i) const noexcept { return _b[i]; }
    [[nodiscard]] std::span<const std::byte, N> bytes() const noexcept {
        return std::span<const std::byte, N>(reinterpret_cast<const std::byte*>(_b.data()), N);
    }
    [[nodiscard]] bool is_zero() const noexcept {
        for (auto c : _b)
            if (c) return false;
        return true;
    }

    friend constexpr bool operator==(const fixed_bytes&, const fixed_bytes&) noexcept = default;
    friend constexpr std::strong_ordering operator<=>(const fixed_bytes& a, const fixed_bytes& b) noexcept {
        return a._b <=> b._b;
    }

private:
    std::array<std::uint8_t, N> _b;
};

// Lower-case hex of any byte span.
[[nodiscard]] std::string to_hex(std::span<const std::byte> b);
template <std::size_t N, class Tag>
[[nodiscard]] std::string to_hex(const fixed_bytes<N, Tag>& v) {
    return to_hex(std::span<const std::byte>(v.bytes()));
}
// Parses hex (either case). Returns false on odd length or a non-hex digit.
[[nodiscard]] bool from_hex(std::string_view hex, std::string& out_bytes);
template <std::size_t N, class Tag>
[[nodiscard]] bool from_hex(std::string_view hex, fixed_bytes<N, Tag>& out) {
    std::string raw;
    if (!from_hex(hex, raw) || raw.size() != N) return false;
    std::memcpy(out.data(), raw.data(), N);
    return true;
}

[[nodiscard]] inline std::span<const std::byte> as_bytes(std::string_view s) noexcept {
    return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

}  // namespace base
