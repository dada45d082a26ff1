#include "hyperdht/hyperdht.h"

#include <gtest/gtest.h>

#include <deque>
#include <set>

#include "hyperdht/client.h"
#include "tests/dht/vectors.h"
#include "tests/store/lookup.h"

namespace {

using namespace std::chrono_literals;
namespace h = dht::hyper;

struct sent {
    base::endpoint to;
    std::vector<std::byte> bytes;
};

// A host that records datagrams and delivers cross-shard posts to peers.
struct capture final : dht::host {
    std::vector<sent> out;
    std::deque<std::tuple<std::uint16_t, std::uint32_t, std::vector<std::byte>>> posts;
    void send(const base::endpoint& to, std::span<const std::byte> d, std::uint16_t) noexcept override {
        out.push_back({to, {d.begin(), d.end()}});
    }
    bool post(std::uint16_t to, std::uint32_t type, std::span<const std::byte> p) noexcept override {
        posts.emplace_back(to, type, std::vector<std::byte>(p.begin(), p.end()));
        return true;
    }
};

const base::mono_time t0 = base::from_ns(7'000'000'000'000);
const base::endpoint relay_addr = *base::endpoint::parse("10.0.0.2:49737");
const base::endpoint client_addr = *base::endpoint::parse("10.0.0.1:40000");
const base::endpoint server_addr = *base::endpoint::parse("10.0.0.3:50000");

dht::target topic(std::uint8_t b);

struct fixture : testing::Test {
    capture host;
    std::unique_ptr<dht::node> n;
    std::unique_ptr<dht::hyperdht> app;
    static dht::hyperdht_config single() {
        dht::hyperdht_config hc;
        hc.batch_verify = false;  // these tests expect each reply at once
        return hc;
    }
    void make(bool persistent = true, dht::hyperdht_config hc = single(), base::endpoint self = relay_addr) {
        ASSERT_TRUE(crypto::init());
        dht::node_config cfg;
        cfg.bind_address = self;
        if (persistent) {
            cfg.mode = dht::persistence::public_address;
            cfg.public_address = self;
        } else {
            cfg.mode = dht::persistence::never;
        }
        n = std::make_unique<dht::node>(cfg, host, t0);
        app = std::make_unique<dht::hyperdht>(*n, hc);
        n->set_app(app.get());
        for (std::uint8_t i = 10; i < 40; ++i) n->add_node(base::endpoint::v4(10, 1, 0, i, 49737));
        host.out.clear();
    }
    void SetUp() override { make(); }

    std::vector<std::byte> request(h::command c, const dht::target& t, std::span<const std::byte> value,
                                   const base::endpoint& from, bool with_token = true, std::uint16_t tid = 7) {
        std::array<std::byte, 2048> buf;
        dht::request_out q;
        q.tid = dht::txn_id(tid);
        q.to = relay_addr;
        q.command = static_cast<std::uint64_t>(c);
        q.tgt = &t;
        dht::token tok;
        if (with_token) {
            tok = n->issue_token(from);
            q.tok = &tok;
        }
        q.value = value;
        auto len = dht::encode_request(buf, q);
        return {buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(len)};
    }
    std::optional<dht::response_view> deliver(const std::vector<std::byte>& d, const base::endpoint& from) {
        host.out.clear();
        n->on_datagram(d, from, 0, t0);
        if (host.out.empty()) return std::nullopt;
        auto r = dht::decode_response(host.out.back().bytes);
        if (!r) return std::nullopt;
        return *r;
    }
    std::vector<std::byte> signed_announce(const dht::target& t, const crypto::keypair& kp,
                                           std::vector<base::endpoint> relays, const base::endpoint& from,
                                           bool un = false, std::uint64_t bump = 0) {
        const auto tok = n->issue_token(from);
        const auto peer = h::encode_peer(kp.pk, relays);
        const auto signable = h::announce_signable(un ? h::ns().unannounce : h::ns().announce, t, *n->id(), tok, peer, std::nullopt);
        return h::encode_announce(kp.pk, relays, std::nullopt, crypto::sign(signable, kp.sk), bump);
    }
    // Delivers a handshake or holepunch and returns where the node sent something (nothing: dropped).
    std::optional<base::endpoint> relayed_to(h::command c, std::span<const std::byte> value, const base::endpoint& from) {
        host.out.clear();
        n->on_datagram(request(c, topic(1), value, from, false), from, 0, t0);
        if (host.out.empty()) return std::nullopt;
        return host.out.back().to;
    }
};

crypto::keypair keys(std::uint8_t b) {
    std::array<std::uint8_t, 32> s;
    s.fill(b);
    return crypto::keypair_from_seed(crypto::seed(s));
}
dht::target topic(std::uint8_t b) {
    std::array<std::uint8_t, 32> a;
    a.fill(b);
    return dht::target(a);
}

// The relayed handshake and holepunch, frame for frame as the reference makes them.
TEST_F(fixture, RelaysMatchTheReferenceFramesByteForByte) {
    app->records().put_route(store::key(topic(0x77).array()), {server_addr, {}}, t0);
    auto v = test::load_vectors("vectors-4.json");
    auto step = [&](const char* in, const base::endpoint& from, const char* expect, const base::endpoint& to) {
        host.out.clear();
        n->on_datagram(test::unhex(v[in]["hex"]), from, 0, t0);
        ASSERT_EQ(host.out.size(), 1u) << in;
        EXPECT_EQ(test::hex(host.out[0].bytes), v[expect]["hex"].get<std::string>()) << in << " -> " << expect;
        EXPECT_EQ(host.out[0].to, to);
    };
    step("1_client_to_relay_PEER_HANDSHAKE_FROM_CLIENT", client_addr, "2_relay_to_server_PEER_HANDSHAKE_FROM_RELAY", server_addr);
    step("3_server_to_relay_PEER_HANDSHAKE_FROM_SERVER", server_addr.with_port(50001), "4_relay_to_client_RESPONSE_REPLY", client_addr);
    step("5_client_to_relay_PEER_HOLEPUNCH_FROM_CLIENT", client_addr, "6_relay_to_server_PEER_HOLEPUNCH_FROM_RELAY", server_addr);
    step("7_server_to_relay_PEER_HOLEPUNCH_FROM_SERVER", server_addr, "8_relay_to_client_RESPONSE_REPLY", client_addr);
}

TEST_F(fixture, HandshakeWithoutARouteGetsCloserNodesToHelpRouting) {
    auto hs = h::encode_handshake(0, std::vector<std::byte>(6), std::nullopt, std::nullopt);
    auto r = deliver(request(h::command::peer_handshake, topic(1), hs, client_addr, false), client_addr);
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->tok);
    EXPECT_EQ(r->closer.size(), 20u);
    EXPECT_FALSE(r->value);
}

TEST_F(fixture, AnnounceIsStoredAndLookedUpWithItsRelaysTruncatedToThree) {
    auto kp = keys(3);
    std::vector<base::endpoint> relays;
    for (std::uint8_t i = 1; i <= 5; ++i) relays.push_back(base::endpoint::v4(1, 1, 1, i, 100));
    auto r = deliver(request(h::command::announce, topic(9), signed_announce(topic(9), kp, relays, client_addr), client_addr), client_addr);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->error, 0u);
    EXPECT_FALSE(r->tok) << "ANNOUNCE replies carry no token";
    EXPECT_EQ(r->closer.size(), 0u);
    auto l = deliver(request(h::command::lookup, topic(9), {}, client_addr, false), client_addr);
    ASSERT_TRUE(l && l->value);
    EXPECT_TRUE(l->tok) << "LOOKUP replies carry a token";
    EXPECT_EQ(l->closer.size(), 20u);
    auto peers = h::decode_lookup_reply(*l->value);
    ASSERT_TRUE(peers);
    ASSERT_EQ(peers->peers.size(), 1u);
    EXPECT_EQ(peers->peers[0].pk, kp.pk);
    EXPECT_EQ(peers->peers[0].relays.size(), 3u);
}

// A full topic (a reply over 253 bytes, so a three-byte length) and a small
// one with a route appended: the reply decodes, with distinct peers.
TEST_F(fixture, LookupRepliesCarryUpTo20PeersAndTheRoute) {
    const store::key k(topic(8).array());
    for (std::uint8_t i = 0; i < 30; ++i) {
        store::peer_record p;
        p.pk = keys(static_cast<std::uint8_t>(100 + i)).pk;
        p.relay_count = static_cast<std::uint8_t>(i % 4);
        for (std::uint8_t j = 0; j < p.relay_count; ++j) p.relays[j] = base::endpoint::v4(10, 0, i, j, 1000);
        app->records().put_record(k, p, t0);
    }
    app->records().raise_bump(k, 5);
    auto l = deliver(request(h::command::lookup, topic(8), {}, client_addr, false), client_addr);
    ASSERT_TRUE(l && l->value);
    EXPECT_GT(l->value->size(), 0xfcu);
    auto peers = h::decode_lookup_reply(*l->value);
    ASSERT_TRUE(peers);
    ASSERT_EQ(peers->peers.size(), 20u);
    EXPECT_EQ(peers->bump, 5u);
    std::set<crypto::public_key> seen;
    for (const auto& p : peers->peers) seen.insert(p.pk);
    EXPECT_EQ(seen.size(), 20u);

    // Two records and a route on one target: three peers, the route last.
    const auto kp = keys(7);
    const store::key k2(topic(6).array());
    app->records().put_record(k2, store::peer_record{keys(1).pk, {}, 0}, t0);
    app->records().put_record(k2, store::peer_record{keys(2).pk, {}, 0}, t0);
    store::peer_record self{kp.pk, {base::endpoint::v4(5, 5, 5, 5, 5)}, 1};
    app->records().put_route(k2, {client_addr, self}, t0);
    l = deliver(request(h::command::lookup, topic(6), {}, client_addr, false), client_addr);
    ASSERT_TRUE(l && l->value);
    peers = h::decode_lookup_reply(*l->value);
    ASSERT_TRUE(peers);
    ASSERT_EQ(peers->peers.size(), 3u);
    EXPECT_EQ(peers->peers[2].pk, kp.pk);
    EXPECT_EQ(peers->peers[2].relays.size(), 1u);
    EXPECT_EQ(peers->bump, 0u);
    // Nothing stored: no value at all.
    l = deliver(request(h::command::lookup, topic(5), {}, client_addr, false), client_addr);
    ASSERT_TRUE(l);
    EXPECT_FALSE(l->value);
}

TEST_F(fixture, BadSignaturesAndMissingTokensGetNoReply) {
    auto kp = keys(3);
    auto ann = signed_announce(topic(9), kp, {}, client_addr);
    ann[ann.size() - 1] ^= std::byte{1};
    EXPECT_FALSE(deliver(request(h::command::announce, topic(9), ann, client_addr), client_addr));
    EXPECT_EQ(app->count(dht::hctr::drop_bad_signature), 1u);
    auto good = signed_announce(topic(9), kp, {}, client_addr);
    EXPECT_FALSE(deliver(request(h::command::announce, topic(9), good, client_addr, false), client_addr));
    EXPECT_EQ(app->count(dht::hctr::drop_no_token), 1u);
    // Signed for another node's id: fails verification here.
    auto other = h::announce_signable(h::ns().announce, topic(9), dht::id_of(client_addr), n->issue_token(client_addr),
                                      h::encode_peer(kp.pk, {}), std::nullopt);
    auto forged = h::encode_announce(kp.pk, {}, std::nullopt, crypto::sign(other, kp.sk), 0);
    EXPECT_FALSE(deliver(request(h::command::announce, topic(9), forged, client_addr), client_addr));
}

TEST_F(fixture, AnnounceSelfCreatesARouteAtTheSourceAndUnannounceRemovesIt) {
    auto kp = keys(4);
    const auto t = dht::client::hash(kp.pk.bytes());
    const auto src = *base::endpoint::parse("10.9.9.9:6000");
    ASSERT_TRUE(deliver(request(h::command::announce, t, signed_announce(t, kp, {}, src), src), src));
    auto fp = deliver(request(h::command::find_peer, t, {}, client_addr, false), client_addr);
    ASSERT_TRUE(fp && fp->value);
    EXPECT_TRUE(fp->tok);
    const store::route* route = app->records().get_route(store::key(t.array()));
    ASSERT_NE(route, nullptr);
    EXPECT_EQ(route->relay, src);
    ASSERT_TRUE(deliver(request(h::command::unannounce, t, signed_announce(t, kp, {}, src, true), src), src));
    EXPECT_EQ(app->records().get_route(store::key(t.array())), nullptr);
}

// A refresh chain: r0 = H(r1), r1 = H(r2). An announce names r0; revealing
// r1, then r2, re-applies it without a signature, each value once.
TEST_F(fixture, RefreshOnlyAnnouncesWalkTheHashChain) {
    auto kp = keys(5);
    const crypto::hash32 r2 = crypto::blake2b_256(std::vector<std::byte>(7, std::byte{9}));
    const crypto::hash32 r1 = crypto::blake2b_256(r2.bytes()), r0 = crypto::blake2b_256(r1.bytes());
    const auto relays = std::vector<base::endpoint>{base::endpoint::v4(1, 2, 3, 4, 5)};
    const auto signable = h::announce_signable(h::ns().announce, topic(9), *n->id(), n->issue_token(client_addr),
                                               h::encode_peer(kp.pk, relays), r0);
    const auto ann = h::encode_announce(kp.pk, relays, r0, crypto::sign(signable, kp.sk), 0);
    ASSERT_TRUE(deliver(request(h::command::announce, topic(9), ann, client_addr), client_addr));
    auto refresh_only = [](const crypto::hash32& r) {
        std::vector<std::byte> v{std::byte{2}};  // flags: refresh only
        v.insert(v.end(), r.bytes().begin(), r.bytes().end());
        return v;
    };
    const store::key k(topic(9).array());
    std::array<store::peer_record, 20> out;
    base::prng rnd(1);

    // The record is gone (as if expired); revealing r1 brings it back.
    ASSERT_TRUE(app->records().remove_record(k, kp.pk));
    auto r = deliver(request(h::command::announce, topic(9), refresh_only(r1), client_addr), client_addr);
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->tok);
    EXPECT_EQ(r->closer.size(), 0u);
    ASSERT_EQ(test::lookup(app->records(), k, out, rnd), 1u);
    EXPECT_EQ(out[0].pk, kp.pk);
    EXPECT_EQ(out[0].relay_count, 1);
    EXPECT_EQ(app->count(dht::hctr::announce_refresh), 1u);

    // r1 is spent; r0 (whose hash nothing names) never worked.
    EXPECT_FALSE(deliver(request(h::command::announce, topic(9), refresh_only(r1), client_addr), client_addr));
    EXPECT_FALSE(deliver(request(h::command::announce, topic(9), refresh_only(r0), client_addr), client_addr));
    EXPECT_EQ(app->count(dht::hctr::drop_unknown_refresh), 2u);
    // Without a valid token a refresh is refused like any write.
    EXPECT_FALSE(deliver(request(h::command::announce, topic(9), refresh_only(r2), client_addr, false), client_addr));
    // The next link: r2.
    EXPECT_TRUE(deliver(request(h::command::announce, topic(9), refresh_only(r2), client_addr), client_addr));
    EXPECT_EQ(app->count(dht::hctr::announce_refresh), 2u);
    // An UNANNOUNCE cannot be refresh-only.
    EXPECT_FALSE(deliver(request(h::command::unannounce, topic(9), refresh_only(r2), client_addr), client_addr));
}

TEST_F(fixture, ARefreshOfAnAnnounceSelfMovesTheRouteToTheRefresher) {
    auto kp = keys(6);
    const auto t = dht::client::hash(kp.pk.bytes());
    const crypto::hash32 r1 = crypto::blake2b_256(std::vector<std::byte>(3, std::byte{1}));
    const crypto::hash32 r0 = crypto::blake2b_256(r1.bytes());
    const auto src = *base::endpoint::parse("10.9.9.9:6000"), moved = *base::endpoint::parse("10.9.9.10:7000");
    const auto signable =
        h::announce_signable(h::ns().announce, t, *n->id(), n->issue_token(src), h::encode_peer(kp.pk, {}), r0);
    ASSERT_TRUE(deliver(request(h::command::announce, t, h::encode_announce(kp.pk, {}, r0, crypto::sign(signable, kp.sk), 0), src), src));
    std::vector<std::byte> v{std::byte{2}};
    v.insert(v.end(), r1.bytes().begin(), r1.bytes().end());
    ASSERT_TRUE(deliver(request(h::command::announce, t, v, moved), moved));
    const store::route* route = app->records().get_route(store::key(t.array()));
    ASSERT_NE(route, nullptr);
    EXPECT_EQ(route->relay, moved) << "handshakes now go where the refresh came from, as in the reference";
    EXPECT_EQ(route->record.pk, kp.pk);
}

TEST_F(fixture, MutablePutEnforcesSeqAndGetHonoursTheMinimum) {
    auto kp = keys(5);
    const auto t = dht::client::hash(kp.pk.bytes());
    auto put = [&](std::uint64_t seq, std::string v) {
        std::vector<std::byte> val(reinterpret_cast<const std::byte*>(v.data()), reinterpret_cast<const std::byte*>(v.data()) + v.size());
        auto sig = crypto::sign(h::mutable_signable(seq, val), kp.sk);
        return deliver(request(h::command::mutable_put, t, h::encode_mutable_put(kp.pk, seq, val, sig), client_addr), client_addr);
    };
    auto ok = put(5, "a");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->error, 0u);
    EXPECT_TRUE(ok->tok);
    EXPECT_EQ(put(5, "b")->error, 16u);
    EXPECT_EQ(put(4, "c")->error, 17u);
    auto err = put(4, "c");
    EXPECT_FALSE(err->tok) << "error replies carry no token";
    EXPECT_EQ(err->closer.size(), 20u);
    std::array<std::byte, 1> min6{std::byte{6}}, min5{std::byte{5}};
    EXPECT_FALSE(deliver(request(h::command::mutable_get, t, min6, client_addr, false), client_addr)->value);
    auto got = deliver(request(h::command::mutable_get, t, min5, client_addr, false), client_addr);
    ASSERT_TRUE(got->value);
    EXPECT_EQ(h::decode_mutable_get_response(*got->value)->seq, 5u);
}

TEST_F(fixture, ImmutablePutRequiresTheValueToHashToTheTarget) {
    std::vector<std::byte> v(20, std::byte{3});
    EXPECT_FALSE(deliver(request(h::command::immutable_put, topic(1), v, client_addr), client_addr));
    const auto t = dht::client::hash(v);
    ASSERT_TRUE(deliver(request(h::command::immutable_put, t, v, client_addr), client_addr));
    auto got = deliver(request(h::command::immutable_get, t, {}, client_addr, false), client_addr);
    ASSERT_TRUE(got && got->value);
    EXPECT_EQ(got->value->size(), 20u);
}

TEST_F(fixture, BatchedVerificationRepliesWhenTheBatchIsDueAndDropsOnlyForgeries) {
    dht::hyperdht_config hc;
    hc.batch_verify = true;
    hc.verify_batch = 64;
    hc.verify_delay = base::microseconds(500);
    make(true, hc);
    auto kp = keys(6);
    std::vector<std::vector<std::byte>> reqs;
    for (std::uint8_t i = 0; i < 5; ++i) {
        auto ann = signed_announce(topic(i), kp, {}, client_addr);
        if (i == 2) ann[ann.size() - 3] ^= std::byte{4};  // one forgery in the batch
        reqs.push_back(request(h::command::announce, topic(i), ann, client_addr, true, static_cast<std::uint16_t>(100 + i)));
    }
    host.out.clear();
    for (auto& r : reqs) n->on_datagram(r, client_addr, 0, t0);
    EXPECT_TRUE(host.out.empty()) << "nothing is answered before the batch is verified";
    n->on_timer(t0 + base::microseconds(200));
    EXPECT_TRUE(host.out.empty());
    n->on_timer(t0 + base::microseconds(700));
    ASSERT_EQ(host.out.size(), 4u);
    for (auto& o : host.out) EXPECT_NE(dht::decode_response(o.bytes)->tid.value(), 102) << "the forged announce gets no reply";
    EXPECT_EQ(app->count(dht::hctr::drop_bad_signature), 1u);
    ASSERT_NE(app->verify_stats(), nullptr);
    EXPECT_EQ(app->verify_stats()->get(crypto::verify_ctr::items), 5u);
    EXPECT_GE(app->verify_stats()->get(crypto::verify_ctr::batches), 1u);
    // A full batch is verified at once, without waiting.
    hc.verify_batch = 4;
    make(true, hc);
    host.out.clear();
    for (std::uint8_t i = 0; i < 4; ++i) {
        n->on_datagram(request(h::command::announce, topic(i), signed_announce(topic(i), kp, {}, client_addr), client_addr),
                       client_addr, 0, t0);
    }
    EXPECT_EQ(host.out.size(), 4u);
}

TEST_F(fixture, RelayedTrafficIsRateLimitedPerSourceIp) {
    dht::hyperdht_config hc = single();
    hc.relay_per_second = 10;
    hc.relay_burst = 20;
    make(true, hc);
    auto hp = h::encode_holepunch(1, 0, std::vector<std::byte>(4), client_addr);  // FROM_SERVER
    int answered = 0;
    for (int i = 0; i < 100; ++i) answered += deliver(request(h::command::peer_holepunch, topic(2), hp, server_addr, false), server_addr).has_value();
    EXPECT_EQ(answered, 20);
    EXPECT_EQ(app->count(dht::hctr::drop_relay_rate_limited), 80u);
    // Another source has its own allowance.
    EXPECT_TRUE(deliver(request(h::command::peer_holepunch, topic(2), hp, server_addr.with_port(1).with_port(50000), false),
                        *base::endpoint::parse("10.0.0.4:1")));
}

TEST_F(fixture, AnEphemeralNodeRefusesStorageButStillRelays) {
    make(false);
    auto r = deliver(request(h::command::lookup, topic(9), {}, client_addr, false), client_addr);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->error, 1u);
    auto hs = h::encode_handshake(1, std::vector<std::byte>(3), client_addr, std::nullopt);  // FROM_SERVER
    host.out.clear();
    n->on_datagram(request(h::command::peer_handshake, topic(2), hs, server_addr, false), server_addr, 0, t0);
    ASSERT_EQ(host.out.size(), 1u);
    EXPECT_EQ(host.out[0].to, client_addr);
}

// Every HyperDHT metric is declared in a table that follows the facility's
// rules (names unique, Prometheus family names, one help per family).
TEST(HyperdhtCounters, EveryCounterIsDeclaredByTheRules) {
    EXPECT_EQ(base::metrics::check_table(dht::metric_defs(dht::hctr{})), "");
    for (std::size_t i = 0; i < dht::hctr_count; ++i) {
        EXPECT_FALSE(base::metrics::counter_set<dht::hctr>::name(static_cast<dht::hctr>(i)).empty()) << i;
    }
}

// A bump is a wall-clock time (ms) and only rises; one beyond a minute of
// drift is ignored, u64 values past 2^63 included (they once read as negative).
TEST_F(fixture, ABumpCannotBePinnedInTheFuture) {
    const std::uint64_t now_ms = static_cast<std::uint64_t>(base::to_ms(t0.time_since_epoch()));  // wall_offset_ms = 0
    const store::key k(topic(9).array());
    struct case_ {
        std::uint64_t bump;
        std::uint64_t expect;
    };
    const std::vector<case_> cases = {
        {~std::uint64_t{0}, 0},                        // ff ff ff ff ff ff ff ff ff on the wire
        {std::uint64_t{1} << 63, 0},                   // the first value that read as negative
        {now_ms + 60'001, 0},                          // just past the drift allowed
        {now_ms + 60'000, now_ms + 60'000},            // at the edge: taken
        {now_ms, now_ms + 60'000},                     // lower: bumps only rise
    };
    std::uint64_t ignored = 0;
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const auto kp = keys(static_cast<std::uint8_t>(40 + i));
        ASSERT_TRUE(deliver(request(h::command::announce, topic(9),
                                    signed_announce(topic(9), kp, {}, client_addr, false, cases[i].bump), client_addr),
                            client_addr))
            << i;
        EXPECT_EQ(app->records().bump(k), cases[i].expect) << "case " << i;
        ignored += cases[i].expect == 0;
    }
    EXPECT_EQ(app->count(dht::hctr::bump_ignored), ignored);
    EXPECT_EQ(app->records().stats().records, cases.size()) << "the announces themselves are stored";
}

// PEER_HANDSHAKE and PEER_HOLEPUNCH modes are u64s; past REPLY the reference
// ignores them, and 256 / 257 must not act as FROM_CLIENT / FROM_SERVER.
TEST_F(fixture, OutOfRangeModesAreDroppedNotTruncated) {
    app->records().put_route(store::key(topic(1).array()), {server_addr, {}}, t0);
    for (std::uint64_t mode : {5ull, 256ull, 257ull, 258ull, ~0ull}) {
        const auto hs = h::encode_handshake(mode, std::vector<std::byte>(6), client_addr, std::nullopt);
        EXPECT_FALSE(relayed_to(h::command::peer_handshake, hs, client_addr)) << mode;
        const auto hp = h::encode_holepunch(mode, 1, std::vector<std::byte>(4), client_addr);
        EXPECT_FALSE(relayed_to(h::command::peer_holepunch, hp, server_addr)) << mode;
    }
    EXPECT_EQ(app->count(dht::hctr::drop_bad_value), 10u);
    EXPECT_EQ(app->count(dht::hctr::drop_relay_wrong_mode), 0u);
    // Valid modes that only the peers act on are dropped under one reason on both commands.
    for (std::uint64_t mode : {2ull, 3ull, 4ull}) {
        if (mode != 2) {
            const auto hs = h::encode_handshake(mode, std::vector<std::byte>(6), client_addr, std::nullopt);
            EXPECT_FALSE(relayed_to(h::command::peer_handshake, hs, client_addr)) << mode;
        }
        const auto hp = h::encode_holepunch(mode, 1, std::vector<std::byte>(4), client_addr);
        EXPECT_FALSE(relayed_to(h::command::peer_holepunch, hp, server_addr)) << mode;
    }
    EXPECT_EQ(app->count(dht::hctr::drop_relay_wrong_mode), 5u);
    // In range, the same requests are relayed.
    const auto hs = h::encode_handshake(0, std::vector<std::byte>(6), std::nullopt, std::nullopt);
    EXPECT_EQ(relayed_to(h::command::peer_handshake, hs, client_addr), server_addr);
}

// A node on a public address relays sender-chosen bytes only to global
// addresses; one on a private network also to private ones; one on loopback
// anywhere. Nothing goes to port 0, 0/8, multicast or broadcast.
TEST_F(fixture, RelaysAndRedirectsGoOnlyWhereTheNodeItselfReaches) {
    const auto ep = [](const char* s) { return *base::endpoint::parse(s, true); };
    const std::vector<base::endpoint> unusable = {ep("0.0.0.0:9"), ep("0.1.2.3:9"), ep("224.0.0.1:9"),
                                                  ep("239.1.1.1:9"), ep("255.255.255.255:9"), ep("240.0.0.1:9"),
                                                  ep("8.8.4.4:0")};
    struct net {
        base::endpoint self;
        std::vector<base::endpoint> allowed, refused;
    };
    const std::vector<net> nets = {
        {ep("1.2.3.4:49737"), {ep("8.8.4.4:9")}, {ep("127.0.0.1:9"), ep("10.0.0.5:9"), ep("192.168.1.1:9"), ep("172.16.0.1:9"), ep("169.254.0.1:9"), ep("100.64.0.1:9")}},
        {ep("10.0.0.2:49737"), {ep("8.8.4.4:9"), ep("10.0.0.5:9"), ep("192.168.1.1:9")}, {ep("127.0.0.1:9")}},
        {ep("127.0.0.1:49737"), {ep("8.8.4.4:9"), ep("10.0.0.5:9"), ep("127.0.0.2:9")}, {}},
    };
    const auto from = ep("9.9.9.9:4000");  // a global requester: every path below could answer it
    for (const auto& nw : nets) {
        SCOPED_TRACE(nw.self.to_string());
        make(true, single(), nw.self);
        std::vector<base::endpoint> refused = nw.refused;
        refused.insert(refused.end(), unusable.begin(), unusable.end());
        std::uint64_t drops = 0;
        auto check = [&](const base::endpoint& to, bool ok) {
            SCOPED_TRACE(to.to_string());
            // FROM_CLIENT with a relayAddress, FROM_SERVER to a peerAddress,
            // holepunch FROM_CLIENT and FROM_SERVER to a peerAddress.
            const auto v1 = h::encode_handshake(0, std::vector<std::byte>(6), std::nullopt, to);
            const auto v2 = h::encode_handshake(1, std::vector<std::byte>(6), to, std::nullopt);
            const auto v3 = h::encode_holepunch(0, 1, std::vector<std::byte>(4), to);
            const auto v4 = h::encode_holepunch(1, 1, std::vector<std::byte>(4), to);
            EXPECT_EQ(relayed_to(h::command::peer_handshake, v1, from), ok ? std::optional(to) : std::nullopt);
            EXPECT_EQ(relayed_to(h::command::peer_handshake, v2, from), ok ? std::optional(to) : std::nullopt);
            EXPECT_EQ(relayed_to(h::command::peer_holepunch, v3, from), ok ? std::optional(to) : std::nullopt);
            EXPECT_EQ(relayed_to(h::command::peer_holepunch, v4, from), ok ? std::optional(to) : std::nullopt);
            if (!ok) drops += 4;
        };
        for (const auto& to : nw.allowed) check(to, true);
        for (const auto& to : refused) check(to, false);
        EXPECT_EQ(app->count(dht::hctr::drop_relay_destination), drops);
    }
}

// Every command's needs are declared once and checked before its handler:
// a request without a field its command needs gets no reply and the counter
// for that field, whatever the command.
TEST_F(fixture, EachCommandsDeclaredNeedsAreCheckedBeforeItsHandler) {
    struct need {
        h::command c;
        bool target, token, value;
    };
    const std::vector<need> needs = {
        {h::command::peer_handshake, false, false, true}, {h::command::peer_holepunch, false, false, true},
        {h::command::find_peer, true, false, false},      {h::command::lookup, true, false, false},
        {h::command::announce, true, true, true},         {h::command::unannounce, true, true, true},
        {h::command::mutable_put, true, true, true},      {h::command::mutable_get, true, false, true},
        {h::command::immutable_put, true, true, true},    {h::command::immutable_get, true, false, false},
    };
    const dht::target t = topic(3);
    const dht::token tok = n->issue_token(client_addr);
    const std::vector<std::byte> value(8, std::byte{1});
    for (const auto& nd : needs) {
        for (int missing = 0; missing < 3; ++missing) {
            const bool needed = missing == 0 ? nd.target : missing == 1 ? nd.token : nd.value;
            if (!needed) continue;
            std::array<std::byte, 2048> buf;
            dht::request_out q;
            q.tid = dht::txn_id(9);
            q.to = relay_addr;
            q.command = static_cast<std::uint64_t>(nd.c);
            q.tgt = missing == 0 ? nullptr : &t;
            q.tok = missing == 1 ? nullptr : &tok;
            if (missing != 2) q.value = value;
            const auto len = dht::encode_request(buf, q);
            const auto counter = missing == 0 ? dht::hctr::drop_no_target
                                 : missing == 1 ? dht::hctr::drop_no_token
                                                : dht::hctr::drop_bad_value;
            const auto before = app->count(counter);
            host.out.clear();
            n->on_datagram(std::span(buf).first(len), client_addr, 0, t0);
            EXPECT_TRUE(host.out.empty()) << static_cast<int>(nd.c) << " missing " << missing;
            EXPECT_EQ(app->count(counter), before + 1) << static_cast<int>(nd.c) << " missing " << missing;
        }
    }
}

// With two shards, a request lands on the shard the kernel picked; the shard
// that owns its target answers it.
TEST(HyperdhtShards, RequestsAreAnsweredByTheShardThatOwnsTheTarget) {
    ASSERT_TRUE(crypto::init());
    capture host0, host1;
    std::array<std::unique_ptr<dht::node>, 2> nodes;
    std::array<std::unique_ptr<dht::hyperdht>, 2> apps;
    std::array<capture*, 2> hosts = {&host0, &host1};
    for (std::uint16_t s = 0; s < 2; ++s) {
        dht::node_config cfg;
        cfg.shard = s;
        cfg.shards = 2;
        cfg.mode = dht::persistence::public_address;
        cfg.public_address = relay_addr;
        nodes[s] = std::make_unique<dht::node>(cfg, *hosts[s], t0);
        apps[s] = std::make_unique<dht::hyperdht>(*nodes[s], dht::hyperdht_config{});
        nodes[s]->set_app(apps[s].get());
    }
    // Find a topic owned by shard 1 and deliver an IMMUTABLE_PUT for it on shard 0.
    std::vector<std::byte> v;
    dht::target t;
    for (std::uint8_t i = 0;; ++i) {
        v.assign(8, std::byte{i});
        t = dht::client::hash(v);
        if (store::shard_of(store::key(t.array()), 2) == 1) break;
    }
    std::array<std::byte, 2048> buf;
    dht::request_out q;
    q.tid = dht::txn_id(3);
    q.to = relay_addr;
    q.command = static_cast<std::uint64_t>(h::command::immutable_put);
    q.tgt = &t;
    auto tok = nodes[0]->issue_token(client_addr);
    q.tok = &tok;
    q.value = v;
    auto len = dht::encode_request(buf, q);
    nodes[0]->on_datagram(std::span(buf).first(len), client_addr, 0, t0);
    EXPECT_TRUE(host0.out.empty()) << "shard 0 does not answer for shard 1's key";
    ASSERT_EQ(host0.posts.size(), 1u);
    auto [to, type, payload] = host0.posts.front();
    EXPECT_EQ(to, 1);
    // The same put without its token is dropped where it landed, not forwarded.
    host0.posts.clear();
    q.tok = nullptr;
    len = dht::encode_request(buf, q);
    nodes[0]->on_datagram(std::span(buf).first(len), client_addr, 0, t0);
    EXPECT_TRUE(host0.posts.empty());
    EXPECT_EQ(apps[0]->count(dht::hctr::drop_no_token), 1u);
    nodes[1]->on_message(type, payload, t0);
    ASSERT_EQ(host1.out.size(), 1u);
    auto r = dht::decode_response(host1.out[0].bytes);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->error, 0u);
    EXPECT_EQ(r->tid.value(), 3);
    EXPECT_TRUE(apps[1]->records().get_immutable(store::key(t.array()), t0));
    EXPECT_FALSE(apps[0]->records().get_immutable(store::key(t.array()), t0));
}

}  // namespace
