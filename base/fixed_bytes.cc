#include "base/fixed_bytes.h"

#include "base/byte_reader.h"

namespace base {

std::string to_hex(std::span<const std::byte> b) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.resize(b.size() * 2);
    for (std::size_t i = 0; i < b.size(); ++i) {
        auto v = std::to_integer<unsigned>(b[i]);
        out[2 * i] = digits[v >> 4];
        out[2 * i + 1] = digits[v & 15];
    }
    return out;
}

namespace {
int nibble(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
}  // namespace

bool from_hex(std::string_view hex, std::string& out) {
    if (hex.size() % 2) return false;
    out.resize(hex.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i) {
        int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[i] = static_cast<char>(hi << 4 | lo);
    }
    return true;
}

const char* to_string(decode_errc e) noexcept {
    switch (e) {
        case decode_errc::truncated: return "truncated";
        case decode_errc::too_large: return "too_large";
        case decode_errc::invalid: return "invalid";
    }
    return "unknown";
}

}  // namespace base
