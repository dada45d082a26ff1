// Tests that cross threads: several shards, the rings between them, and flow
// steering. Part of the tsan preset.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "engine/engine.h"
#include "tests/engine/backend_param.h"
#include "tests/engine/udp_client.h"

namespace {

using namespace std::chrono_literals;

engine::config base_config(std::uint16_t shards) {
    engine::config c;
    c.shards = shards;
    c.backend = test::g_backend;
    c.sends = test::g_sends;
    c.binds = {base::endpoint::v4(127, 0, 0, 1, 0)};
    c.recv_buffers = 256;
    c.send_slots = 1024;
    c.ring_capacity = 64;
    return c;
}

struct running {
    std::unique_ptr<engine::engine> e;
    running(engine::config c, engine::handler_factory f) {
        auto r = engine::engine::create(std::move(c), std::move(f));
        EXPECT_TRUE(r) << (r ? "" : r.error());
        e = std::move(*r);
        auto s = e->start();
        EXPECT_TRUE(s) << (s ? "" : s.error());
    }
    ~running() {
        e->stop();
        e->join();
    }
    [[nodiscard]] base::endpoint addr() const { return e->bound().at(0); }
};

// Replies with the index of the shard that handled the datagram.
struct whoami final : engine::handler {
    void on_packet(engine::shard& s, const engine::datagram& d) noexcept override {
        std::byte b[3] = {d.data.empty() ? std::byte{0} : d.data[0], std::byte(s.id().value()),
                          std::byte(d.data.size() > 3 ? d.data[2] : std::byte{0})};
        s.send(d.from, b);
    }
};

engine::handler_factory make(auto make_one) {
    return [make_one](engine::shard& s) {
        std::vector<std::unique_ptr<engine::handler>> v;
        v.push_back(make_one(s));
        return v;
    };
}

TEST(Shards, KernelSpreadsFlowsOverEveryShard) {
    running r(base_config(2), make([](engine::shard&) { return std::make_unique<whoami>(); }));
    std::vector<std::unique_ptr<test::udp_client>> clients;
    for (int i = 0; i < 64; ++i) clients.push_back(std::make_unique<test::udp_client>());
    int seen[2] = {0, 0};
    for (auto& c : clients) {
        ASSERT_TRUE(c->send(r.addr(), "hi"));
        auto reply = c->recv(2s);
        ASSERT_TRUE(reply);
        ++seen[std::to_integer<int>((*reply)[1])];
    }
    // 64 distinct flows all hashing to one socket has probability 2^-63.
    EXPECT_GT(seen[0], 0);
    EXPECT_GT(seen[1], 0);
}

// Every shard posts `per_pair` numbered messages to every other shard, half of
// them too large for the inline buffer; each receiver checks order and content.
// The rings hold 64 entries, so producers meet a full ring and retry.
TEST(Shards, CrossShardMessagesArriveInOrderUnderBackPressure) {
    constexpr std::uint16_t n = 3;
    constexpr std::uint64_t per_pair = 20000;
    struct state {
        std::atomic<std::uint64_t> received{0};
        std::atomic<bool> bad{false};
    };
    static state st;
    st.received = 0;
    st.bad = false;
    struct talker final : engine::handler {
        std::uint64_t next_out[n] = {};
        std::uint64_t next_in[n] = {};
        void on_start(engine::shard& s) noexcept override { pump(s); }
        void pump(engine::shard& s) {
            for (std::uint16_t t = 0; t < n; ++t) {
                if (t == s.id().value()) continue;
                while (next_out[t] < per_pair) {
                    std::uint64_t k = next_out[t];
                    std::vector<std::byte> body(k % 2 ? 600 : 16, std::byte(k & 0xff));
                    if (!s.post(base::shard_id(t), 7, body, k)) break;  // full: retry on the next timer
                    ++next_out[t];
                }
            }
            bool done = true;
            for (std::uint16_t t = 0; t < n; ++t) done = done && (t == s.id().value() || next_out[t] == per_pair);
            if (!done) s.arm_timer(s.now() + 100us, 1);
        }
        void on_timer(engine::shard& s, std::uint64_t, base::mono_time) noexcept override { pump(s); }
        void on_packet(engine::shard&, const engine::datagram&) noexcept override {}
        void on_message(engine::shard&, const engine::message& m) noexcept override {
            auto from = m.source.value();
            std::uint64_t k = m.arg;
            auto b = m.bytes();
            bool ok = m.type == 7 && k == next_in[from] && b.size() == (k % 2 ? 600u : 16u) &&
                      b.front() == std::byte(k & 0xff) && b.back() == std::byte(k & 0xff);
            if (!ok) st.bad = true;
            ++next_in[from];
            st.received.fetch_add(1, std::memory_order_relaxed);
        }
    };
    running r(base_config(n), make([](engine::shard&) { return std::make_unique<talker>(); }));
    const std::uint64_t want = per_pair * n * (n - 1);
    for (int i = 0; i < 1000 && st.received.load() < want; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_EQ(st.received.load(), want);
    EXPECT_FALSE(st.bad.load());
    EXPECT_GT(r.e->total(engine::ctr::ring_full), 0u) << "the test should have filled a ring at least once";
}

// Datagrams that start with 0x13 carry their owning shard as (u16le at offset 2) % shards.
// Whichever socket the kernel picks, the owner must handle them: by the
// reuseport CBPF program, or by the software forward when that is off.
void check_steering(bool kernel) {
    auto cfg = base_config(2);
    cfg.steering = {.enabled = true, .first_byte = 0x13, .offset = 2, .kernel = kernel};
    running r(cfg, make([](engine::shard&) { return std::make_unique<whoami>(); }));
    if (kernel && !r.e->kernel_steering()) GTEST_SKIP() << "kernel refused SO_ATTACH_REUSEPORT_CBPF";
    std::vector<std::unique_ptr<test::udp_client>> clients;
    for (int i = 0; i < 32; ++i) clients.push_back(std::make_unique<test::udp_client>());
    int wrong = 0, total = 0;
    for (std::uint16_t tid = 0; tid < 8; ++tid) {
        for (auto& c : clients) {
            std::byte msg[6] = {std::byte{0x13}, std::byte{0}, std::byte(tid & 0xff), std::byte(tid >> 8),
                                std::byte{0}, std::byte{0}};
            ASSERT_TRUE(c->send(r.addr(), msg));
            auto reply = c->recv(2s);
            ASSERT_TRUE(reply);
            if (std::to_integer<int>((*reply)[1]) != tid % 2) ++wrong;
            ++total;
        }
    }
    EXPECT_EQ(wrong, 0) << "of " << total;
    if (kernel) {
        EXPECT_EQ(r.e->total(engine::ctr::steered_software), 0u) << "the kernel should have steered everything";
    } else {
        EXPECT_GT(r.e->total(engine::ctr::steered_software), 0u) << "with 32 flows some must land on the wrong shard";
    }
    // Requests (other first bytes) are not steered: they stay where the kernel put them.
    test::udp_client c;
    std::byte req[6] = {std::byte{0x03}, std::byte{0}, std::byte{1}, std::byte{0}, std::byte{0}, std::byte{0}};
    ASSERT_TRUE(c.send(r.addr(), req));
    EXPECT_TRUE(c.recv(2s));
}

TEST(Shards, KernelSteeringDeliversResponsesToTheirOwner) { check_steering(true); }
TEST(Shards, SoftwareSteeringForwardsResponsesToTheirOwner) { check_steering(false); }

TEST(Shards, PinsShardsToCpus) {
    auto cfg = base_config(2);
    cfg.cpus = {0, 1};
    running r(cfg, make([](engine::shard&) { return std::make_unique<whoami>(); }));
    test::udp_client c;
    ASSERT_TRUE(c.send(r.addr(), "x"));
    EXPECT_TRUE(c.recv(2s));
}

}  // namespace
