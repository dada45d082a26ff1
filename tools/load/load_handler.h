// tools/load/load_handler.h -- one shard of shoal-load.
//
// The shard owns `flows` sockets (distinct source addresses) and, on shard 0,
// the sockets of the fake nodes used to fill the target's routing table.
// Closed loop: every flow keeps `window` requests outstanding. Open loop: the
// shard sends rate/shards requests per second, spread over its flows, and
// sheds (counts, does not send) when 65535 are already outstanding. A request
// is matched by its transaction id on the socket it left from; one not
// answered within `timeout` counts as a timeout. Latencies go to per-command
// histograms that the main thread merges after the engine stops.
//
// Thread safety: handlers run on their shard; `shared` is read-only after
// start except the atomics, which the main thread writes (phase) and reads.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <vector>

#include "base/histogram.h"
#include "base/random.h"
#include "engine/counters.h"
#include "engine/handler.h"
#include "tools/load/commands.h"

namespace load {

enum class phase : std::uint8_t { warmup, measure, drain, done };

struct cmd_stats {
    engine::counter sent, replies, errors, timeouts;
    base::histogram latency_ns;  // written by the shard; read only after the engine stopped
};

struct shard_stats {
    std::array<cmd_stats, command_count> cmd;
    engine::counter shed;      // open loop: not sent, too many outstanding
    engine::counter foreign;   // datagrams that matched nothing we sent
    engine::counter populated; // fake nodes the target answered (shard 0)
};

struct plan {
    mix requests;
    std::vector<base::endpoint> targets;
    std::uint32_t flows = 64;       // per shard
    std::uint32_t window = 16;      // closed loop, per flow
    double rate_per_shard = 0;      // open loop when > 0
    base::nanoseconds timeout{base::milliseconds(1000)};
    std::size_t echo_bytes = 64;
    std::vector<base::endpoint> fake_nodes;  // shard 0's extra sockets, after its flows
    std::uint64_t seed = 1;
    std::atomic<phase> now_phase{phase::warmup};
    std::vector<shard_stats> stats;  // one per shard
};

class load_handler final : public engine::handler {
public:
    explicit load_handler(plan& p) : _plan(p) {}

    void on_start(engine::shard& s) noexcept override;
    void on_packet(engine::shard& s, const engine::datagram& d) noexcept override;
    void on_timer(engine::shard& s, std::uint64_t cookie, base::mono_time now) noexcept override;

private:
    struct inflight {
        std::int64_t sent_ns = 0;
        std::uint32_t generation = 0;
        std::uint16_t flow = 0;
        command cmd = command::ping;
        bool live = false;
        bool measured = false;
    };
    struct pending_timeout {
        std::int64_t sent_ns;
        std::uint16_t tid;
        std::uint32_t generation;
    };

    bool send_one(engine::shard& s, std::uint16_t flow) noexcept;
    void reply_as_fake_node(engine::shard& s, const engine::datagram& d) noexcept;
    void expire(engine::shard& s) noexcept;
    void pace(engine::shard& s) noexcept;
    [[nodiscard]] std::int64_t alloc_tid() noexcept;
    [[nodiscard]] bool sending() const noexcept {
        auto p = _plan.now_phase.load(std::memory_order_relaxed);
        return p == phase::warmup || p == phase::measure;
    }

    plan& _plan;
    shard_stats* _st = nullptr;
    base::prng _rnd{1};
    std::vector<inflight> _inflight = std::vector<inflight>(65536);
    std::uint32_t _next_tid = 0;
    std::uint32_t _live = 0;
    std::deque<pending_timeout> _timeouts;
    std::vector<std::uint16_t> _flow_target;  // flow -> target index
    std::vector<std::uint32_t> _flow_out;     // outstanding per flow (closed loop tops up to window)
    std::uint32_t _fake_first = 0, _fake_count = 0;
    // open loop
    base::mono_time _rate_start;
    double _rate_sent = 0;
    std::uint16_t _rr = 0;
};

}  // namespace load
