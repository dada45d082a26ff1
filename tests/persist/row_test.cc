// persist/row.h: every kind of change encodes to a row that decodes to the
// same entry, and a row read back damaged (any byte changed, any length cut)
// is skipped with a reason, never taken for another entry.
#include "persist/row.h"

#include <gtest/gtest.h>

#include "crypto/hash.h"

namespace {

using persist::decode;
using persist::encode;
using persist::row;
using persist::skip;

constexpr std::int64_t now_ms = 1'700'000'000'000;
constexpr std::int64_t later_ms = now_ms + 60'000;

store::key key_of(std::uint8_t b) {
    std::array<std::uint8_t, 32> a{};
    a.fill(b);
    return store::key(a);
}

store::peer_record peer(std::uint8_t b, std::uint8_t relays) {
    store::peer_record r;
    std::array<std::uint8_t, 32> a{};
    a.fill(b);
    r.pk = crypto::public_key(a);
    r.relay_count = relays;
    for (std::uint8_t i = 0; i < relays; ++i) r.relays[i] = base::endpoint::v4(10, 0, 0, i, static_cast<std::uint16_t>(1000 + i));
    return r;
}

std::vector<std::byte> bytes_of(std::string_view s) {
    std::vector<std::byte> v(s.size());
    std::memcpy(v.data(), s.data(), s.size());
    return v;
}

row encoded(const store::change& c, std::int64_t expires = later_ms) {
    row r;
    EXPECT_TRUE(encode(c, expires, r));
    return r;
}

TEST(PersistRow, RecordRoundTrips) {
    const auto k = key_of(1);
    const auto p = peer(2, 3);
    const row r = encoded({.kind = store::entry_kind::record, .k = &k, .pk = &p.pk, .record = &p});
    EXPECT_FALSE(r.del);
    EXPECT_EQ(r.key_len, 65);
    auto e = decode(r.key_bytes(), r.value_bytes(), now_ms);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->kind, store::entry_kind::record);
    EXPECT_EQ(e->k, k);
    EXPECT_EQ(e->record.pk, p.pk);
    ASSERT_EQ(e->record.relay_count, 3);
    EXPECT_EQ(e->record.relays[2], p.relays[2]);
    EXPECT_EQ(e->expires_unix_ms, later_ms);
}

TEST(PersistRow, RouteAndRefreshRoundTrip) {
    const auto k = key_of(3), target = key_of(4);
    const auto p = peer(5, 1);
    const auto relay = base::endpoint::v4(192, 0, 2, 1, 49737);
    const row r = encoded({.kind = store::entry_kind::route, .k = &k, .record = &p, .relay = relay});
    auto e = decode(r.key_bytes(), r.value_bytes(), now_ms);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->kind, store::entry_kind::route);
    EXPECT_EQ(e->relay, relay);
    EXPECT_EQ(e->record.pk, p.pk);

    const row f = encoded({.kind = store::entry_kind::refresh, .k = &k, .record = &p, .link_target = &target,
                           .announce_self = true});
    auto g = decode(f.key_bytes(), f.value_bytes(), now_ms);
    ASSERT_TRUE(g);
    EXPECT_EQ(g->kind, store::entry_kind::refresh);
    EXPECT_EQ(g->link_target, target);
    EXPECT_TRUE(g->announce_self);
    EXPECT_EQ(g->record.relays[0], p.relays[0]);
}

TEST(PersistRow, ValuesRoundTrip) {
    const auto value = bytes_of("an immutable value");
    const auto h = store::key(crypto::blake2b_256(value).array());
    const row i = encoded({.kind = store::entry_kind::value, .k = &h, .bytes = value});
    auto e = decode(i.key_bytes(), i.value_bytes(), now_ms);
    ASSERT_TRUE(e);
    EXPECT_FALSE(e->is_mutable);
    EXPECT_EQ(e->bytes, value);

    const auto k = key_of(6);
    const auto enc = bytes_of("..response bytes..");
    const row m = encoded({.kind = store::entry_kind::value, .k = &k, .is_mutable = true, .seq = 42, .bytes = enc,
                           .value_offset = 2, .value_len = 8});
    auto f = decode(m.key_bytes(), m.value_bytes(), now_ms);
    ASSERT_TRUE(f);
    EXPECT_TRUE(f->is_mutable);
    EXPECT_EQ(f->seq, 42u);
    EXPECT_EQ(f->value_offset, 2);
    EXPECT_EQ(f->value_len, 8);
    EXPECT_EQ(f->bytes, enc);
}

TEST(PersistRow, RemovalIsAKeyOnly) {
    const auto k = key_of(7);
    const auto p = peer(8, 0);
    const row r = encoded({.kind = store::entry_kind::record, .removed = true, .k = &k, .pk = &p.pk});
    EXPECT_TRUE(r.del);
    EXPECT_EQ(r.key_len, 65);
    EXPECT_EQ(r.value_len, 0);
    const row v = encoded({.kind = store::entry_kind::value, .removed = true, .k = &k});
    EXPECT_EQ(v.key_len, 33);
}

TEST(PersistRow, ValueTooLargeIsRefused) {
    const auto k = key_of(9);
    std::vector<std::byte> big(persist::max_stored_bytes + 1);
    row r;
    EXPECT_FALSE(encode({.kind = store::entry_kind::value, .k = &k, .is_mutable = true, .bytes = big}, later_ms, r));
    big.pop_back();
    EXPECT_TRUE(encode({.kind = store::entry_kind::value, .k = &k, .is_mutable = true, .bytes = big}, later_ms, r));
}

TEST(PersistRow, ExpiredRowIsSkipped) {
    const auto k = key_of(1);
    const auto p = peer(2, 0);
    const row r = encoded({.kind = store::entry_kind::record, .k = &k, .pk = &p.pk, .record = &p}, now_ms - 1);
    auto e = decode(r.key_bytes(), r.value_bytes(), now_ms);
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error(), skip::expired);
}

// Every single-byte change of a row's key or value is caught: the checksum
// covers both, so no damaged row is taken for an entry.
TEST(PersistRow, AnyChangedByteIsSkipped) {
    const auto k = key_of(1);
    const auto enc = bytes_of("mutable response");
    const row m = encoded({.kind = store::entry_kind::value, .k = &k, .is_mutable = true, .seq = 1, .bytes = enc,
                           .value_offset = 0, .value_len = 7});
    for (std::size_t i = 0; i < m.key_len + m.value_len; ++i) {
        row bad = m;
        std::byte& b = i < m.key_len ? bad.key[i] : bad.value[i - m.key_len];
        b ^= std::byte{0x20};
        auto e = decode(bad.key_bytes(), bad.value_bytes(), now_ms);
        EXPECT_FALSE(e) << "byte " << i;
    }
}

TEST(PersistRow, EveryTruncationIsSkipped) {
    const auto k = key_of(1);
    const auto p = peer(2, 3);
    const row r = encoded({.kind = store::entry_kind::record, .k = &k, .pk = &p.pk, .record = &p});
    for (std::size_t n = 0; n < r.value_len; ++n) {
        auto e = decode(r.key_bytes(), r.value_bytes().first(n), now_ms);
        EXPECT_FALSE(e) << n;
    }
    for (std::size_t n = 0; n < r.key_len; ++n) {
        auto e = decode(r.key_bytes().first(n), r.value_bytes(), now_ms);
        ASSERT_FALSE(e) << n;
        EXPECT_EQ(e.error(), skip::bad_key);
    }
}

// A well-checksummed immutable row whose bytes are not the preimage of its
// key is refused: a value is only ever served under its own hash.
TEST(PersistRow, ImmutableUnderAnotherHashIsSkipped) {
    const auto value = bytes_of("the value");
    const auto wrong = key_of(0x55);
    const row r = encoded({.kind = store::entry_kind::value, .k = &wrong, .bytes = value});
    auto e = decode(r.key_bytes(), r.value_bytes(), now_ms);
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error(), skip::bad_field);
}

}  // namespace
