// dht/query.h -- the iterative Kademlia query with an optional commit phase
// (docs/protocol.md §2.12; the reference's lib/query.js).
//
// A query walks towards `target`: it keeps a stack of candidates, at most
// `concurrency` (+1 per slow request) in flight, and the k closest successful
// replies that carried a verified id. A candidate is only queued while it is
// closer than the k-th best reply. The walk ends when nothing is pending and
// nothing (or only slow requests with k replies in hand) is in flight; then
// each of the closest replies is committed (e.g. ANNOUNCE with that node's
// token), and the query succeeds when at least one commit does.
//
// Replies with error 0 are reported to on_reply as they arrive. Values are
// copied out of the datagram. Thread safety: owned by one shard's node.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/endpoint.h"
#include "dht/ids.h"
#include "dht/rpc.h"
#include "dht/types.h"

namespace dht {

struct query_reply {
    base::endpoint from;
    std::optional<node_id> from_id;
    base::endpoint to;  // our address as the replier saw it
    std::optional<token> tok;
    std::uint64_t error = 0;
    std::optional<std::vector<std::byte>> value;
    std::vector<base::endpoint> closer;
    base::nanoseconds rtt{0};
    std::uint8_t depth = 0;  // referral hops from the seeds to the replier (seeds are 0)
};

struct query_result {
    bool ok = false;
    std::string error;  // why it failed ("Too few nodes responded", ...)
    std::size_t successes = 0, errors = 0;
    std::size_t commits_ok = 0, commits_failed = 0;
    std::vector<query_reply> closest;  // the closest replies, nearest first
};

// Builds the commit request sent to one of the closest replies (nullopt:
// that reply is counted as a failed commit).
using commit_fn = std::function<std::optional<rpc_request>(const query_reply&)>;

struct query_spec {
    target tgt;
    bool internal = false;
    std::uint64_t command = 0;
    std::optional<std::vector<std::byte>> value;
    std::size_t concurrency = 10;
    std::uint8_t retries = 5;
    // Background queries (bootstrap, refresh) run at `concurrency` but go up
    // to `full_concurrency` whenever fewer than 3 requests are in flight.
    bool background = false;
    std::size_t full_concurrency = 10;
    std::vector<base::endpoint> seeds;  // explicit starting nodes (else table + bootstrap)
    commit_fn commit;              // empty: no commit phase
    std::function<void(const query_reply&)> on_reply;
    std::function<void(const query_result&)> on_done;
};

// What a query needs from its node.
class query_env {
public:
    virtual ~query_env() = default;
    virtual rpc& requests() noexcept = 0;
    [[nodiscard]] virtual const node_id* request_id() const noexcept = 0;  // our id when persistent
    [[nodiscard]] virtual const node_id& table_id() const noexcept = 0;
    [[nodiscard]] virtual std::size_t k() const noexcept = 0;
    // Up to out.size() closest routing-table nodes to t.
    virtual std::size_t closest_nodes(const target& t, std::span<base::endpoint> out) noexcept = 0;
    [[nodiscard]] virtual const std::vector<base::endpoint>& bootstrap_nodes() const noexcept = 0;
    virtual id_cache& ids() noexcept = 0;
    // Sends DOWN_HINT(down) to `to` if the per-tick budget allows.
    virtual void down_hint(const base::endpoint& to, const base::endpoint& down) noexcept = 0;
    [[nodiscard]] virtual base::mono_time now() const noexcept = 0;
    [[nodiscard]] virtual std::uint16_t request_socket() const noexcept = 0;
    // The query has finished (on_done was called); the node may destroy it.
    virtual void query_finished(std::uint64_t id) noexcept = 0;
};

class query final : public rpc_client {
public:
    query(query_env& env, std::uint64_t id, query_spec spec);
    ~query() override;
    query(const query&) = delete;
    query& operator=(const query&) = delete;

    void start() noexcept;
    // Stops the query; on_done reports "cancelled".
    void cancel() noexcept;
    void set_concurrency(std::size_t c) noexcept { _spec.concurrency = c; }
    [[nodiscard]] std::size_t inflight() const noexcept { return _inflight; }
    [[nodiscard]] bool done() const noexcept { return _done; }
    [[nodiscard]] const query_spec& spec() const noexcept { return _spec; }

    void on_reply(std::uint64_t cookie, const rpc_reply& r) noexcept override;
    void on_fail(std::uint64_t cookie, rpc_fail why, const rpc_request& req) noexcept override;
    void on_retry(std::uint64_t cookie) noexcept override;

private:
    struct candidate {
        base::endpoint addr;
        node_id id;
        std::uint8_t depth = 0;
    };
    struct seen_state {
        enum class phase : std::uint8_t { queued, visited, down } state = phase::queued;
        std::vector<base::endpoint> referrers;
    };
    struct visit {
        rpc_handle h;
        std::uint8_t depth = 0;
        bool slow = false;
        bool commit = false;
        bool live = false;
    };

    [[nodiscard]] bool is_closer(const node_id& id) const noexcept;
    bool add_pending(const candidate& c, const base::endpoint* referrer);
    void add_from_table();
    void read_more() noexcept;
    void visit_node(const candidate& c) noexcept;
    void push_closest(query_reply&& r);
    void flush() noexcept;
    void finish(bool ok, std::string error) noexcept;
    void end_visit(std::uint64_t cookie) noexcept;

    query_env& _env;
    const std::uint64_t _id;
    query_spec _spec;
    std::vector<candidate> _pending;
    std::unordered_map<std::uint64_t, seen_state> _seen;  // endpoint key -> state
    std::vector<query_reply> _closest;
    std::vector<visit> _visits;  // cookie = index
    std::size_t _inflight = 0, _slow = 0;
    std::size_t _successes = 0, _errors = 0;
    const std::size_t _background_concurrency;
    bool _slowdown = false, _from_table = false, _committing = false, _done = false;
    std::size_t _commits_pending = 0, _commits_ok = 0, _commits_failed = 0;
};

}  // namespace dht
