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
#include "base/spsc_ring.h"
#include "crypto/sign.h"
#include "dht/types.h"
#include "dht/wire.h"
#include "engine/counters.h"
#include "tools/live_counter.h"
#include "engine/handler.h"
#include "tools/load/commands.h"

namespace load {

enum class phase : std::uint8_t { preload, warmup, measure, drain, done };

struct cmd_stats {
    tools::live_counter sent, replies, errors, timeouts;
    base::histogram latency_ns;  // written by the shard; read only after the engine stopped
};

struct shard_stats {
    std::array<cmd_stats, command_count> cmd;
    tools::live_counter preloaded;   // preload announces acknowledged
    tools::live_counter starved;     // an announce was due but no signed item was ready
    tools::live_counter stale;       // a signed item's token was too old to send
    tools::live_counter shed;      // open loop: not sent, too many outstanding
    tools::live_counter foreign;   // datagrams that matched nothing we sent
    tools::live_counter populated; // fake nodes the target answered (shard 0)
};

// A pre-signed ANNOUNCE value, made by the signer thread for one flow with
// the token that flow holds (docs/protocol.md §3.3: the signature covers the storing
// node's id and the token it issued to our source IP).
struct signed_item {
    std::uint16_t topic = 0;
    std::uint8_t len = 0;
    std::int64_t token_ns = 0;  // when the token it was signed with was issued
    dht::token tok;
    std::array<std::byte, 160> value;
};

// What a flow shares with the signer: its current token (written by the
// shard, 4 words + a version) and a ring of announces signed with it.
struct flow_shared {
    std::atomic<std::uint64_t> version{0};  // odd while the shard writes
    std::array<std::atomic<std::uint64_t>, 4> token{};
    std::atomic<std::int64_t> token_ns{0};
    base::spsc_ring<signed_item> ready{512};
    // Reads a consistent token; false while none has been fetched yet.
    bool read_token(dht::token& t, std::int64_t& issued) const noexcept;
    void write_token(const dht::token& t, std::int64_t issued) noexcept;
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
    // Storage commands: the topics, key pairs and value size they use.
    std::vector<dht::target> topics;
    std::vector<crypto::keypair> keys;
    std::size_t value_bytes = 64;
    std::uint64_t preload = 0;  // announces to acknowledge before measuring
    std::vector<std::unique_ptr<flow_shared>> flows_shared;  // [shard * flows + flow]
    [[nodiscard]] bool needs_tokens() const noexcept;
    std::uint64_t seed = 1;
    std::atomic<phase> now_phase{phase::warmup};
    std::atomic<std::uint64_t> preload_acked{0};
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
        bool token_fetch = false;  // a LOOKUP sent only for its token
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
        return p == phase::preload || p == phase::warmup || p == phase::measure;
    }
    void fetch_tokens(engine::shard& s) noexcept;
    std::size_t build(engine::shard& s, command c, std::uint16_t flow, std::span<std::byte> buf, dht::request_out& q) noexcept;

    plan& _plan;
    shard_stats* _st = nullptr;
    base::prng _rnd{1};
    std::vector<inflight> _inflight = std::vector<inflight>(65536);
    std::uint32_t _next_tid = 0;
    std::uint32_t _live = 0;
    std::deque<pending_timeout> _timeouts;
    std::vector<std::uint16_t> _flow_target;  // flow -> target index
    std::vector<std::uint32_t> _flow_out;     // outstanding per flow (closed loop tops up to window)
    base::mono_time _tokens_at;               // last token refresh
    // Announces already sent, re-sent while their token is fresh when the
    // signer cannot keep up (a re-announce is a refresh the node verifies in
    // full); not used while preloading, which needs distinct records.
    std::vector<std::vector<signed_item>> _recycle;
    std::vector<std::uint32_t> _recycle_next;
    std::uint32_t _fake_first = 0, _fake_count = 0;
    // open loop
    base::mono_time _rate_start;
    double _rate_sent = 0;
    std::uint16_t _rr = 0;
};

}  // namespace load
