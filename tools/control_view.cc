#include "tools/control_view.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "base/endpoint.h"
#include "control/http_client.h"
#include "control/prometheus.h"

namespace tools {

namespace {

using json = nlohmann::json;
constexpr auto timeout = std::chrono::milliseconds(3000);

std::string label_of(const control::sample& s, std::string_view key) {
    for (const auto& [k, v] : s.labels) {
        if (k == key) return v;
    }
    return {};
}

bool starts(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends(std::string_view s, std::string_view p) { return s.size() >= p.size() && s.substr(s.size() - p.size()) == p; }

// The key `shoal top` files a sample under, or empty to leave it out.
std::string key_of(const control::sample& s) {
    const std::string& n = s.name;
    if (n == "shoal_dht_requests_total" || n == "shoal_hyperdht_requests_total") return "requests " + label_of(s, "command");
    if (starts(n, "shoal_") && ends(n, "_total") && n.find("_dropped_") != std::string::npos) {
        const std::string layer = n.substr(6, n.find('_', 6) - 6);
        return "drops " + layer + " " + label_of(s, "reason");
    }
    if (n == "shoal_port_other_datagrams_total" && label_of(s, "kind") == "junk") return "drops port junk";
    if (n == "shoal_store_entries") return "store " + label_of(s, "kind");
    if (n == "shoal_store_topics") return "store topics";
    if (n == "shoal_store_value_bytes") return "store value_bytes";
    if (n == "shoal_node_table_nodes") return "table nodes";
    if (n == "shoal_node_reached_nodes") return "table reached";
    if (n == "shoal_node_ready") return "node ready";
    if (n == "shoal_node_uptime_seconds") return "node uptime";
    if (n == "shoal_engine_received_datagrams_total") return "io rx";
    if (n == "shoal_engine_sent_datagrams_total") return "io tx";
    if (n == "shoal_dht_rpc_rtt_seconds_sum") return "rtt sum";
    if (n == "shoal_dht_rpc_rtt_seconds_count") return "rtt count";
    if (n == "shoal_dht_rpc_timeouts_total") return "rpc timeouts";
    return {};
}

base::result<std::string, std::string> get(const control_target& t, const std::string& path, int* status = nullptr) {
    auto r = control::http_get(t.host, t.port, path, timeout);
    if (!r) return base::fail(r.error());
    if (status) *status = r->status;
    return r->body;
}

std::string num(double v) {
    char buf[32];
    if (v >= 1e6) {
        std::snprintf(buf, sizeof buf, "%.2fM", v / 1e6);
    } else if (v >= 1e4) {
        std::snprintf(buf, sizeof buf, "%.1fk", v / 1e3);
    } else if (v == static_cast<double>(static_cast<long long>(v))) {
        std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
    } else {
        std::snprintf(buf, sizeof buf, "%.1f", v);
    }
    return buf;
}

}  // namespace

base::result<control_target, std::string> parse_control_target(const std::string& s) {
    auto e = base::endpoint::parse(s);
    if (!e || !e->is_v4() || e->port() == 0) return base::fail("--control '" + s + "' is not IPV4:PORT");
    const std::string text = e->to_string();
    return control_target{text.substr(0, text.rfind(':')), e->port()};
}

int control_status(const control_target& t, bool as_json) {
    auto body = get(t, "/status");
    if (!body) {
        std::fprintf(stderr, "shoal: %s\n", body.error().c_str());
        return 1;
    }
    json j = json::parse(*body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        std::fprintf(stderr, "shoal: %s:%u/status is not a JSON object\n", t.host.c_str(), t.port);
        return 1;
    }
    if (as_json) {
        std::printf("%s\n", j.dump(2).c_str());
    } else {
        for (const auto& [k, v] : j.items()) std::printf("%-18s %s\n", k.c_str(), v.is_string() ? v.get<std::string>().c_str() : v.dump().c_str());
    }
    return j.value("ready", false) ? 0 : 3;
}

base::result<std::map<std::string, double>, std::string> top_figures(const std::string& metrics) {
    auto samples = control::parse_samples(metrics);
    if (!samples) return base::fail(samples.error());
    std::map<std::string, double> out;
    for (const auto& s : *samples) {
        const std::string k = key_of(s);
        if (!k.empty()) out[k] += s.value;
    }
    return out;
}

std::string render_top(const control_target& t, const top_frame& f) {
    const auto total = [&](const std::string& k) { auto i = f.totals.find(k); return i == f.totals.end() ? 0.0 : i->second; };
    const auto rate = [&](const std::string& k) { auto i = f.rates.find(k); return i == f.rates.end() ? 0.0 : i->second; };
    std::string out;
    char line[256];
    std::snprintf(line, sizeof line, "shoald %s:%u  %s  up %s s  table %s nodes (%s reached in the last minute)\n",
                  t.host.c_str(), t.port, total("node ready") > 0 ? "READY" : "NOT READY", num(total("node uptime")).c_str(),
                  num(total("table nodes")).c_str(), num(total("table reached")).c_str());
    out += line;
    const double rtt_n = rate("rtt count");
    std::snprintf(line, sizeof line, "datagrams  rx %s/s  tx %s/s   requests out: mean rtt %s ms, %s timeouts/s\n",
                  num(rate("io rx")).c_str(), num(rate("io tx")).c_str(),
                  rtt_n > 0 ? num(1000 * rate("rtt sum") / rtt_n).c_str() : "-", num(rate("rpc timeouts")).c_str());
    out += line;
    out += "\nrequests served            /s        total\n";
    for (const auto& [k, v] : f.totals) {
        if (!starts(k, "requests ") || v == 0) continue;
        std::snprintf(line, sizeof line, "  %-20s %10s %12s\n", k.substr(9).c_str(), num(rate(k)).c_str(), num(v).c_str());
        out += line;
    }
    out += "\ndrops by reason            /s        total\n";
    bool any = false;
    for (const auto& [k, v] : f.totals) {
        if (!starts(k, "drops ") || v == 0) continue;
        any = true;
        std::snprintf(line, sizeof line, "  %-20s %10s %12s\n", k.substr(6).c_str(), num(rate(k)).c_str(), num(v).c_str());
        out += line;
    }
    if (!any) out += "  none\n";
    std::snprintf(line, sizeof line, "\nstore  %s records in %s topics, %s routes, %s mutable, %s immutable (%s KiB)\n",
                  num(total("store record")).c_str(), num(total("store topics")).c_str(), num(total("store route")).c_str(),
                  num(total("store mutable")).c_str(), num(total("store immutable")).c_str(),
                  num(total("store value_bytes") / 1024).c_str());
    out += line;
    return out;
}

int control_top(const control_target& t, unsigned frames) {
    const bool tty = ::isatty(STDOUT_FILENO) != 0;
    std::map<std::string, double> prev;
    auto prev_at = std::chrono::steady_clock::now();
    for (unsigned shown = 0; frames == 0 || shown < frames;) {
        auto body = get(t, "/metrics");
        if (!body) {
            std::fprintf(stderr, "shoal: %s\n", body.error().c_str());
            return 1;
        }
        auto figures = top_figures(*body);
        if (!figures) {
            std::fprintf(stderr, "shoal: %s:%u/metrics: %s\n", t.host.c_str(), t.port, figures.error().c_str());
            return 1;
        }
        const auto now = std::chrono::steady_clock::now();
        if (!prev.empty()) {
            top_frame f;
            f.totals = *figures;
            const double dt = std::chrono::duration<double>(now - prev_at).count();
            for (const auto& [k, v] : *figures) {
                auto p = prev.find(k);
                f.rates[k] = p == prev.end() || dt <= 0 ? 0.0 : (v - p->second) / dt;
            }
            if (tty) std::fputs("\x1b[H\x1b[2J", stdout);
            std::fputs(render_top(t, f).c_str(), stdout);
            if (!tty) std::fputs("--\n", stdout);
            std::fflush(stdout);
            ++shown;
        }
        prev = std::move(*figures);
        prev_at = now;
        if (frames == 0 || shown < frames) std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    return 0;
}

}  // namespace tools
