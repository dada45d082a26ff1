#include "hyperdht/hyper_messages.h"

#include <gtest/gtest.h>

#include "crypto/sign.h"
#include "tests/dht/vectors.h"

namespace {

using namespace dht;
using test::hex;
using test::unhex;

template <class Fixed>
Fixed fixed(const std::string& h) {
    Fixed f;
    EXPECT_TRUE(base::from_hex(h, f)) << h;
    return f;
}

crypto::keypair seed_keys() {
    std::array<std::uint8_t, 32> s;
    s.fill(1);
    return crypto::keypair_from_seed(crypto::seed(s));
}

TEST(HyperMessages, AnnounceSignableSignatureAndEncodingMatchTheReference) {
    ASSERT_TRUE(crypto::init());
    auto v = test::load_vectors("vectors-1.json")["announce"];
    auto kp = seed_keys();
    const auto tgt = fixed<target>(v["target"]);
    const auto id = fixed<node_id>(v["nodeId"]);
    const auto tok = fixed<token>(v["token"]);
    const std::vector<base::endpoint> relays = {*base::endpoint::parse("1.2.3.4:5678")};
    auto peer = hyper::encode_peer(kp.pk, relays);
    EXPECT_EQ(hex(peer), v["peerEncoding"].get<std::string>());
    auto signable = hyper::announce_signable(hyper::ns().announce, tgt, id, tok, peer, std::nullopt);
    EXPECT_EQ(hex(signable), v["signable"].get<std::string>());
    auto sig = crypto::sign(signable, kp.sk);
    EXPECT_EQ(base::to_hex(sig), v["signature"].get<std::string>());
    EXPECT_EQ(hex(hyper::encode_announce(kp.pk, relays, std::nullopt, sig, 0)), v["encoded"].get<std::string>());
    auto with_bump = unhex(v["encodedWithBump"]);
    auto dec = hyper::decode_announce(with_bump);
    ASSERT_TRUE(dec);
    ASSERT_TRUE(dec->peer && dec->sig);
    EXPECT_EQ(dec->peer->pk, kp.pk);
    EXPECT_EQ(hex(dec->peer->raw), v["peerEncoding"].get<std::string>());
    EXPECT_EQ(*dec->sig, sig);
    EXPECT_GT(dec->bump, 1'600'000'000'000u);
    EXPECT_EQ(hex(hyper::encode_announce(kp.pk, relays, std::nullopt, sig, dec->bump)), v["encodedWithBump"].get<std::string>());
}

TEST(HyperMessages, UnannounceSignatureMatchesTheReference) {
    auto v = test::load_vectors("vectors-1.json");
    auto kp = seed_keys();
    auto a = v["announce"];
    auto peer = hyper::encode_peer(kp.pk, {});
    auto signable = hyper::announce_signable(hyper::ns().unannounce, fixed<target>(a["target"]), fixed<node_id>(a["nodeId"]),
                                             fixed<token>(a["token"]), peer, std::nullopt);
    auto sig = crypto::sign(signable, kp.sk);
    EXPECT_EQ(base::to_hex(sig), v["unannounce"]["signature"].get<std::string>());
    EXPECT_EQ(hex(hyper::encode_announce(kp.pk, {}, std::nullopt, sig, 0)), v["unannounce"]["encoded"].get<std::string>());
}

TEST(HyperMessages, LookupRawReplyRoundTrips) {
    auto v = test::load_vectors("vectors-1.json");
    auto bytes = unhex(v["lookupRawReply"]);
    auto r = hyper::decode_lookup_reply(bytes);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->peers.size(), 2u);
    EXPECT_EQ(r->peers[0].relays.size(), 1u);
    EXPECT_EQ(r->peers[0].relays[0].to_string(), "1.2.3.4:5678");
    EXPECT_EQ(r->bump, 0u);
    std::vector<base::bytes_view> raws;
    for (auto& p : r->peers) raws.push_back(p.raw);
    EXPECT_EQ(hex(hyper::encode_lookup_reply(raws, 0)), v["lookupRawReply"].get<std::string>());
    // A missing trailing bump reads as 0, like the reference.
    bytes.pop_back();
    ASSERT_TRUE(hyper::decode_lookup_reply(bytes));
    // A count larger than the bytes can hold is refused before allocating.
    std::vector<std::byte> lie = {std::byte{0xfe}, std::byte{0xff}, std::byte{0xff}, std::byte{0xff}, std::byte{0x7f}};
    EXPECT_FALSE(hyper::decode_lookup_reply(lie));
}

TEST(HyperMessages, MutableSignableSignatureAndEncodingsMatchTheReference) {
    auto v = test::load_vectors("vectors-1.json")["mutable"];
    auto kp = seed_keys();
    auto value = unhex(v["value"]);
    auto signable = hyper::mutable_signable(v["seq"].get<std::uint64_t>(), value);
    auto sig = crypto::sign(signable, kp.sk);
    EXPECT_EQ(base::to_hex(sig), v["signature"].get<std::string>());
    EXPECT_EQ(hex(hyper::encode_mutable_put(kp.pk, 5, value, sig)), v["putRequest"].get<std::string>());
    EXPECT_EQ(hex(hyper::encode_mutable_get_response(5, value, sig)), v["getResponse"].get<std::string>());
    // The decoded message views the bytes it came from: keep them alive.
    const auto put_bytes = unhex(v["putRequest"]);
    auto put = hyper::decode_mutable_put(put_bytes);
    ASSERT_TRUE(put);
    EXPECT_EQ(put->seq, 5u);
    EXPECT_EQ(put->pk, kp.pk);
    EXPECT_TRUE(crypto::verify(put->sig, hyper::mutable_signable(put->seq, put->value), put->pk));
}

TEST(HyperMessages, ImmutableTargetIsTheHashOfTheValue) {
    auto v = test::load_vectors("vectors-1.json")["immutable"];
    EXPECT_EQ(base::to_hex(crypto::blake2b_256(unhex(v["value"]))), v["target"].get<std::string>());
}

TEST(HyperMessages, HandshakeAndHolepunchRoundTripInEveryMode) {
    auto v = test::load_vectors("vectors-1.json");
    for (auto& [name, h] : v["handshake"].items()) {
        auto bytes = unhex(h);
        auto d = hyper::decode_handshake(bytes);
        ASSERT_TRUE(d) << name;
        EXPECT_EQ(hex(hyper::encode_handshake(d->mode, d->noise, d->peer_address, d->relay_address)), h.get<std::string>())
            << name;
    }
    for (auto& [name, h] : v["holepunch"].items()) {
        auto bytes = unhex(h);
        auto d = hyper::decode_holepunch(bytes);
        ASSERT_TRUE(d) << name;
        EXPECT_EQ(hex(hyper::encode_holepunch(d->mode, d->id, d->payload, d->peer_address)), h.get<std::string>()) << name;
    }
}

TEST(HyperMessages, TruncatedMessagesAreRefused) {
    auto v = test::load_vectors("vectors-1.json");
    auto ann = unhex(v["announce"]["encoded"]);
    for (std::size_t n = 0; n < ann.size(); ++n) EXPECT_FALSE(hyper::decode_announce(std::span(ann).first(n))) << n;
    auto put = unhex(v["mutable"]["putRequest"]);
    for (std::size_t n = 0; n < put.size(); ++n) EXPECT_FALSE(hyper::decode_mutable_put(std::span(put).first(n))) << n;
}

}  // namespace
