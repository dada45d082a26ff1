#include "dht/wire.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>

#include "dht/compact.h"
#include "dht/ids.h"
#include "dht/tokens.h"
#include "tests/dht/vectors.h"

namespace {

// Re-encodes a decoded frame from its view, exactly as our encoder would.
std::vector<std::byte> reencode(std::span<const std::byte> frame) {
    std::array<std::byte, dht::max_datagram> buf;
    std::size_t n = 0;
    if (std::to_integer<int>(frame[0]) == dht::request_byte) {
        auto v = dht::decode_request(frame);
        EXPECT_TRUE(v) << dht::to_string(v.error());
        if (!v) return {};
        dht::request_out q;
        q.tid = v->tid;
        q.to = v->to;
        q.id = v->id ? &*v->id : nullptr;
        q.tok = v->tok ? &*v->tok : nullptr;
        q.internal = v->internal;
        q.command = v->command;
        q.tgt = v->tgt ? &*v->tgt : nullptr;
        q.value = v->value;
        n = dht::encode_request(buf, q);
    } else {
        auto v = dht::decode_response(frame);
        EXPECT_TRUE(v) << dht::to_string(v.error());
        if (!v) return {};
        std::vector<base::endpoint> closer;
        for (std::size_t i = 0; i < v->closer.size(); ++i) closer.push_back(v->closer[i]);
        dht::response_out r;
        r.tid = v->tid;
        r.to = v->to;
        r.id = v->id ? &*v->id : nullptr;
        r.tok = v->tok ? &*v->tok : nullptr;
        r.closer = closer;
        r.error = v->error;
        r.value = v->value;
        n = dht::encode_response(buf, r);
    }
    return {buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)};
}

TEST(Wire, EveryReferenceFrameRoundTripsByteForByte) {
    int frames = 0;
    for (const char* file : {"vectors-2.json", "vectors-4.json"}) {
        auto v = test::load_vectors(file);
        for (auto& [name, entry] : v.items()) {
            if (!entry.is_object() || !entry.contains("hex")) continue;
            auto bytes = test::unhex(entry["hex"]);
            ASSERT_FALSE(bytes.empty()) << name;
            EXPECT_EQ(test::hex(reencode(bytes)), entry["hex"].get<std::string>()) << file << " " << name;
            ++frames;
        }
    }
    EXPECT_GE(frames, 16);
}

TEST(Wire, DecodesTheAnnotatedFindNodeResponse) {
    auto v = test::load_vectors("vectors-2.json");
    auto bytes = test::unhex(v["find_node_response_persistent_token_closer"]["hex"]);
    auto r = dht::decode_response(bytes);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->tid.value(), 0x1235);
    EXPECT_EQ(r->to.to_string(), "10.0.0.9:5555");
    ASSERT_TRUE(r->id);
    EXPECT_EQ(*r->id, dht::id_of(*base::endpoint::parse("127.0.0.1:49737")));
    ASSERT_TRUE(r->tok);
    EXPECT_EQ(base::to_hex(*r->tok), v["token_for_10_0_0_9"].get<std::string>());
    ASSERT_EQ(r->closer.size(), 2u);
    EXPECT_EQ(r->closer[0].to_string(), "10.0.0.2:49737");
    EXPECT_EQ(r->closer[1].to_string(), "10.0.0.3:1234");
    EXPECT_EQ(r->error, 0u);
}

TEST(Wire, InternalFlagSeparatesPingFromPeerHandshake) {
    auto v2 = test::load_vectors("vectors-2.json");
    const auto ping_bytes = test::unhex(v2["ping_request_ephemeral"]["hex"]);
    auto ping = dht::decode_request(ping_bytes);
    ASSERT_TRUE(ping);
    EXPECT_TRUE(ping->internal);
    EXPECT_EQ(ping->command, 0u);
    auto v4 = test::load_vectors("vectors-4.json");
    const auto hs_bytes = test::unhex(v4["1_client_to_relay_PEER_HANDSHAKE_FROM_CLIENT"]["hex"]);
    auto hs = dht::decode_request(hs_bytes);
    ASSERT_TRUE(hs);
    EXPECT_FALSE(hs->internal);
    EXPECT_EQ(hs->command, 0u);
}

TEST(Wire, RejectsMalformedFramesWithTheRightReason) {
    auto v = test::load_vectors("vectors-2.json");
    auto good = test::unhex(v["user_request_persistent_with_id_token_target_value"]["hex"]);
    EXPECT_EQ(dht::frame_type(std::span(good).first(1)).error(), dht::wire_errc::too_short);
    std::vector<std::byte> big(2049, std::byte{0x03});
    EXPECT_EQ(dht::decode_request(big).error(), dht::wire_errc::too_long);
    auto bad = good;
    bad[0] = std::byte{0x23};
    EXPECT_EQ(dht::decode_request(bad).error(), dht::wire_errc::bad_type);
    // Every strict prefix of a valid frame is truncated (or too short), never accepted.
    for (std::size_t n = 0; n < good.size(); ++n) {
        auto r = dht::decode_request(std::span(good).first(n));
        EXPECT_FALSE(r) << "prefix of " << n << " bytes decoded";
    }
    // A value length that claims more than the datagram holds.
    auto ping_nat = test::unhex(v["ping_nat_request"]["hex"]);
    ping_nat[ping_nat.size() - 3] = std::byte{0xfd};  // length becomes a 3-byte varint
    EXPECT_FALSE(dht::decode_request(ping_nat));
}

TEST(Wire, TrailingBytesAreIgnoredLikeTheReference) {
    auto v = test::load_vectors("vectors-2.json");
    auto ping = test::unhex(v["ping_request_ephemeral"]["hex"]);
    ping.push_back(std::byte{0xaa});
    EXPECT_TRUE(dht::decode_request(ping));
}

TEST(Wire, EncoderRefusesFramesOverTheDatagramLimit) {
    std::array<std::byte, 4096> buf;
    std::vector<std::byte> value(2100);
    dht::request_out q;
    q.to = base::endpoint::v4(1, 2, 3, 4, 5);
    q.value = value;
    EXPECT_EQ(dht::encode_request(buf, q), 0u);
}

// A value written in place by a value_writer encodes exactly as the same
// bytes passed as a value: short values (one-byte length) and long ones
// (three-byte length). A writer that wants more room than a datagram has,
// or writes nothing, makes the encoder refuse the frame.
TEST(Wire, AValueWriterEncodesLikeAValue) {
    struct src {
        std::vector<std::byte> bytes;
        static std::size_t write(const void* ctx, std::span<std::byte> out) noexcept {
            const auto& b = static_cast<const src*>(ctx)->bytes;
            const std::size_t n = std::min(b.size(), out.size());
            std::copy_n(b.begin(), n, out.begin());
            return n;
        }
    };
    const dht::token tok;
    const std::vector<base::endpoint> closer = {base::endpoint::v4(9, 9, 9, 9, 9)};
    for (std::size_t len : {1u, 0xfcu, 0xfdu, 0xfeu, 1200u}) {
        src s;
        for (std::size_t i = 0; i < len; ++i) s.bytes.push_back(std::byte(i * 7));
        dht::response_out r;
        r.tid = dht::txn_id(77);
        r.to = base::endpoint::v4(1, 2, 3, 4, 5);
        r.tok = &tok;
        r.closer = closer;
        std::array<std::byte, dht::max_datagram> a, b;
        r.value = s.bytes;
        const std::size_t na = dht::encode_response(a, r);
        r.value.reset();
        const dht::value_writer w{src::write, &s, 1300};
        r.writer = &w;
        const std::size_t nb = dht::encode_response(b, r);
        ASSERT_GT(na, 0u);
        ASSERT_EQ(nb, na) << "value of " << len << " bytes";
        EXPECT_TRUE(std::equal(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(na), b.begin())) << len;
        auto back = dht::decode_response(std::span(b).first(nb));
        ASSERT_TRUE(back);
        ASSERT_TRUE(back->value);
        EXPECT_EQ(back->value->size(), len);
    }
    src big, none;
    const dht::value_writer too_much{src::write, &big, dht::max_datagram};
    dht::response_out r;
    r.to = base::endpoint::v4(1, 2, 3, 4, 5);
    r.writer = &too_much;
    std::array<std::byte, dht::max_datagram> buf;
    EXPECT_EQ(dht::encode_response(buf, r), 0u);
    // A writer that writes nothing where it planned some: no frame, rather
    // than an empty value the peer would fail to decode.
    const dht::value_writer failed{src::write, &none, 100};
    r.writer = &failed;
    EXPECT_EQ(dht::encode_response(buf, r), 0u);
}

// A shard hands another a request as its bytes and decoded layout; the view
// rebuilt from a copy of the bytes equals a fresh decode of that copy.
TEST(Wire, ARequestLayoutRebuildsTheViewFromACopy) {
    auto same = [](const dht::request_view& a, const dht::request_view& b) {
        EXPECT_EQ(a.flags, b.flags);
        EXPECT_EQ(a.tid.value(), b.tid.value());
        EXPECT_EQ(a.to, b.to);
        EXPECT_EQ(a.id, b.id);
        EXPECT_EQ(a.tok, b.tok);
        EXPECT_EQ(a.internal, b.internal);
        EXPECT_EQ(a.command, b.command);
        EXPECT_EQ(a.tgt, b.tgt);
        ASSERT_EQ(a.value.has_value(), b.value.has_value());
        if (a.value) {
            EXPECT_TRUE(std::equal(a.value->begin(), a.value->end(), b.value->begin(), b.value->end()));
        }
    };
    std::array<std::uint8_t, 32> raw_id{}, raw_tok{}, raw_tgt{};
    for (std::size_t i = 0; i < 32; ++i) {
        raw_id[i] = static_cast<std::uint8_t>(i);
        raw_tok[i] = static_cast<std::uint8_t>(100 + i);
        raw_tgt[i] = static_cast<std::uint8_t>(200 + i);
    }
    const dht::node_id id(raw_id);
    const dht::token tok(raw_tok);
    const dht::target tgt(raw_tgt);
    const std::vector<std::byte> value(300, std::byte{7});
    for (int mask = 0; mask < 16; ++mask) {
        for (std::uint64_t command : {std::uint64_t{3}, std::uint64_t{0x1234}}) {
            dht::request_out q;
            q.tid = dht::txn_id(0x4242);
            q.to = base::endpoint::v4(1, 2, 3, 4, 5);
            q.id = (mask & 1) ? &id : nullptr;
            q.tok = (mask & 2) ? &tok : nullptr;
            q.tgt = (mask & 4) ? &tgt : nullptr;
            if (mask & 8) q.value = value;
            q.command = command;
            std::array<std::byte, dht::max_datagram> buf;
            std::vector<std::byte> bytes(buf.begin(), buf.begin() + dht::encode_request(buf, q));
            for (bool long_flags : {false, true}) {
                if (long_flags) {  // the flags as a non-minimal uint, which the decoder accepts
                    const std::byte f = bytes[1];
                    bytes.erase(bytes.begin() + 1);
                    bytes.insert(bytes.begin() + 1, {std::byte{0xfd}, f, std::byte{0}});
                }
                auto v = dht::decode_request(bytes);
                ASSERT_TRUE(v);
                const dht::request_layout l = dht::layout_of(*v, bytes);
                const std::vector<std::byte> copy = bytes;
                auto fresh = dht::decode_request(copy);
                ASSERT_TRUE(fresh);
                ASSERT_TRUE(dht::request_view_at(l, copy));
                same(*dht::request_view_at(l, copy), *fresh);
                // A layout is input too: a field it names past the end of
                // the bytes (here the last one, one byte short) is refused.
                if (l.tgt || (l.flags & dht::flag::value)) {
                    EXPECT_FALSE(dht::request_view_at(l, std::span(copy).first(copy.size() - 1)));
                }
            }
        }
    }
}

TEST(Compact, UintVectorsRoundTrip) {
    auto v = test::load_vectors("vectors-1.json");
    for (auto& [num, hex] : v["uint"].items()) {
        const std::uint64_t n = std::stoull(num);
        std::array<std::byte, 9> buf;
        base::byte_writer w(buf);
        dht::ce::write_uint(w, n);
        ASSERT_TRUE(w.ok());
        EXPECT_EQ(test::hex(w.written()), hex.get<std::string>()) << num;
        EXPECT_EQ(dht::ce::uint_size(n), w.size());
        auto bytes = test::unhex(hex);
        base::byte_reader r(bytes);
        EXPECT_EQ(*dht::ce::read_uint(r), n);
    }
}

TEST(Compact, NonMinimalUintIsAcceptedLikeTheReference) {
    auto bytes = test::unhex("fd0500");
    base::byte_reader r(bytes);
    EXPECT_EQ(*dht::ce::read_uint(r), 5u);
}

TEST(Ids, MatchReferenceVectors) {
    auto v = test::load_vectors("vectors-1.json");
    for (auto& [addr, entry] : v["ids"].items()) {
        auto e = base::endpoint::parse(addr);
        ASSERT_TRUE(e) << addr;
        EXPECT_EQ(base::to_hex(dht::id_of(*e)), entry["id"].get<std::string>()) << addr;
    }
}

TEST(Ids, CacheValidatesOnlyTheMatchingId) {
    dht::id_cache cache(64);
    auto e = *base::endpoint::parse("127.0.0.1:49737");
    auto id = dht::id_of(e);
    EXPECT_TRUE(cache.validate(id, e));
    EXPECT_FALSE(cache.validate(id, e.with_port(49738)));
    EXPECT_EQ(cache.get(e), id);
}

TEST(Tokens, MatchReferenceVectorsForAGivenSecret) {
    auto v = test::load_vectors("vectors-1.json");
    std::array<std::uint8_t, 32> secret;
    secret.fill(7);
    auto t = dht::token_keeper::with_secret(secret, *base::endpoint::parse("127.0.0.1:1"));
    EXPECT_EQ(base::to_hex(t), v["token"]["token"].get<std::string>());
    auto v2 = test::load_vectors("vectors-2.json");
    secret.fill(2);
    EXPECT_EQ(base::to_hex(dht::token_keeper::with_secret(secret, *base::endpoint::parse("10.0.0.9:5555"))),
              v2["token_for_10_0_0_9"].get<std::string>());
}

TEST(Tokens, ValidForOneToTwoRotationsAndBoundToTheHost) {
    std::array<std::uint8_t, 32> master;
    master.fill(9);
    dht::token_keeper keeper(master);
    const auto peer = *base::endpoint::parse("10.1.2.3:4000");
    const auto t0 = base::from_ns(1'000 * dht::token_rotation.count());  // start of an epoch
    auto tok = keeper.issue(peer, t0);
    EXPECT_TRUE(keeper.valid(tok, peer, t0));
    EXPECT_TRUE(keeper.valid(tok, peer.with_port(1), t0)) << "tokens are per host, not per port";
    EXPECT_FALSE(keeper.valid(tok, *base::endpoint::parse("10.1.2.4:4000"), t0));
    EXPECT_TRUE(keeper.valid(tok, peer, t0 + dht::token_rotation + base::milliseconds(7400)));
    EXPECT_FALSE(keeper.valid(tok, peer, t0 + 2 * dht::token_rotation));
    // Another shard with the same master accepts it.
    dht::token_keeper other(master);
    EXPECT_TRUE(other.valid(tok, peer, t0 + base::seconds(1)));
}

}  // namespace
