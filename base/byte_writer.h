// base/byte_writer.h -- bounded writing into a caller-owned buffer.
//
// A write that does not fit sets the overflow flag and writes nothing; all
// later writes are ignored, so an encoder can write a whole message and check
// `ok()` once at the end. Never advances by more than it checked.
// Thread safety: a cursor owned by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace base {

class byte_writer {
public:
    explicit byte_writer(std::span<std::byte> out) noexcept : _out(out) {}

    [[nodiscard]] bool ok() const noexcept { return !_overflow; }
    [[nodiscard]] std::size_t size() const noexcept { return _pos; }
    [[nodiscard]] std::size_t remaining() const noexcept { return _out.size() - _pos; }
    // The bytes written so far; borrows the buffer.
    [[nodiscard]] std::span<const std::byte> written() const noexcept { return {_out.data(), _pos}; }

    void write_u8(std::uint8_t v) noexcept {
        if (!reserve(1)) return;
        _out[_pos++] = std::byte{v};
    }
    void write_u16le(std::uint16_t v) noexcept { write_le(v); }
    void write_u32le(std::uint32_t v) noexcept { write_le(v); }
    void write_u64le(std::uint64_t v) noexcept { write_le(v); }

    void write_bytes(std::span<const std::byte> b) noexcept {
        if (!reserve(b.size())) return;
        if (!b.empty()) std::memcpy(_out.data() + _pos, b.data(), b.size());
        _pos += b.size();
    }
    void write_bytes(const void* p, std::size_t n) noexcept {
        write_bytes(std::span<const std::byte>(static_cast<const std::byte*>(p), n));
    }

    // Reserves n bytes to be filled later (e.g. a length written after the body).
    // Returns an empty span and sets overflow when they do not fit.
    [[nodiscard]] std::span<std::byte> skip(std::size_t n) noexcept {
        if (!reserve(n)) return {};
        auto s = _out.subspan(_pos, n);
        _pos += n;
        return s;
    }

    // Forgets everything written after the first n bytes (n <= size()).
    void truncate(std::size_t n) noexcept {
        if (n < _pos) _pos = n;
    }

private:
    bool reserve(std::size_t n) noexcept {
        if (_overflow || remaining() < n) {
            _overflow = true;
            return false;
        }
        return true;
    }
    template <class T>
    void write_le(T v) noexcept {
        if (!reserve(sizeof(T))) return;
        for (std::size_t i = 0; i < sizeof(T); ++i) _out[_pos + i] = std::byte(static_cast<std::uint8_t>(v >> (8 * i)));
        _pos += sizeof(T);
    }

    std::span<std::byte> _out;
    std::size_t _pos = 0;
    bool _overflow = false;
};

}  // namespace base
