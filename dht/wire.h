// dht/wire.h -- dht-rpc request and response frames (docs/protocol.md §2.2).
//
//   request  = 0x03 flags:uint tid:u16le to:addr4 [id:32] [token:32]
//              command:uint [target:32] [value:buffer]
//   response = 0x13 flags:uint tid:u16le to:addr4 [id:32] [token:32]
//              [closer:array(addr4)] [error:uint] [value:buffer]
//
// Decoding yields views that BORROW the datagram. Fields after the last one a
// frame declares are ignored, as the reference does (trailing bytes). Every
// datagram, in or out, is at most max_datagram bytes. The id field is returned
// raw: whether it matches the sender's address is checked by the caller.
// Thread safety: stateless functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/endpoint.h"
#include "base/result.h"
#include "dht/compact.h"
#include "dht/types.h"

namespace dht {

inline constexpr std::size_t max_datagram = 2048;
inline constexpr std::uint8_t request_byte = 0x03;
inline constexpr std::uint8_t response_byte = 0x13;
// Closer-node lists longer than this are cut when decoding (a reply has at
// most k = 20; a 2048-byte datagram could carry ~330).
inline constexpr std::size_t max_closer_nodes = 32;

namespace flag {
inline constexpr std::uint8_t id = 0x01;
inline constexpr std::uint8_t token = 0x02;
inline constexpr std::uint8_t internal = 0x04;  // request
inline constexpr std::uint8_t closer = 0x04;    // response
inline constexpr std::uint8_t target = 0x08;    // request
inline constexpr std::uint8_t error = 0x08;     // response
inline constexpr std::uint8_t value = 0x10;
}  // namespace flag

enum class wire_errc : std::uint8_t {
    too_short,      // < 2 bytes
    too_long,       // > max_datagram
    bad_type,       // first byte neither 0x03 nor 0x13
    truncated,      // a declared field runs past the end
    bad_field,      // a field outside its domain (e.g. a closer list over its limit)
};
[[nodiscard]] const char* to_string(wire_errc e) noexcept;

struct request_view {
    std::uint8_t flags = 0;
    txn_id tid;
    base::endpoint to;
    std::optional<node_id> id;
    std::optional<token> tok;
    bool internal = false;
    std::uint64_t command = 0;
    std::optional<target> tgt;
    std::optional<base::bytes_view> value;
};

struct response_view {
    std::uint8_t flags = 0;
    txn_id tid;
    base::endpoint to;
    std::optional<node_id> id;
    std::optional<token> tok;
    ce::addr4_array closer;  // empty when absent
    std::uint64_t error = 0;
    std::optional<base::bytes_view> value;
};

// Returns the frame type of a datagram the size checks passed, or an error.
[[nodiscard]] base::result<std::uint8_t, wire_errc> frame_type(base::bytes_view datagram) noexcept;
[[nodiscard]] base::result<request_view, wire_errc> decode_request(base::bytes_view datagram) noexcept;
void decode_request(std::vector<std::byte>&&) = delete;  // the result views its input
[[nodiscard]] base::result<response_view, wire_errc> decode_response(base::bytes_view datagram) noexcept;
void decode_response(std::vector<std::byte>&&) = delete;  // the result views its input

// A decoded request as offsets into its datagram: what a shard hands the shard
// that owns the request, with a copy of the datagram, so that the owner rebuilds
// the view (request_view_at) without decoding it again. Trivially copyable; an
// offset of 0 marks an absent field (offset 0 is the frame type, never a field).
struct request_layout {
    base::endpoint to;
    std::uint64_t command = 0;
    txn_id tid;
    std::uint8_t flags = 0;
    std::uint16_t id = 0, tok = 0, tgt = 0, value = 0, value_len = 0;
};
// REQUIRES: v was decoded from `datagram` by decode_request.
[[nodiscard]] request_layout layout_of(const request_view& v, base::bytes_view datagram) noexcept;
// The view layout_of described, over `datagram` (the bytes layout_of was
// given, or a copy). Nullopt when a field the layout names lies outside
// `datagram`: a layout is checked like any other input.
[[nodiscard]] std::optional<request_view> request_view_at(const request_layout& l, base::bytes_view datagram) noexcept;

// What to encode. Pointers and views are borrowed for the call only.
struct request_out {
    txn_id tid;
    base::endpoint to;
    const node_id* id = nullptr;
    const token* tok = nullptr;
    bool internal = false;
    std::uint64_t command = 0;
    const target* tgt = nullptr;
    std::optional<base::bytes_view> value;
};

// A reply value written in place, as the last field of the frame, once the
// rest of the reply has been computed: a writer that prefetched what it copies
// has its cache misses overlap that work, and the value is copied only once.
struct value_writer {
    // Writes at most max bytes into out (out.size() == max); returns how many.
    // Returning 0 when max > 0 means it failed: the frame is not sent.
    std::size_t (*write)(const void* ctx, std::span<std::byte> out) noexcept = nullptr;
    const void* ctx = nullptr;
    std::size_t max = 0;  // <= 0xffff
};

struct response_out {
    txn_id tid;
    base::endpoint to;
    const node_id* id = nullptr;
    const token* tok = nullptr;
    std::span<const base::endpoint> closer;
    std::uint64_t error = 0;
    std::optional<base::bytes_view> value;
    const value_writer* writer = nullptr;  // the value, when set (value is then ignored)
};

// Encode into `out`; return the length, or 0 when the frame would not fit in
// out (or exceed max_datagram).
[[nodiscard]] std::size_t encode_request(std::span<std::byte> out, const request_out& r) noexcept;
[[nodiscard]] std::size_t encode_response(std::span<std::byte> out, const response_out& r) noexcept;

}  // namespace dht
