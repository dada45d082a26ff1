// base/byte_reader.h -- bounds-checked reading of untrusted bytes.
//
// Every read checks `remaining() < n` before touching memory and never moves
// past the end; a failed read leaves the position unchanged. Returned spans
// borrow the caller's buffer. Thread safety: a reader is a cursor owned by one
// thread; it does not own the bytes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "base/result.h"

namespace base {

enum class decode_errc : std::uint8_t {
    truncated,  // fewer bytes than the field needs
    too_large,  // a length or count above its written limit
    invalid,    // a value outside the field's domain
};

[[nodiscard]] const char* to_string(decode_errc e) noexcept;

using bytes_view = std::span<const std::byte>;

class byte_reader {
public:
    explicit byte_reader(bytes_view in) noexcept : _in(in) {}

    [[nodiscard]] std::size_t remaining() const noexcept { return _in.size() - _pos; }
    [[nodiscard]] std::size_t position() const noexcept { return _pos; }
    [[nodiscard]] bool empty() const noexcept { return remaining() == 0; }

    [[nodiscard]] result<std::uint8_t, decode_errc> read_u8() noexcept {
        if (remaining() < 1) return fail(decode_errc::truncated);
        return std::to_integer<std::uint8_t>(_in[_pos++]);
    }
    [[nodiscard]] result<std::uint16_t, decode_errc> read_u16le() noexcept { return read_le<std::uint16_t>(); }
    [[nodiscard]] result<std::uint32_t, decode_errc> read_u32le() noexcept { return read_le<std::uint32_t>(); }
    [[nodiscard]] result<std::uint64_t, decode_errc> read_u64le() noexcept { return read_le<std::uint64_t>(); }
    [[nodiscard]] result<std::uint16_t, decode_errc> read_u16be() noexcept {
        auto v = read_le<std::uint16_t>();
        if (!v) return v;
        return static_cast<std::uint16_t>((*v >> 8) | (*v << 8));
    }

    // Borrows n bytes of the input. Fails without moving when fewer remain.
    [[nodiscard]] result<bytes_view, decode_errc> read_bytes(std::size_t n) noexcept {
        if (remaining() < n) return fail(decode_errc::truncated);
        auto out = _in.subspan(_pos, n);
        _pos += n;
        return out;
    }

    // Copies exactly N bytes into an array.
    template <std::size_t N>
    [[nodiscard]] result<std::array<std::uint8_t, N>, decode_errc> read_array() noexcept {
        if (remaining() < N) return fail(decode_errc::truncated);
        std::array<std::uint8_t, N> out;
        std::memcpy(out.data(), _in.data() + _pos, N);
        _pos += N;
        return out;
    }

    // Borrows everything that is left.
    [[nodiscard]] bytes_view read_rest() noexcept {
        auto out = _in.subspan(_pos);
        _pos = _in.size();
        return out;
    }

private:
    template <class T>
    [[nodiscard]] result<T, decode_errc> read_le() noexcept {
        if (remaining() < sizeof(T)) return fail(decode_errc::truncated);
        T v = 0;
        for (std::size_t i = 0; i < sizeof(T); ++i) {
            v |= static_cast<T>(static_cast<T>(std::to_integer<std::uint8_t>(_in[_pos + i])) << (8 * i));
        }
        _pos += sizeof(T);
        return v;
    }

    bytes_view _in;
    std::size_t _pos = 0;
};

}  // namespace base
