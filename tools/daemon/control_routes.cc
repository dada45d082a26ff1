#include "tools/daemon/control_routes.h"

#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/fixed_bytes.h"
#include "control/prometheus.h"
#include "tools/metrics.h"
#include "tools/version.h"

namespace tools::daemon {

namespace {

using json = nlohmann::json;
using control::http_request;
using control::http_response;
using base::metrics::kind;

constexpr double tick_seconds = 5;

double uptime_s(const control_context& ctx) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - ctx.started).count();
}

// The process's own figures, by the Prometheus client conventions.
void add_process_metrics(control::exposition& x, const control_context& ctx) {
    const double start = std::chrono::duration<double>(ctx.started_wall.time_since_epoch()).count();
    x.add("process_start_time_seconds", kind::gauge, "Start time of the process since unix epoch in seconds.", {},
          start);
    std::ifstream stat("/proc/self/stat");
    std::string s((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const auto close = s.rfind(')');
    if (close == std::string::npos) return;
    std::istringstream in(s.substr(close + 2));
    std::string field;
    double utime = 0, stime = 0, rss_pages = 0;
    for (int i = 3; i <= 24 && in >> field; ++i) {
        if (i == 14) utime = std::stod(field);
        if (i == 15) stime = std::stod(field);
        if (i == 24) rss_pages = std::stod(field);
    }
    const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
    x.add("process_cpu_seconds_total", kind::counter, "Total user and system CPU time spent in seconds.", {},
          (utime + stime) / hz);
    x.add("process_resident_memory_bytes", kind::gauge, "Resident memory size in bytes.", {},
          rss_pages * static_cast<double>(sysconf(_SC_PAGESIZE)));
}

void add_node_metrics(control::exposition& x, const control_context& ctx) {
    const node_status st = ctx.svc->status();
    x.add("shoal_build_info", kind::gauge, "Always 1; the version label says which shoald this is.",
          {{"version", tools::version}}, 1);
    x.add("shoal_node_uptime_seconds", kind::gauge, "Seconds since shoald started.", {}, uptime_s(ctx));
    x.add("shoal_node_persistent", kind::gauge, "1 when the node has a DHT id and stores values.", {},
          st.persistent ? 1 : 0);
    x.add("shoal_node_firewalled", kind::gauge, "1 while the node believes it is behind a firewall.", {},
          st.firewalled ? 1 : 0);
    x.add("shoal_node_bootstrapped", kind::gauge, "1 once the bootstrap query has finished.", {},
          st.bootstrapped ? 1 : 0);
    x.add("shoal_node_table_nodes", kind::gauge, "Nodes in the routing table.", {},
          static_cast<double>(st.table_size));
    x.add("shoal_node_reached_nodes", kind::gauge, "Table nodes that reached this node in the last minute.", {},
          static_cast<double>(st.reached_recently));
    x.add("shoal_node_ready", kind::gauge, "1 when /readyz answers 200.", {},
          not_ready_reason(st, ctx.ready_min_nodes.load()).empty() ? 1 : 0);
    const other_traffic& o = ctx.svc->other();
    constexpr std::string_view other_help = "Datagrams on the DHT port that are not dht-rpc, by kind.";
    x.add("shoal_port_other_datagrams_total", kind::counter, other_help, {{"kind", "udx"}},
          static_cast<double>(o.udx.load(std::memory_order_relaxed)));
    x.add("shoal_port_other_datagrams_total", kind::counter, other_help, {{"kind", "probe"}},
          static_cast<double>(o.probes.load(std::memory_order_relaxed)));
    x.add("shoal_port_other_datagrams_total", kind::counter, other_help, {{"kind", "junk"}},
          static_cast<double>(o.junk.load(std::memory_order_relaxed)));
}

http_response text(int status, std::string body) { return {status, "text/plain; charset=utf-8", std::move(body)}; }

http_response json_response(const json& j) { return {200, "application/json", j.dump(2) + "\n"}; }

json status_json(const control_context& ctx) {
    const node_status st = ctx.svc->status();
    const store::store_stats sto = ctx.svc->store_totals();
    json j;
    j["version"] = tools::version;
    j["id"] = st.id ? json(base::to_hex(*st.id)) : json(nullptr);
    j["bound"] = ctx.svc->bound().to_string();
    j["public_address"] = st.public_address ? json(st.public_address->to_string()) : json(nullptr);
    j["persistent"] = st.persistent;
    j["persistence"] = ctx.persistence;
    j["firewalled"] = st.firewalled;
    j["bootstrapped"] = st.bootstrapped;
    const std::string why = not_ready_reason(st, ctx.ready_min_nodes.load());
    j["ready"] = why.empty();
    if (!why.empty()) j["not_ready_because"] = why;
    j["shards"] = ctx.svc->shards();
    j["backend"] = engine::to_string(ctx.svc->backend());
    j["uptime_seconds"] = uptime_s(ctx);
    j["config_file"] = ctx.config_file.empty() ? json(nullptr) : json(ctx.config_file);
    j["table"] = {{"nodes", st.table_size}, {"reached_last_minute", st.reached_recently}};
    j["store"] = {{"topics", sto.topics},       {"records", sto.records},   {"routes", sto.routes},
                  {"mutables", sto.mutables},   {"immutables", sto.immutables}, {"value_bytes", sto.value_bytes},
                  {"refresh_links", sto.refreshes}, {"evicted", sto.evicted}, {"expired", sto.expired}};
    return j;
}

json table_json(const control_context& ctx) {
    const table_copy t = ctx.svc->table();
    json nodes = json::array();
    const auto age = [&](std::uint64_t at) { return static_cast<double>(t.tick - at) * tick_seconds; };
    for (const auto& e : t.nodes) {
        nodes.push_back({{"id", base::to_hex(e.id)},
                         {"address", e.addr.to_string()},
                         {"added_seconds_ago", age(e.added)},
                         {"seen_seconds_ago", age(e.seen)},
                         {"reached_seconds_ago", e.reached ? json(age(e.reached)) : json(nullptr)}});
    }
    return {{"tick", t.tick}, {"tick_seconds", tick_seconds}, {"size", t.nodes.size()}, {"nodes", std::move(nodes)}};
}

json routine_json(const routine_info& r) {
    return {{"name", r.name},
            {"where", r.where},
            {"what", r.what},
            {"enabled", r.enabled},
            {"interval_seconds", r.interval_s},
            {"last_run_seconds_ago", r.last_run_s_ago ? json(*r.last_run_s_ago) : json(nullptr)}};
}

std::string param(const http_request& q, const std::string& key) {
    for (const auto& [k, v] : q.params) {
        if (k == key) return v;
    }
    return {};
}

}  // namespace

std::string not_ready_reason(const node_status& st, unsigned min_nodes) {
    if (!st.bootstrapped) return "not bootstrapped yet";
    if (st.reached_recently < min_nodes) {
        return std::to_string(st.reached_recently) + " of " + std::to_string(st.table_size) +
               " table nodes reached this node in the last minute; ready needs " + std::to_string(min_nodes);
    }
    return {};
}

std::string metrics_text(const control_context& ctx) {
    control::exposition x;
    for_each_metric(ctx.svc->metrics_source(), [&](const base::metrics::def& d, std::uint16_t shard, std::uint64_t v) {
        x.add(d, {{"shard", std::to_string(shard)}}, v);
    });
    add_node_metrics(x, ctx);
    add_process_metrics(x, ctx);
    return x.text();
}

std::vector<control::route> control_routes(control_context& ctx) {
    std::vector<control::route> r;
    r.push_back({"GET", "/metrics", false, [&ctx](const http_request&) {
                     return http_response{200, std::string(control::content_type), metrics_text(ctx)};
                 }});
    r.push_back({"GET", "/healthz", false, [](const http_request&) { return text(200, "ok\n"); }});
    r.push_back({"GET", "/readyz", false, [&ctx](const http_request&) {
                     const std::string why = not_ready_reason(ctx.svc->status(), ctx.ready_min_nodes.load());
                     return why.empty() ? text(200, "ready\n") : text(503, "not ready: " + why + "\n");
                 }});
    r.push_back({"GET", "/status", false, [&ctx](const http_request&) { return json_response(status_json(ctx)); }});
    r.push_back(
        {"GET", "/routing-table", false, [&ctx](const http_request&) { return json_response(table_json(ctx)); }});
    r.push_back({"GET", "/routines", false, [&ctx](const http_request&) {
                     json list = json::array();
                     for (const auto& x : ctx.jobs->list()) list.push_back(routine_json(x));
                     return json_response(list);
                 }});
    r.push_back({"POST", "/routines/", true, [&ctx](const http_request& q) {
                     const std::string name = q.path.substr(std::string("/routines/").size());
                     auto done = ctx.jobs->change(name, param(q, "action"), param(q, "interval"));
                     if (!done) return text(done.error().rfind("no routine", 0) == 0 ? 404 : 400, done.error() + "\n");
                     return json_response(routine_json(*done));
                 }});
    return r;
}

}  // namespace tools::daemon
