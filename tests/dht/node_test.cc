#include "dht/node.h"

#include <gtest/gtest.h>

#include <array>
#include <set>
#include <vector>

namespace {

using namespace std::chrono_literals;

struct sent {
    base::endpoint to;
    std::vector<std::byte> bytes;
    std::uint16_t socket;
};

struct capture final : dht::host {
    std::vector<sent> out;
    void send(const base::endpoint& to, std::span<const std::byte> d, std::uint16_t s) noexcept override {
        out.push_back({to, {d.begin(), d.end()}, s});
    }
    bool post(std::uint16_t, std::uint32_t, std::span<const std::byte>) noexcept override { return false; }
};

const base::endpoint self_addr = *base::endpoint::parse("127.0.0.1:10001");
const base::endpoint client = *base::endpoint::parse("127.0.0.9:5555");
const base::mono_time t0 = base::from_ns(5'000'000'000'000);

struct fixture : testing::Test {
    capture host;
    std::unique_ptr<dht::node> n;
    void SetUp() override {
        dht::node_config cfg;
        cfg.mode = dht::persistence::public_address;
        cfg.public_address = self_addr;
        cfg.server_port = self_addr.port();
        cfg.token_master.fill(3);
        n = std::make_unique<dht::node>(cfg, host, t0);
        // A few table nodes so replies have closer nodes.
        for (std::uint8_t i = 1; i <= 30; ++i) n->add_node(base::endpoint::v4(10, 0, 0, i, 49737));
        host.out.clear();
    }
    std::vector<std::byte> request(std::uint64_t cmd, bool internal, const dht::target* tgt = nullptr,
                                   std::optional<std::vector<std::byte>> value = std::nullopt,
                                   const dht::token* tok = nullptr, std::uint16_t tid = 0x4242) {
        std::array<std::byte, 2048> buf;
        dht::request_out q;
        q.tid = dht::txn_id(tid);
        q.to = self_addr;
        q.internal = internal;
        q.command = cmd;
        q.tgt = tgt;
        q.tok = tok;
        if (value) q.value = std::span<const std::byte>(*value);
        auto len = dht::encode_request(buf, q);
        return {buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(len)};
    }
    void deliver(const std::vector<std::byte>& d, base::endpoint from = client) { n->on_datagram(d, from, 0, t0); }
    dht::response_view only_reply() {
        EXPECT_EQ(host.out.size(), 1u);
        auto r = dht::decode_response(host.out.at(0).bytes);
        EXPECT_TRUE(r);
        return *r;
    }
};

TEST_F(fixture, PingGetsABareReplyWithOurIdAndTheObservedAddress) {
    deliver(request(0, true));
    auto r = only_reply();
    EXPECT_EQ(r.tid.value(), 0x4242);
    EXPECT_EQ(r.to, client);
    ASSERT_TRUE(r.id);
    EXPECT_EQ(*r.id, dht::id_of(self_addr));
    EXPECT_FALSE(r.tok);
    EXPECT_EQ(r.closer.size(), 0u);
    EXPECT_EQ(host.out[0].to, client);
}

TEST_F(fixture, FindNodeRepliesWithCloserNodesAndNoToken) {
    dht::target t;
    deliver(request(2, true, &t));
    auto r = only_reply();
    EXPECT_FALSE(r.tok);
    EXPECT_EQ(r.closer.size(), 20u);
    EXPECT_EQ(n->stats().get(dht::ctr::cmd_find_node), 1u);
}

TEST_F(fixture, FindNodeWithoutTargetIsDroppedAndCounted) {
    deliver(request(2, true));
    EXPECT_TRUE(host.out.empty());
    EXPECT_EQ(n->stats().get(dht::ctr::drop_find_node_no_target), 1u);
}

TEST_F(fixture, PingNatAnswersToThePortInTheValue) {
    deliver(request(1, true, nullptr, std::vector<std::byte>{std::byte{0x39}, std::byte{0x30}}));  // 12345
    auto r = only_reply();
    EXPECT_EQ(host.out[0].to, client.with_port(12345));
    EXPECT_EQ(r.to, client.with_port(12345));
    host.out.clear();
    deliver(request(1, true, nullptr, std::vector<std::byte>{std::byte{0}, std::byte{0}}));
    deliver(request(1, true, nullptr, std::vector<std::byte>{std::byte{1}}));
    deliver(request(1, true));
    EXPECT_TRUE(host.out.empty());
    EXPECT_EQ(n->stats().get(dht::ctr::drop_ping_nat_bad_value), 3u);
}

TEST_F(fixture, UnknownInternalCommandGetsError1WithCloserNodes) {
    dht::target t;
    deliver(request(77, true, &t));
    auto r = only_reply();
    EXPECT_EQ(r.error, 1u);
    EXPECT_FALSE(r.tok);
    EXPECT_EQ(r.closer.size(), 20u);
}

TEST_F(fixture, ApplicationCommandWithoutHandlerGetsError1) {
    deliver(request(3, false));
    auto r = only_reply();
    EXPECT_EQ(r.error, 1u);
    EXPECT_EQ(r.closer.size(), 0u) << "no target, no closer nodes";
}

TEST_F(fixture, JunkTokenGetsError2WithAFreshTokenThatThenWorks) {
    dht::target t;
    dht::token junk;
    deliver(request(2, true, &t, std::nullopt, &junk));
    auto r = only_reply();
    EXPECT_EQ(r.error, 2u);
    ASSERT_TRUE(r.tok);
    EXPECT_EQ(r.closer.size(), 20u);
    EXPECT_EQ(n->stats().get(dht::ctr::token_invalid), 1u);
    // The fresh token is accepted.
    dht::token fresh = *r.tok;
    host.out.clear();
    deliver(request(2, true, &t, std::nullopt, &fresh));
    EXPECT_EQ(only_reply().error, 0u);
}

TEST_F(fixture, MalformedDatagramsGetNoReplyAndMoveADropCounter) {
    auto good = request(0, true);
    deliver({std::byte{0x03}});
    deliver({std::byte{0x42}, std::byte{0}, std::byte{0}});
    deliver(std::vector<std::byte>(good.begin(), good.begin() + 5));
    std::vector<std::byte> huge(3000, std::byte{0x03});
    deliver(huge);
    EXPECT_TRUE(host.out.empty());
    EXPECT_EQ(n->stats().get(dht::ctr::drop_too_short), 1u);
    EXPECT_EQ(n->stats().get(dht::ctr::drop_bad_type), 1u);
    EXPECT_EQ(n->stats().get(dht::ctr::drop_truncated), 1u);
    EXPECT_EQ(n->stats().get(dht::ctr::drop_too_long), 1u);
    deliver(good);
    EXPECT_EQ(host.out.size(), 1u) << "still serving";
}

TEST_F(fixture, ForgedIdIsTreatedAsAbsentAndNotAdded) {
    std::array<std::byte, 2048> buf;
    dht::request_out q;
    q.tid = dht::txn_id(1);
    q.to = self_addr;
    q.internal = true;
    dht::node_id forged = dht::id_of(*base::endpoint::parse("1.1.1.1:1"));
    q.id = &forged;
    auto len = dht::encode_request(buf, q);
    const auto before = n->table().size();
    n->on_datagram(std::span(buf).first(len), client, 0, t0);
    EXPECT_EQ(n->stats().get(dht::ctr::id_mismatch), 1u);
    EXPECT_EQ(n->table().size(), before);
    EXPECT_EQ(host.out.size(), 1u) << "the ping is still answered";
}

TEST_F(fixture, ValidIdAddsTheRequesterToTheTable) {
    const auto peer = *base::endpoint::parse("10.9.9.9:7000");
    std::array<std::byte, 2048> buf;
    dht::request_out q;
    q.tid = dht::txn_id(1);
    q.to = self_addr;
    q.internal = true;
    dht::node_id id = dht::id_of(peer);
    q.id = &id;
    auto len = dht::encode_request(buf, q);
    n->on_datagram(std::span(buf).first(len), peer, 0, t0);
    EXPECT_NE(n->table().find(id), dht::no_slot);
}

TEST_F(fixture, DelayedPingAnswersAfterTheDelayAndRefusesLongOnes) {
    auto delay = [](std::uint32_t ms) {
        std::vector<std::byte> v(4);
        for (int i = 0; i < 4; ++i) v[static_cast<std::size_t>(i)] = std::byte(ms >> (8 * i));
        return v;
    };
    deliver(request(4, true, nullptr, delay(300)));
    EXPECT_TRUE(host.out.empty());
    n->on_timer(t0 + 299ms);
    EXPECT_TRUE(host.out.empty());
    n->on_timer(t0 + 301ms);
    ASSERT_EQ(host.out.size(), 1u);
    EXPECT_EQ(dht::decode_response(host.out[0].bytes)->tid.value(), 0x4242);
    host.out.clear();
    deliver(request(4, true, nullptr, delay(10'001)));
    n->on_timer(t0 + 20s);
    EXPECT_TRUE(host.out.empty());
    EXPECT_EQ(n->stats().get(dht::ctr::drop_delayed_ping_bad_value), 1u);
}

TEST_F(fixture, UnmatchedResponsesAreDroppedAndCounted) {
    std::array<std::byte, 256> buf;
    dht::response_out r;
    r.tid = dht::txn_id(999);
    r.to = self_addr;
    auto len = dht::encode_response(buf, r);
    n->on_datagram(std::span(buf).first(len), client, 0, t0);
    EXPECT_EQ(n->stats().get(dht::ctr::drop_unmatched_response), 1u);
}

TEST(NodeTids, EveryTidNamesItsShard) {
    for (std::uint16_t shards : {1, 2, 3, 7}) {
        for (std::uint16_t shard = 0; shard < shards; ++shard) {
            capture host;
            dht::node_config cfg;
            cfg.shard = shard;
            cfg.shards = shards;
            cfg.seed = shard * 31u + shards;
            dht::node n(cfg, host, t0);
            for (int i = 0; i < 200; ++i) {
                dht::rpc_request req;
                req.to = client;
                req.internal = true;
                n.request(req, nullptr, 0);
            }
            ASSERT_EQ(host.out.size(), 80u) << "the congestion window admits 80 per slot";
            for (const auto& s : host.out) {
                auto q = dht::decode_request(s.bytes);
                ASSERT_TRUE(q);
                EXPECT_EQ(q->tid.value() % shards, shard);
            }
        }
    }
}

// Sequential tids let an off-path sender who saw one forge replies to the
// next (NAT sampling, the firewall test). Drawn from a keyed stream, the next
// tid is no better guessed after seeing the previous ones, and two nodes with
// different secrets draw different ones.
TEST(NodeTids, AreUnpredictableAndKeyedBySecret) {
    auto tids = [](std::uint8_t secret, std::uint16_t shard, std::uint16_t shards) {
        capture host;
        dht::node_config cfg;
        cfg.shard = shard;
        cfg.shards = shards;
        cfg.token_master.fill(secret);
        dht::node n(cfg, host, t0);
        for (int i = 0; i < 80; ++i) {
            dht::rpc_request req;
            req.to = client;
            req.internal = true;
            n.request(req, nullptr, 0);
        }
        std::vector<std::uint16_t> v;
        for (const auto& s : host.out) v.push_back(dht::decode_request(s.bytes)->tid.value());
        return v;
    };
    for (std::uint16_t shards : {1, 3}) {
        const auto a = tids(1, shards - 1, shards), b = tids(2, shards - 1, shards);
        ASSERT_EQ(a.size(), 80u);
        int successors = 0, same = 0;
        for (std::size_t i = 1; i < a.size(); ++i) successors += a[i] == static_cast<std::uint16_t>(a[i - 1] + shards);
        for (std::size_t i = 0; i < a.size(); ++i) same += a[i] == b[i];
        EXPECT_LE(successors, 2) << "a tid is not the one after the last";
        EXPECT_LE(same, 2) << "another secret draws other tids";
        EXPECT_EQ(std::set<std::uint16_t>(a.begin(), a.end()).size(), a.size()) << "tids in flight are distinct";
        EXPECT_EQ(tids(1, shards - 1, shards), a) << "the same secret and seed repeat (seeded tests)";
    }
}

// The firewall test counts a PING_NAT reply only when it reached the server
// socket. A peer that answers to the client socket instead (where the NAT lets
// it in), with a `to` naming our server port, must not make a firewalled node
// persistent; the same replies on the server socket do.
TEST(NodeFirewall, OnlyRepliesThatReachTheServerSocketPassTheTest) {
    const base::endpoint seen = *base::endpoint::parse("10.9.9.9:40000");  // our client socket, as peers see it
    std::vector<base::endpoint> peers;
    for (std::uint8_t i = 1; i <= 6; ++i) peers.push_back(base::endpoint::v4(10, 5, 0, i, 49737));
    for (bool honest : {true, false}) {
        SCOPED_TRACE(honest ? "replies on the server socket" : "replies on the client socket");
        capture host;
        dht::node_config cfg;
        cfg.mode = dht::persistence::at_bootstrap;
        cfg.bootstrap = {peers[0]};
        cfg.client_socket = true;
        cfg.server_port = 10001;
        dht::node n(cfg, host, t0);
        n.start(t0);
        base::mono_time now = t0;
        int nat_replies = 0;
        for (int step = 0; step < 400; ++step) {
            const auto out = std::move(host.out);
            host.out.clear();
            for (const auto& s : out) {
                auto q = dht::decode_request(s.bytes);
                if (!q) continue;
                const bool nat = q->internal && q->command == static_cast<std::uint64_t>(dht::internal_cmd::ping_nat);
                dht::response_out r;
                r.tid = q->tid;
                r.to = nat ? seen.with_port(cfg.server_port) : seen;  // what a PING_NAT reply claims
                const auto id = dht::id_of(s.to);
                r.id = &id;
                r.closer = peers;
                std::array<std::byte, 2048> buf;
                const auto len = dht::encode_response(buf, r);
                const std::uint16_t socket = nat ? (honest ? 0 : 1) : s.socket;
                nat_replies += nat;
                n.on_datagram(std::span(buf).first(len), s.to, socket, now);
            }
            now += 50ms;
            n.on_timer(now);
        }
        EXPECT_GT(nat_replies, 0) << "the node ran the firewall test";
        EXPECT_EQ(n.persistent(), honest);
        EXPECT_EQ(n.firewalled(), !honest);
    }
}

// A secondary shard learns the primary's identity even when every identity
// message was lost to a full ring: the primary resends at its next tick, and
// every full table sync carries the identity too.
TEST(NodeShards, ALostIdentityMessageHealsWithoutARestart) {
    struct ring_host final : dht::host {
        std::vector<std::pair<std::uint32_t, std::vector<std::byte>>> delivered;
        bool full = true;
        int refused = 0;
        void send(const base::endpoint&, std::span<const std::byte>, std::uint16_t) noexcept override {}
        bool post(std::uint16_t, std::uint32_t type, std::span<const std::byte> p) noexcept override {
            if (full) {
                ++refused;
                return false;
            }
            delivered.emplace_back(type, std::vector<std::byte>(p.begin(), p.end()));
            return true;
        }
    };
    for (bool sync_only : {false, true}) {
        SCOPED_TRACE(sync_only ? "healed by the table sync" : "healed by the resend");
        ring_host h0, h1;
        dht::node_config c0;
        c0.shards = 2;
        c0.mode = dht::persistence::public_address;
        c0.public_address = self_addr;
        dht::node primary(c0, h0, t0);
        // The secondary waits for the identity the primary reaches (as with a
        // learned address); the primary here is persistent from the start.
        dht::node_config c1 = c0;
        c1.shard = 1;
        c1.mode = dht::persistence::at_bootstrap;
        c1.public_address.reset();
        dht::node secondary(c1, h1, t0);
        primary.start(t0);
        secondary.start(t0);
        EXPECT_GT(h0.refused, 0);
        EXPECT_GT(primary.stats().get(dht::ctr::shard_messages_dropped), 0u) << "a dropped message is counted";
        ASSERT_TRUE(primary.persistent());
        EXPECT_FALSE(secondary.persistent());
        h0.full = false;
        base::mono_time now = t0;
        for (int tick = 0; tick < 20 && !secondary.persistent(); ++tick) {
            now += 5s;
            if (sync_only && tick == 0) {
                h0.full = true;  // the resend is lost too: only the minute's full sync is left
            } else if (sync_only) {
                h0.full = false;
            }
            while (primary.next_deadline() && *primary.next_deadline() <= now) primary.on_timer(now);
            for (auto& [type, payload] : h0.delivered) {
                if (sync_only && type == dht::msg_identity) continue;  // only the sync gets through
                secondary.on_message(type, payload, now);
            }
            h0.delivered.clear();
        }
        EXPECT_TRUE(secondary.persistent());
        ASSERT_TRUE(secondary.id());
        EXPECT_EQ(*secondary.id(), *primary.id());
    }
}

}  // namespace

namespace {

// Regression: rpc::on_timeout held a reference into a vector of entries while
// calling the client's on_retry, and a query's on_retry sends new requests,
// which grew the vector and left the reference dangling (found by ASan in the
// simulator). Entries now live in a slab whose elements never move.
TEST(NodeRpc, RetryCallbackMaySendManyNewRequests) {
    struct greedy final : dht::rpc_client {
        dht::node* n = nullptr;
        int retries = 0, failed = 0;
        void on_reply(std::uint64_t, const dht::rpc_reply&) noexcept override {}
        void on_fail(std::uint64_t, dht::rpc_fail, const dht::rpc_request&) noexcept override { ++failed; }
        void on_retry(std::uint64_t) noexcept override {
            ++retries;
            for (int i = 0; i < 1000; ++i) {
                dht::rpc_request req;
                req.to = client;
                req.internal = true;
                req.force = true;
                req.retries = 0;
                n->request(req, this, 1);
            }
        }
    };
    capture host;
    dht::node_config cfg;
    dht::node n(cfg, host, t0);
    n.start(t0);  // the 750 ms drain releases requests queued behind the congestion window
    greedy g;
    g.n = &n;
    dht::rpc_request req;
    req.to = client;
    req.internal = true;
    req.retries = 2;
    n.request(req, &g, 0);
    for (int ms = 100; ms <= 20000; ms += 100) n.on_timer(t0 + std::chrono::milliseconds(ms));
    EXPECT_EQ(g.retries, 2);
    EXPECT_EQ(g.failed, 1 + 2000) << "the first request and every one the retries sent timed out";
}

}  // namespace
