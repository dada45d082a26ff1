// tools/net/report.h -- what shoal-net measured, as text and as JSON.
//
// summarize() judges every lookup against the ground truth and reduces them
// to a success rate, hop counts and latency percentiles. Percentiles are
// exact nearest-rank values over the samples (a run has at most a million
// lookups, so sorting them is cheap and needs no bucketed histogram).
// Thread safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tools/net/truth.h"

namespace net {

// The nearest-rank q-quantile (0 < q <= 1) of sorted samples; 0 when empty.
[[nodiscard]] double quantile(const std::vector<double>& sorted, double q) noexcept;

struct summary {
    std::size_t requested = 0;  // lookups planned
    std::size_t started = 0;    // lookups the client issued before the run ended
    std::size_t finished = 0;   // lookups whose query completed (ok or not)
    std::size_t succeeded = 0;  // found the ground-truth closest node (truth.h)
    std::size_t no_reply = 0;   // finished without a single reply carrying an id
    std::size_t wrong = 0;      // finished with a reply, but not the closest node
    std::size_t unfinished = 0; // still running when the run ended (counted as failed)
    // Wrong-node lookups by the rank of the node they found (2: the second closest).
    std::map<std::size_t, std::size_t> wrong_rank;
    // Hop counts of finished lookups with a reply; latencies (ms) of all finished lookups.
    std::vector<int> hops;
    std::vector<double> latency_ms;  // sorted
    [[nodiscard]] double success_rate() const noexcept {
        return requested ? static_cast<double>(succeeded) / static_cast<double>(requested) : 0.0;
    }
};

// REQUIRES: records.size() <= requested.
[[nodiscard]] summary summarize(const liveness& truth, const std::vector<lookup_record>& records, std::size_t requested);

// The network and what was done to it, for the report's header.
struct run_facts {
    std::string mode;  // "process" / "inproc"
    std::size_t nodes = 0, js = 0;
    double churn_per_min = 0, down_s = 0, loss_pct = 0;
    std::string loss_method;  // "none", "in-process injection", "netns + tc netem", "netns + nftables"
    double settle_s = 0, duration_s = 0;
    std::uint64_t seed = 0;
    std::size_t kills = 0, restarts = 0, unexpected_exits = 0;
    nlohmann::json extra = nlohmann::json::object();  // mode-specific counters
};

[[nodiscard]] nlohmann::json to_json(const run_facts& f, const summary& s);
// One line per failed lookup: target, the node expected, the node found, replies, time.
[[nodiscard]] std::string failures_text(const liveness& truth, const std::vector<lookup_record>& records);
[[nodiscard]] std::string to_text(const run_facts& f, const summary& s);

}  // namespace net
