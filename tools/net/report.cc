#include "tools/net/report.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace net {

namespace {

using json = nlohmann::json;

double hops_mean(const std::vector<int>& h) {
    if (h.empty()) return 0;
    double sum = 0;
    for (int v : h) sum += v;
    return sum / static_cast<double>(h.size());
}

std::vector<double> sorted_hops(const std::vector<int>& h) {
    std::vector<double> v(h.begin(), h.end());
    std::sort(v.begin(), v.end());
    return v;
}

// Rounds to 3 decimals so the JSON stays readable.
double r3(double v) { return std::round(v * 1000.0) / 1000.0; }

std::uint64_t count_at(const json& j, const char* outer, const char* key) {
    if (!j.contains(outer) || !j[outer].is_object()) return 0;
    const auto& o = j[outer];
    return o.contains(key) && o[key].is_number_unsigned() ? o[key].get<std::uint64_t>() : 0;
}

// The loss the run really saw: the kernel's counters (process mode) or the
// send-side tosses (inproc), when there was any loss at all.
std::string measured_loss(const json& extra) {
    std::uint64_t dropped = count_at(extra, "netns_loss", "dropped"), seen = count_at(extra, "netns_loss", "udp_datagrams");
    const char* what = "kernel dropped";
    if (seen == 0) {
        dropped = count_at(extra, "nodes", "injected_drops_send");
        seen = dropped + count_at(extra, "nodes", "datagrams_sent");
        what = "nodes' sends dropped";
    }
    if (dropped == 0 || seen == 0) return {};
    char buf[160];
    std::snprintf(buf, sizeof buf, "          %s %llu of %llu datagrams (%.2f%%)\n", what,
                  static_cast<unsigned long long>(dropped), static_cast<unsigned long long>(seen),
                  100.0 * static_cast<double>(dropped) / static_cast<double>(seen));
    return buf;
}

}  // namespace

double quantile(const std::vector<double>& sorted, double q) noexcept {
    if (sorted.empty()) return 0;
    const double n = static_cast<double>(sorted.size());
    auto rank = static_cast<std::size_t>(std::ceil(q * n));
    if (rank < 1) rank = 1;
    if (rank > sorted.size()) rank = sorted.size();
    return sorted[rank - 1];
}

summary summarize(const liveness& truth, const std::vector<lookup_record>& records, std::size_t requested) {
    summary s;
    s.requested = requested;
    s.started = records.size();
    for (const auto& r : records) {
        if (!r.finished) {
            ++s.unfinished;
            continue;
        }
        ++s.finished;
        s.latency_ms.push_back(std::chrono::duration<double, std::milli>(r.end - r.start).count());
        if (!r.closest) {
            ++s.no_reply;
            continue;
        }
        s.hops.push_back(r.hops);
        const auto v = judge(truth, r);
        if (v.success) {
            ++s.succeeded;
        } else {
            ++s.wrong;
            ++s.wrong_rank[v.rank];
        }
    }
    std::sort(s.latency_ms.begin(), s.latency_ms.end());
    return s;
}

json to_json(const run_facts& f, const summary& s) {
    const auto hs = sorted_hops(s.hops);
    const auto& l = s.latency_ms;
    json j;
    j["network"] = {{"mode", f.mode}, {"nodes", f.nodes}, {"js", f.js}, {"seed", f.seed}};
    j["churn"] = {{"per_min", f.churn_per_min}, {"down_s", f.down_s}, {"kills", f.kills}, {"restarts", f.restarts},
                  {"unexpected_exits", f.unexpected_exits}};
    j["loss"] = {{"percent", f.loss_pct}, {"method", f.loss_method}};
    j["lookups"] = {{"requested", s.requested}, {"started", s.started}, {"finished", s.finished},
                    {"succeeded", s.succeeded}, {"wrong_node", s.wrong}, {"no_reply", s.no_reply},
                    {"unfinished", s.unfinished}, {"success_rate", r3(s.success_rate())},
                    {"settle_s", f.settle_s}, {"duration_s", f.duration_s}};
    json ranks = json::object();
    for (const auto& [rank, n] : s.wrong_rank) ranks[std::to_string(rank)] = n;
    j["lookups"]["wrong_node_rank"] = ranks;
    j["hops"] = {{"count", hs.size()}, {"mean", r3(hops_mean(s.hops))}, {"p50", quantile(hs, 0.5)},
                 {"max", hs.empty() ? 0.0 : hs.back()}};
    j["latency_ms"] = {{"count", l.size()}, {"p50", r3(quantile(l, 0.5))}, {"p90", r3(quantile(l, 0.9))},
                       {"p99", r3(quantile(l, 0.99))}, {"max", r3(l.empty() ? 0.0 : l.back())}};
    j["counters"] = f.extra;
    return j;
}

std::string failures_text(const liveness& truth, const std::vector<lookup_record>& records) {
    std::string out;
    for (std::size_t i = 0; i < records.size(); ++i) {
        const auto& r = records[i];
        const auto v = judge(truth, r);
        if (v.success) continue;
        const std::string expected = v.expected ? truth.addr(*v.expected).to_string() : "-";
        const std::string found = r.closest ? r.closest->to_string() : "nothing";
        char took[32] = "unfinished";
        if (r.finished) {
            std::snprintf(took, sizeof took, "%.1f ms", std::chrono::duration<double, std::milli>(r.end - r.start).count());
        }
        char buf[384];
        std::snprintf(buf, sizeof buf, "lookup %zu: target %.16s..., expected %s, found %s (rank %zu), %zu replies, %s%s%s\n",
                      i, base::to_hex(r.tgt).c_str(), expected.c_str(), found.c_str(), v.rank, r.replies, took,
                      r.error.empty() ? "" : ", ", r.error.c_str());
        out += buf;
    }
    return out;
}

std::string to_text(const run_facts& f, const summary& s) {
    const auto hs = sorted_hops(s.hops);
    const auto& l = s.latency_ms;
    std::string out;
    char buf[512];
    std::snprintf(buf, sizeof buf, "network   %zu %s node(s)%s, mode %s, seed %llu\n", f.nodes,
                  f.mode == "process" ? "shoald" : "in-process", f.js ? (" + " + std::to_string(f.js) + " JS").c_str() : "",
                  f.mode.c_str(), static_cast<unsigned long long>(f.seed));
    out += buf;
    if (f.churn_per_min > 0) {
        std::snprintf(buf, sizeof buf, "churn     %.2f node(s)/min, %.1f s down: %zu killed, %zu restarted\n",
                      f.churn_per_min, f.down_s, f.kills, f.restarts);
    } else {
        std::snprintf(buf, sizeof buf, "churn     none\n");
    }
    out += buf;
    if (f.unexpected_exits) out += "          " + std::to_string(f.unexpected_exits) + " node(s) exited on their own\n";
    if (f.loss_pct > 0) {
        std::snprintf(buf, sizeof buf, "loss      %.2f%% (%s)\n", f.loss_pct, f.loss_method.c_str());
    } else {
        std::snprintf(buf, sizeof buf, "loss      none\n");
    }
    out += buf;
    out += measured_loss(f.extra);
    std::snprintf(buf, sizeof buf,
                  "lookups   %zu/%zu found the closest live node (%.1f%%); %zu wrong node, %zu no reply, %zu unfinished\n",
                  s.succeeded, s.requested, 100.0 * s.success_rate(), s.wrong, s.no_reply, s.unfinished);
    out += buf;
    if (!s.wrong_rank.empty()) {
        out += "          the wrong nodes' ranks (2 = second closest live node):";
        for (const auto& [rank, n] : s.wrong_rank) out += " " + std::to_string(rank) + " x" + std::to_string(n);
        out += "\n";
    }
    std::snprintf(buf, sizeof buf, "hops      mean %.2f, p50 %.0f, max %.0f\n", hops_mean(s.hops), quantile(hs, 0.5),
                  hs.empty() ? 0.0 : hs.back());
    out += buf;
    std::snprintf(buf, sizeof buf, "latency   p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n", quantile(l, 0.5),
                  quantile(l, 0.9), quantile(l, 0.99), l.empty() ? 0.0 : l.back());
    out += buf;
    return out;
}

}  // namespace net
