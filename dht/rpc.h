// dht/rpc.h -- outgoing requests (docs/protocol.md §2.7): transaction ids, retransmits,
// timeouts and the congestion window.
//
// Transaction ids name their shard: every tid this shard allocates satisfies
// tid % shards == shard, which is what the engine's steering rule (and its
// software fallback) uses to bring a response back to the shard waiting for
// it. A response is matched on (tid, source address).
//
// Each transmission waits `timeout` (1 s by default); a request is sent at
// most 1 + retries times with the same bytes and tid. The congestion window is
// the reference's: 4 slots rotated every 750 ms, a send counts in the current
// slot, an answer or timeout un-counts; full at 80 in the current slot or 160
// in all. Requests that find it full wait in a FIFO drained on each rotation
// (or right away when `force` is set).
//
// Thread safety: owned by one shard.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "base/endpoint.h"
#include "base/random.h"
#include "base/slab.h"
#include "base/time.h"
#include "base/timer_wheel.h"
#include "crypto/hash.h"
#include "dht/counters.h"
#include "dht/detail/timer_cookie.h"
#include "dht/host.h"
#include "dht/types.h"
#include "dht/wire.h"

namespace dht {

struct rpc_request {
    base::endpoint to;
    std::optional<node_id> to_id;  // when `to` is a routing-table node (evicted on timeout)
    bool internal = false;
    std::uint64_t command = 0;
    std::optional<target> tgt;
    std::optional<token> tok;
    std::optional<std::vector<std::byte>> value;
    std::uint8_t retries = 3;
    base::milliseconds timeout{1000};
    bool force = false;           // bypass the congestion window
    std::uint16_t socket = 0;     // local socket to send from
};

// What a client sees of a response. Views borrow the datagram.
struct rpc_reply {
    const response_view& res;
    base::endpoint from;
    std::optional<node_id> from_id;  // validated against `from`
    base::nanoseconds rtt;
    std::uint16_t socket = 0;  // the local socket it arrived on (0: the server socket)
};

enum class rpc_fail : std::uint8_t { timeout, cancelled };

class rpc_client {
public:
    virtual ~rpc_client() = default;
    virtual void on_reply(std::uint64_t cookie, const rpc_reply& r) noexcept = 0;
    virtual void on_fail(std::uint64_t cookie, rpc_fail why, const rpc_request& req) noexcept = 0;
    // A transmission timed out and the request will be retried.
    virtual void on_retry(std::uint64_t /*cookie*/) noexcept {}
};

struct rpc_handle {
    std::uint32_t slot = UINT32_MAX;
    std::uint32_t generation = 0;
};

class rpc {
public:
    static constexpr std::uint32_t max_window = 80;

    // tid_key keys the stream transaction ids are drawn from: secret, or
    // anyone who knows it predicts them.
    rpc(std::uint16_t shard, std::uint16_t shards, host& out, base::timer_wheel& wheel, const crypto::hash32& tid_key);

    // Queues or sends `req`. `self_id` is included in the frame when non-null
    // (a persistent node sending from its server socket). The client is called
    // exactly once: on_reply or on_fail (unless cancelled with notify=false).
    rpc_handle send(rpc_request req, rpc_client* client, std::uint64_t cookie, const node_id* self_id,
                    base::mono_time now);
    // Stops a request; on_fail(cancelled) is called when notify is set.
    void cancel(rpc_handle h, bool notify = false) noexcept;

    // The request a response from `from` answers: its slot, or UINT32_MAX when
    // none of ours matches (tid unknown, or answered from another address).
    [[nodiscard]] std::uint32_t match(const response_view& res, const base::endpoint& from) const noexcept;
    // Completes the matched request and calls its client.
    void complete(std::uint32_t slot, const response_view& res, const base::endpoint& from,
                  std::optional<node_id> from_id, std::uint16_t socket, base::mono_time now) noexcept;

    // A retransmit timer fired: `payload` is the payload of a
    // timer_kind::rpc cookie (dht/detail/timer_cookie.h) this rpc armed.
    void on_timeout(std::uint64_t payload, base::mono_time now) noexcept;
    // The 750 ms drain: rotates the window and sends what it now allows.
    void drain(base::mono_time now) noexcept;

    // Called for every request that times out, before its client (the node
    // evicts routing-table nodes that stopped answering).
    std::function<void(const rpc_request&)> on_any_timeout;

    [[nodiscard]] std::size_t inflight() const noexcept { return _active; }
    [[nodiscard]] bool window_full() const noexcept {
        return _total >= 2 * max_window || _window[_slot_i] >= max_window;
    }
    using stats = base::metrics::counter_set<rpc_ctr>;
    [[nodiscard]] const stats& counters() const noexcept { return _stats; }

private:
    struct entry {
        rpc_request req;
        std::vector<std::byte> bytes;  // the encoded datagram (kept for retransmits)
        rpc_client* client = nullptr;
        std::uint64_t cookie = 0;
        txn_id tid;
        std::uint8_t sent = 0;
        bool active = false;
        bool counted = false;  // counted in the congestion window
        std::uint32_t generation = 0;
        base::timer_handle timer;
        base::mono_time first_sent;
    };

    [[nodiscard]] txn_id next_tid() noexcept;
    void transmit(std::uint32_t slot, base::mono_time now) noexcept;
    void finish(std::uint32_t slot) noexcept;
    void congestion_send() noexcept;
    void congestion_recv() noexcept;

    const std::uint16_t _shard, _shards;
    host& _out;
    base::timer_wheel& _wheel;
    crypto::keystream _tid_stream;  // tids are drawn from it: one seen predicts none of the others
    std::uint32_t _tid_span;  // how many tids this shard owns
    std::vector<std::uint32_t> _by_tid;  // tid -> slot + 1 (0: free)
    base::slab<entry> _slots;  // stable: clients' callbacks may send more requests
    std::deque<std::uint32_t> _pending;  // waiting for the window
    std::size_t _active = 0;
    std::array<std::uint32_t, 4> _window{};
    std::uint32_t _slot_i = 0, _total = 0;
    stats _stats;
};

}  // namespace dht
