// Fuzzes persist::decode, the reader of every row the node loads from disk.
// Input: one byte (bits 0-6: the key length mod 66; bit 7: raw), the key, then
// the value. A raw input is decoded as it is, which mostly exercises the
// checksum's rejections; otherwise the target appends the right checksum to
// the value, so the fuzzer reaches the field checks behind it. Whatever
// decodes must re-encode to exactly the same key and value: the row layout
// is canonical, so a row that decodes to an entry the encoder would write
// differently was accepted in error.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "persist/row.h"
#include "tests/fuzz/fuzz.h"

namespace {

void require(bool c) {
    if (!c) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const bool raw = (data[0] & 0x80) != 0;
    const std::size_t key_len = std::min<std::size_t>((data[0] & 0x7f) % 66, size - 1);
    const std::span<const std::byte> key(reinterpret_cast<const std::byte*>(data) + 1, key_len);
    const std::span<const std::byte> body(reinterpret_cast<const std::byte*>(data) + 1 + key_len, size - 1 - key_len);
    std::vector<std::byte> sealed(body.begin(), body.end());
    if (!raw) {
        const std::uint64_t sum = persist::row_checksum(key, body);
        for (int i = 0; i < 8; ++i) sealed.push_back(static_cast<std::byte>(sum >> (8 * i)));
    }
    const std::span<const std::byte> value(sealed);
    auto e = persist::decode(key, value, 0);
    if (!e) return 0;
    store::change c{.kind = e->kind, .k = &e->k};
    c.pk = &e->record.pk;
    c.record = &e->record;
    c.relay = e->relay;
    c.link_target = &e->link_target;
    c.announce_self = e->announce_self;
    c.is_mutable = e->is_mutable;
    c.seq = e->seq;
    c.bytes = e->bytes;
    c.value_offset = e->value_offset;
    c.value_len = e->value_len;
    persist::row r;
    require(persist::encode(c, e->expires_unix_ms, r));
    require(r.key_len == key.size() && std::memcmp(r.key.data(), key.data(), key.size()) == 0);
    require(r.value_len == value.size() && std::memcmp(r.value.data(), value.data(), value.size()) == 0);
    return 0;
}
