// persist/row.h -- the database rows of the saved record store: one row per
// stored entry, a key and a value in the layout of docs/store_format.md
// ("On disk"), with an XXH3 checksum over both.
//
// encode() turns a store::change into the row to write or the key to delete,
// into a caller's fixed-size buffer: no allocation, so a shard can do it on
// the packet path. decode() checks a row read back from disk -- bounded
// reads, the checksum, every field's range -- and returns the entry or why it
// was skipped; it allocates (load time only).
//
// Thread safety: pure functions.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "base/metrics.h"
#include "base/result.h"
#include "store/record_store.h"

namespace persist {

// Written under format_key; a database with another version is moved aside.
inline constexpr std::uint32_t format_version = 1;
inline constexpr std::string_view format_key{"\0format", 7};

// Row key tags (first byte of a key).
enum class tag : std::uint8_t { record = 'r', route = 'o', value = 'v', refresh = 'f' };

inline constexpr std::size_t max_key_bytes = 1 + 32 + 32;
// The longest row value: expiry, kind, seq, offsets, a 2048-byte value, checksum.
inline constexpr std::size_t max_value_bytes = 8 + 1 + 8 + 2 + 2 + 2 + 2048 + 8;
inline constexpr std::size_t max_stored_bytes = 2048;  // longest value (or encoded response) saved

// One database operation: put key -> value, or delete key. Fixed size, so a
// ring of them is allocated once.
struct row {
    bool del = false;
    std::uint8_t key_len = 0;
    std::uint16_t value_len = 0;
    std::array<std::byte, max_key_bytes> key{};
    std::array<std::byte, max_value_bytes> value{};
    [[nodiscard]] std::span<const std::byte> key_bytes() const noexcept { return {key.data(), key_len}; }
    [[nodiscard]] std::span<const std::byte> value_bytes() const noexcept { return {value.data(), value_len}; }
};

// Fills `out` with the row for change `c`, whose entry (for a put) expires
// at `expires_unix_ms`. False when the entry is too large to save
// (a value over max_stored_bytes) or the change is incomplete.
[[nodiscard]] bool encode(const store::change& c, std::int64_t expires_unix_ms, row& out) noexcept;

// A saved entry, decoded.
struct entry {
    store::entry_kind kind = store::entry_kind::record;
    store::key k;                // target; refresh link: its refresh value
    store::peer_record record;   // record, route, refresh link
    base::endpoint relay;        // route
    store::key link_target;      // refresh link
    bool announce_self = false;  // refresh link
    bool is_mutable = false;     // value
    std::uint64_t seq = 0;       // mutable value
    std::vector<std::byte> bytes;  // value
    std::uint16_t value_offset = 0, value_len = 0;  // mutable value
    std::int64_t expires_unix_ms = 0;
};

// The checksum that ends a row's value: XXH3-64 of the value before it
// (`body`), seeded with the XXH3-64 of the key.
[[nodiscard]] std::uint64_t row_checksum(std::span<const std::byte> key, std::span<const std::byte> body) noexcept;

// Why a saved row was skipped at load (counted, and named in the load log line).
enum class skip : std::uint8_t { bad_key, bad_checksum, bad_field, expired, count_ };
[[nodiscard]] const char* to_string(skip s) noexcept;

// Decodes and checks one row. `now_unix_ms`: rows that expired by then are
// skipped as `expired`. REQUIRES: nothing of the input is trusted.
[[nodiscard]] base::result<entry, skip> decode(std::span<const std::byte> key, std::span<const std::byte> value,
                                               std::int64_t now_unix_ms);

}  // namespace persist
