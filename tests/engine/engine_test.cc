#include "engine/engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "tests/engine/backend_param.h"
#include "tests/engine/udp_client.h"

namespace {

using namespace std::chrono_literals;
using test::bytes_of;

engine::config base_config(std::uint16_t shards = 1) {
    engine::config c;
    c.shards = shards;
    c.backend = test::g_backend;
    c.sends = test::g_sends;
    c.binds = {base::endpoint::v4(127, 0, 0, 1, 0)};
    c.recv_buffers = 256;
    c.send_slots = 1024;
    return c;
}

// Echoes every datagram back to its sender.
struct echo_handler final : engine::handler {
    void on_packet(engine::shard& s, const engine::datagram& d) noexcept override { s.send(d.from, d.data, d.socket); }
};

struct running {
    std::unique_ptr<engine::engine> e;
    explicit running(std::unique_ptr<engine::engine> eng) : e(std::move(eng)) {
        auto r = e->start();
        EXPECT_TRUE(r) << (r ? "" : r.error());
    }
    ~running() {
        e->stop();
        e->join();
    }
    [[nodiscard]] base::endpoint addr() const { return e->bound().at(0); }
};

running start(engine::config c, engine::handler_factory f) {
    auto e = engine::engine::create(std::move(c), std::move(f));
    EXPECT_TRUE(e) << (e ? "" : e.error());
    return running(std::move(*e));
}

engine::handler_factory make_echo() {
    return [](engine::shard&) {
        std::vector<std::unique_ptr<engine::handler>> v;
        v.push_back(std::make_unique<echo_handler>());
        return v;
    };
}

// A datagram that wakes a sleeping shard carries the time it was delivered,
// not the time the shard went to sleep: round trips measured from d.now (a
// lookup's latency, rpc timeouts) once read as 0 whenever the reply arrived
// during the wait.
TEST(Engine, ADatagramThatWakesTheShardCarriesTheTimeItArrived) {
    struct stamp_handler final : engine::handler {
        std::atomic<std::int64_t>* at = nullptr;
        void on_packet(engine::shard&, const engine::datagram& d) noexcept override { at->store(base::to_ns(d.now)); }
    };
    std::atomic<std::int64_t> at{0};
    auto r = start(base_config(), [&at](engine::shard&) {
        auto h = std::make_unique<stamp_handler>();
        h->at = &at;
        std::vector<std::unique_ptr<engine::handler>> v;
        v.push_back(std::move(h));
        return v;
    });
    test::udp_client c;
    std::this_thread::sleep_for(50ms);  // nothing to do: the shard sleeps in its backend
    const std::int64_t sent = base::to_ns(base::mono_clock::now());
    ASSERT_TRUE(c.send(r.addr(), "wake"));
    for (int i = 0; i < 200 && at.load() == 0; ++i) std::this_thread::sleep_for(10ms);
    ASSERT_NE(at.load(), 0) << "the datagram never arrived";
    EXPECT_GE(at.load(), sent) << "stamped " << (sent - at.load()) / 1000 << " us before it was sent";
}

TEST(Engine, ChoosesTheRequestedBackend) {
    auto r = start(base_config(), make_echo());
    EXPECT_EQ(r.e->backend(), test::g_backend);
}

// Sends leave from send-only twins of the receive sockets; the reuseport
// program must never hand a datagram to one (nothing reads them), whichever
// flow it comes from.
TEST(Engine, SendOnlySocketsNeverReceive) {
    auto r = start(base_config(), make_echo());
    EXPECT_TRUE(r.e->separate_send_sockets()) << "the kernel refused the reuseport program";
    std::vector<std::unique_ptr<test::udp_client>> clients;
    for (int i = 0; i < 64; ++i) clients.push_back(std::make_unique<test::udp_client>());
    for (auto& c : clients) {
        for (int k = 0; k < 4; ++k) {
            ASSERT_TRUE(c->send(r.addr(), "flow"));
            ASSERT_TRUE(c->recv(2s)) << "a datagram went to a socket nobody reads";
        }
    }
}

TEST(Engine, EchoesDatagramsOnLoopback) {
    auto r = start(base_config(), make_echo());
    test::udp_client c;
    constexpr int n = 500;
    int got = 0;
    for (int i = 0; i < n; ++i) {
        std::string msg = "ping " + std::to_string(i);
        ASSERT_TRUE(c.send(r.addr(), msg));
        auto reply = c.recv(2s);
        ASSERT_TRUE(reply) << "no reply to datagram " << i;
        EXPECT_EQ(std::string(reinterpret_cast<const char*>(reply->data()), reply->size()), msg);
        ++got;
    }
    EXPECT_EQ(got, n);
    EXPECT_GE(r.e->total(engine::ctr::rx_datagrams), std::uint64_t{n});
    EXPECT_GE(r.e->total(engine::ctr::tx_datagrams), std::uint64_t{n});
}

// A handler's own counters, published by the shard (base/metrics.h).
enum class echo_ctr : std::uint8_t { echoed, echoed_bytes, count_ };
constexpr std::array<base::metrics::def, 2> echo_defs{{
    {"echoed", "shoal_test_echoed_total", base::metrics::kind::counter, "Datagrams echoed."},
    {"echoed_bytes", "shoal_test_echoed_bytes_total", base::metrics::kind::counter, "Bytes echoed."},
}};
constexpr std::span<const base::metrics::def> metric_defs(echo_ctr) noexcept { return echo_defs; }

struct counting_echo final : engine::handler {
    base::metrics::counter_set<echo_ctr> ctr;
    void on_start(engine::shard& s) noexcept override { s.publish_metrics(ctr); }
    void on_packet(engine::shard& s, const engine::datagram& d) noexcept override {
        ctr.inc(echo_ctr::echoed);
        ctr.inc(echo_ctr::echoed_bytes, d.data.size());
        s.send(d.from, d.data, d.socket);
    }
};

// What a shard counted is readable from another thread once the shard has
// gone idle (it publishes before it may sleep), and exactly after stop.
TEST(Engine, HandlerCountersArePublishedWhenTheShardIdlesAndAtStop) {
    auto r = start(base_config(2), [](engine::shard&) {
        std::vector<std::unique_ptr<engine::handler>> v;
        v.push_back(std::make_unique<counting_echo>());
        return v;
    });
    test::udp_client c;
    constexpr int n = 40;
    for (int i = 0; i < n; ++i) {
        ASSERT_TRUE(c.send(r.addr(), "12345"));
        ASSERT_TRUE(c.recv(2s)) << i;
    }
    // The echo left before the shard published (sends go out in the poll that
    // follows the publish), so the last count may take one more loop: poll briefly.
    const auto until = std::chrono::steady_clock::now() + 2s;
    while (r.e->total(echo_ctr::echoed) < n && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(1ms);
    EXPECT_EQ(r.e->total(echo_ctr::echoed), std::uint64_t{n});
    EXPECT_EQ(r.e->total(echo_ctr::echoed_bytes), std::uint64_t{5 * n});
    r.e->stop();
    r.e->join();
    EXPECT_EQ(r.e->total(echo_ctr::echoed), std::uint64_t{n});
    EXPECT_GE(r.e->total(engine::ctr::rx_datagrams), std::uint64_t{n});
    for (std::uint16_t s = 0; s < r.e->shard_count(); ++s) {
        EXPECT_TRUE(r.e->shard_at(s).metric_block(0).is<engine::ctr>()) << "block 0 is the engine's own";
        EXPECT_EQ(r.e->shard_at(s).metric_blocks(), 2u);
    }
}

TEST(Engine, BurstLargerThanBufferRingIsFullyEchoed) {
    // 16 provided buffers and a burst of 3000 datagrams: buffers must be
    // recycled after each handler returns (and re-armed after ENOBUFS).
    auto cfg = base_config();
    cfg.recv_buffers = 16;
    auto r = start(cfg, make_echo());
    test::udp_client c;
    constexpr int n = 3000;
    for (int i = 0; i < n; ++i) ASSERT_TRUE(c.send(r.addr(), "burst"));
    int got = 0;
    while (got < n && c.recv(2s)) ++got;
    EXPECT_EQ(got, n);
}

TEST(Engine, DropsOversizeDatagramsAndCountsThem) {
    auto r = start(base_config(), make_echo());
    test::udp_client c;
    std::string max(engine::max_datagram, 'x');
    std::string too_big(engine::max_datagram + 1, 'x');
    std::string huge(9000, 'y');
    ASSERT_TRUE(c.send(r.addr(), too_big));
    ASSERT_TRUE(c.send(r.addr(), huge));
    ASSERT_TRUE(c.send(r.addr(), max));
    auto reply = c.recv(2s);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->size(), engine::max_datagram);
    EXPECT_FALSE(c.recv(100ms));
    EXPECT_EQ(r.e->total(engine::ctr::drop_oversize), 2u);
}

TEST(Engine, ClassifierRoutesKindsAndDropsTheRest) {
    struct tag_handler final : engine::handler {
        std::string tag;
        explicit tag_handler(std::string t) : tag(std::move(t)) {}
        void on_packet(engine::shard& s, const engine::datagram& d) noexcept override { s.send(d.from, bytes_of(tag)); }
    };
    auto cfg = base_config();
    cfg.classify = [](std::span<const std::byte> d) noexcept -> std::uint8_t {
        if (d.size() >= 2 && d[0] == std::byte{0x03}) return 0;
        if (d.size() == 1 && d[0] == std::byte{0x00}) return 1;
        return engine::drop_kind;
    };
    auto r = start(cfg, [](engine::shard&) {
        std::vector<std::unique_ptr<engine::handler>> v;
        v.push_back(std::make_unique<tag_handler>("rpc"));
        v.push_back(std::make_unique<tag_handler>("probe"));
        return v;
    });
    test::udp_client c;
    auto ask = [&](std::string payload) -> std::string {
        c.send(r.addr(), payload);
        auto reply = c.recv(300ms);
        return reply ? std::string(reinterpret_cast<const char*>(reply->data()), reply->size()) : "";
    };
    EXPECT_EQ(ask(std::string("\x03\x01", 2)), "rpc");
    EXPECT_EQ(ask(std::string(1, '\0')), "probe");
    EXPECT_EQ(ask("\xff\x01 udx"), "");
    EXPECT_EQ(r.e->total(engine::ctr::drop_unclassified), 1u);
}

TEST(Engine, SendQueueFullIsCountedNotFatal) {
    struct flood final : engine::handler {
        void on_packet(engine::shard& s, const engine::datagram& d) noexcept override {
            for (int i = 0; i < 64; ++i) s.send(d.from, d.data);
        }
    };
    auto cfg = base_config();
    cfg.send_slots = 8;
    auto r = start(cfg, [](engine::shard&) {
        std::vector<std::unique_ptr<engine::handler>> v;
        v.push_back(std::make_unique<flood>());
        return v;
    });
    test::udp_client c;
    c.send(r.addr(), "x");
    int got = 0;
    while (c.recv(300ms)) ++got;
    EXPECT_EQ(got, 8);
    EXPECT_EQ(r.e->total(engine::ctr::send_queue_full), 56u);
    c.send(r.addr(), "again");  // slots came back
    EXPECT_TRUE(c.recv(1s));
}

TEST(Engine, TimersFireAfterTheirDeadlineAndCancelledOnesDoNot) {
    struct timer_handler final : engine::handler {
        std::atomic<int>* fired;
        std::atomic<bool>* early;
        std::map<std::uint64_t, base::mono_time> due;
        timer_handler(std::atomic<int>* f, std::atomic<bool>* e) : fired(f), early(e) {}
        void on_start(engine::shard& s) noexcept override {
            for (std::uint64_t i = 1; i <= 20; ++i) {
                auto at = s.now() + std::chrono::milliseconds(5 * i);
                due[i] = at;
                auto h = s.arm_timer(at, i);
                if (i % 4 == 0) s.cancel_timer(h);
            }
        }
        void on_packet(engine::shard&, const engine::datagram&) noexcept override {}
        void on_timer(engine::shard&, std::uint64_t cookie, base::mono_time now) noexcept override {
            if (now < due[cookie] || cookie % 4 == 0) early->store(true);
            fired->fetch_add(1);
        }
    };
    std::atomic<int> fired{0};
    std::atomic<bool> bad{false};
    auto r = start(base_config(), [&](engine::shard&) {
        std::vector<std::unique_ptr<engine::handler>> v;
        v.push_back(std::make_unique<timer_handler>(&fired, &bad));
        return v;
    });
    for (int i = 0; i < 200 && fired.load() < 15; ++i) std::this_thread::sleep_for(10ms);
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(fired.load(), 15);
    EXPECT_FALSE(bad.load());
}

TEST(Engine, SecondEngineOnTheSamePortFailsClearly) {
    auto r = start(base_config(), make_echo());
    auto cfg = base_config();
    cfg.binds = {r.addr()};
    auto second = engine::engine::create(cfg, make_echo());
    ASSERT_FALSE(second);
    EXPECT_NE(second.error().find("Address already in use"), std::string::npos) << second.error();
    EXPECT_NE(second.error().find(r.addr().to_string()), std::string::npos) << second.error();
}

// Regression: io_uring tears a ring down asynchronously, so a multishot recv
// still armed at exit kept the socket bound and a node restarted at once on
// the same port failed with "Address already in use". The backend now cancels
// and reaps its requests before it goes.
TEST(Engine, RestartOnTheSamePortSucceedsImmediately) {
    base::endpoint addr;
    {
        auto r = start(base_config(2), make_echo());
        addr = r.addr();
        test::udp_client c;
        ASSERT_TRUE(c.send(addr, "x"));
        ASSERT_TRUE(c.recv(2s));
    }
    for (int round = 0; round < 3; ++round) {
        auto cfg = base_config(2);
        cfg.binds = {addr};
        auto e = engine::engine::create(cfg, make_echo());
        ASSERT_TRUE(e) << "round " << round << ": " << e.error();
        ASSERT_TRUE((*e)->start());
        test::udp_client c;
        ASSERT_TRUE(c.send(addr, "x"));
        EXPECT_TRUE(c.recv(2s));
        (*e)->stop();
        (*e)->join();
    }
}

TEST(Engine, StopsPromptlyAndCallsOnStop) {
    struct stop_handler final : engine::handler {
        std::atomic<int>* stopped;
        explicit stop_handler(std::atomic<int>* s) : stopped(s) {}
        void on_packet(engine::shard&, const engine::datagram&) noexcept override {}
        void on_stop(engine::shard&) noexcept override { stopped->fetch_add(1); }
    };
    std::atomic<int> stopped{0};
    auto e = engine::engine::create(base_config(2), [&](engine::shard&) {
        std::vector<std::unique_ptr<engine::handler>> v;
        v.push_back(std::make_unique<stop_handler>(&stopped));
        return v;
    });
    ASSERT_TRUE(e);
    ASSERT_TRUE((*e)->start());
    std::this_thread::sleep_for(20ms);
    auto t0 = std::chrono::steady_clock::now();
    (*e)->stop();
    (*e)->join();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
    EXPECT_EQ(stopped.load(), 2);
}

TEST(Engine, RejectsBadConfiguration) {
    auto cfg = base_config();
    cfg.shards = 0;
    EXPECT_FALSE(engine::engine::create(cfg, make_echo()));
    cfg = base_config();
    cfg.ring_capacity = 100;
    EXPECT_FALSE(engine::engine::create(cfg, make_echo()));
    cfg = base_config();
    cfg.binds.clear();
    EXPECT_FALSE(engine::engine::create(cfg, make_echo()));
}

}  // namespace
