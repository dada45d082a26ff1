#include "tools/daemon/daemon.h"

#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>

#include "crypto/batch_verify.h"
#include "hyperdht/hyperdht.h"
#include "tools/daemon/control_routes.h"
#include "tools/daemon/service_notify.h"
#include "tools/daemon/table_snapshot.h"
#include "tools/metrics.h"
#include "tools/node_service.h"
#include "tools/version.h"

namespace tools::daemon {

namespace {

// Datagrams dropped as malformed at any layer: too large for the engine, not
// dht-rpc (and not UDX or a holepunch probe), or a dht-rpc frame that failed to decode.
std::uint64_t malformed(const node_service& svc) {
    return svc.total(engine::ctr::drop_oversize) + svc.other().junk.load() + svc.total(dht::ctr::drop_too_short) +
           svc.total(dht::ctr::drop_too_long) + svc.total(dht::ctr::drop_bad_type) + svc.total(dht::ctr::drop_truncated) +
           svc.total(dht::ctr::drop_bad_field);
}

std::string status_line(const node_service& svc) {
    auto st = svc.status();
    const store::store_stats sto = svc.store_totals();
    char buf[1024];
    std::snprintf(buf, sizeof buf,
                  "%s%s, table %zu, public %s, rx %llu req / %llu res, tx %llu, dropped %llu malformed, "
                  "%llu unknown-command, %llu bad-token; stored %llu announces; relayed handshakes %llu from-client "
                  "%llu from-relay %llu from-server, holepunches %llu from-client %llu from-server (%llu rate-limited); "
                  "store %zu records in %zu topics, %zu routes, %zu values (%zu KiB), %zu refresh links, "
                  "%llu evicted, %llu expired",
                  st.persistent ? "persistent" : "ephemeral", st.firewalled ? " (firewalled)" : "", st.table_size,
                  st.public_address ? st.public_address->to_string().c_str() : "unknown",
                  static_cast<unsigned long long>(svc.total(dht::ctr::rx_requests)),
                  static_cast<unsigned long long>(svc.total(dht::ctr::rx_responses)),
                  static_cast<unsigned long long>(svc.total(engine::ctr::tx_datagrams)),
                  static_cast<unsigned long long>(malformed(svc)),
                  static_cast<unsigned long long>(svc.total(dht::ctr::unknown_command)),
                  static_cast<unsigned long long>(svc.total(dht::ctr::token_invalid)),
                  static_cast<unsigned long long>(svc.total(dht::hctr::announce)),
                  static_cast<unsigned long long>(svc.total(dht::hctr::handshake_from_client)),
                  static_cast<unsigned long long>(svc.total(dht::hctr::handshake_from_relay)),
                  static_cast<unsigned long long>(svc.total(dht::hctr::handshake_from_server)),
                  static_cast<unsigned long long>(svc.total(dht::hctr::holepunch_from_client)),
                  static_cast<unsigned long long>(svc.total(dht::hctr::holepunch_from_server)),
                  static_cast<unsigned long long>(svc.total(dht::hctr::drop_relay_rate_limited)), sto.records,
                  sto.topics, sto.routes, sto.mutables + sto.immutables, sto.value_bytes / 1024, sto.refreshes,
                  static_cast<unsigned long long>(sto.evicted), static_cast<unsigned long long>(sto.expired));
    return buf;
}

// Every non-zero metric (engine, dht-rpc, HyperDHT, store, verification),
// summed over the shards, as name=value.
std::string counters_line(const node_service& svc) {
    std::string out;
    auto put = [&](std::string_view name, std::uint64_t v) {
        if (!v) return;
        if (!out.empty()) out += ' ';
        out += name;
        out += '=';
        out += std::to_string(v);
    };
    for_each_total(svc.metrics_source(), put);
    put("udx", svc.other().udx.load(std::memory_order_relaxed));
    put("probes", svc.other().probes.load(std::memory_order_relaxed));
    put("junk", svc.other().junk.load(std::memory_order_relaxed));
    return out.empty() ? "none" : out;
}

dht::hyperdht_config hyperdht_config_of(const options& o) {
    dht::hyperdht_config hcfg;
    hcfg.limits.record_ttl = base::seconds(static_cast<std::int64_t>(o.record_ttl * 60));
    hcfg.limits.route_ttl = hcfg.limits.record_ttl;
    hcfg.limits.value_ttl = base::seconds(static_cast<std::int64_t>(o.value_ttl * 3600));
    hcfg.limits.max_records = o.max_records;
    hcfg.limits.max_values = o.max_values;
    hcfg.limits.max_value_bytes = o.max_value_mib << 20;
    hcfg.relay_per_second = o.relay_rate;
    hcfg.relay_burst = 2 * o.relay_rate;
    hcfg.batch_verify = o.verify == "batch";
    hcfg.verify_batch = o.verify_batch;
    hcfg.verify_delay = base::microseconds(o.verify_delay_us);
    return hcfg;
}

// The control listener's address, or nothing when it is off.
struct control_address {
    std::string host;
    std::uint16_t port = 0;
};

// A checked configuration: what the service runs, and the options it came from.
struct config {
    options o;
    node_service_config svc;
    std::uint64_t network = 0;  // of the bootstrap list (table_snapshot.h)
    std::optional<control_address> control;
    std::string token;  // from control_token_file
};

base::result<std::optional<control_address>, std::string> control_of(const std::string& s) {
    if (s == "off") return std::optional<control_address>{};
    auto e = base::endpoint::parse(s);
    if (!e) return base::fail("control (--control): '" + s + "' is not IPV4:PORT or off");
    const std::string text = e->to_string();
    return std::optional<control_address>{control_address{text.substr(0, text.rfind(':')), e->port()}};
}

// Checks the options; an error is a message for the user (exit status 2).
base::result<config, std::string> make_config(const options& o) {
    if (!crypto::set_batch_verify_backend(o.verify_backend)) {
        return base::fail("verify_backend (--verify-backend): " + o.verify_backend + " is not supported by this CPU");
    }
    if (o.ephemeral && o.adaptive) return base::fail(std::string("ephemeral (--ephemeral) and adaptive (--adaptive) exclude each other"));
    config c{o, {}, {}, {}};
    node_service_config& cfg = c.svc;
    auto bind = base::endpoint::parse_host(o.host, o.port);
    if (!bind) return base::fail("host (--host): '" + o.host + "' is not an IPv4 address");
    cfg.bind = *bind;
    cfg.shards = o.shards;
    cfg.cpus = o.cpus;
    cfg.backend = o.backend == "io_uring" ? engine::backend_kind::io_uring
                  : o.backend == "epoll"  ? engine::backend_kind::epoll
                                          : engine::backend_kind::automatic;
    if (!o.public_host.empty()) {
        if (o.ephemeral) return base::fail(std::string("public_host (--public-host) makes a persistent node; it cannot be ephemeral"));
        const std::uint16_t pport = o.public_port ? o.public_port : o.port;
        if (pport == 0) return base::fail(std::string("public_host (--public-host) needs a known port: give port or public_port"));
        auto pub = base::endpoint::parse_host(o.public_host, pport);
        if (!pub || pub->v4_u32() == 0) return base::fail("public_host (--public-host): '" + o.public_host + "' is not a usable IPv4 address");
        cfg.public_address = *pub;
        cfg.mode = dht::persistence::public_address;
    } else if (o.public_port) {
        return base::fail(std::string("public_port (--public-port) needs public_host"));
    } else {
        cfg.mode = o.ephemeral ? dht::persistence::never : o.adaptive ? dht::persistence::adaptive : dht::persistence::at_bootstrap;
    }
    for (const auto& b : o.bootstrap) {
        if (b.empty()) continue;
        auto e = resolve_endpoint(b);
        if (!e) return base::fail("bootstrap (--bootstrap): " + e.error());
        cfg.bootstrap.push_back(*e);
    }
    cfg.hyperdht = hyperdht_config_of(o);
    c.network = network_of(cfg.bootstrap);
    if (!o.state_dir.empty()) {
        if (auto d = prepare_state_dir(o.state_dir); !d) return base::fail("state_dir (--state-dir): " + d.error());
    }
    cfg.state_dir = o.state_dir;
    cfg.store_flush = std::chrono::milliseconds(o.store_flush_ms);
    auto ctl = control_of(o.control);
    if (!ctl) return base::fail(ctl.error());
    c.control = *ctl;
    if (!o.control_token_file.empty()) {
        auto t = control::read_token_file(o.control_token_file);
        if (!t) return base::fail("control_token_file (--control-token-file): " + t.error());
        c.token = *t;
    }
    return c;
}

const char* persistence_text(dht::persistence m) {
    switch (m) {
        case dht::persistence::public_address: return "public address (persistent from the start)";
        case dht::persistence::at_bootstrap: return "at bootstrap, when reachable";
        case dht::persistence::adaptive: return "adaptive, after stable uptime";
        case dht::persistence::never: return "never (ephemeral)";
    }
    return "?";
}

// The nodes of the saved routing table, to be pinged at start (empty when
// there is none or it cannot be used; the log says which).
std::vector<base::endpoint> known_nodes(const config& c) {
    if (c.o.state_dir.empty()) return {};
    bool missing = false;
    auto s = load_snapshot(c.o.state_dir, c.network, &missing);
    if (!s) {
        if (missing) {
            spdlog::info("no routing table snapshot in {} yet", c.o.state_dir);
        } else {
            spdlog::warn("routing table snapshot skipped: {}", s.error());
        }
        return {};
    }
    std::vector<base::endpoint> out;
    for (const auto& n : s->nodes) {
        if (c.svc.public_address && n.addr == *c.svc.public_address) continue;
        out.push_back(n.addr);
    }
    const auto age = std::max<std::int64_t>(0, std::time(nullptr) - static_cast<std::int64_t>(s->written_unix_s));
    spdlog::info("routing table snapshot: {} nodes, saved {} s ago; pinging them before use", out.size(), age);
    return out;
}

// Saves the primary's table (as of its last tick). An empty table does not
// replace a saved one: an isolated node keeps what it knew.
void save_table(const config& c, const node_service& s) {
    if (c.o.state_dir.empty()) return;
    const auto t0 = std::chrono::steady_clock::now();
    const table_copy t = s.table();
    if (t.nodes.empty()) return;
    table_snapshot snap;
    snap.network = c.network;
    snap.written_unix_s = static_cast<std::uint64_t>(std::time(nullptr));
    for (const auto& n : t.nodes) {
        if (n.addr.is_v4()) snap.nodes.push_back({n.id, n.addr});
    }
    if (auto r = save_snapshot(c.o.state_dir, snap); !r) {
        spdlog::error("routing table snapshot not saved: {}", r.error());
        return;
    }
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
    spdlog::debug("routing table snapshot: {} nodes saved in {} us", snap.nodes.size(), us.count());
}

// Applies what SIGHUP may change (the keys marked when::reload); logs each
// change, and each other key that changed, which waits for a restart.
void apply_reload(config& running, const options& next, control_context& ctx) {
    options& o = running.o;
    for (const auto& k : keys()) {
        const std::string was = control::detail::toml_of(o, k), now = control::detail::toml_of(next, k);
        if (was == now) continue;
        if (k.changes == control::when::reload) {
            spdlog::info("SIGHUP: {} {} -> {}", k.name, was, now);
        } else {
            spdlog::warn("SIGHUP: {} changed to {}; it applies at the next restart", k.name, now);
        }
    }
    spdlog::set_level(spdlog::level::from_str(next.log_level));
    ctx.ready_min_nodes.store(next.ready_min_nodes);
    o.log_level = next.log_level;
    o.stats_interval = next.stats_interval;
    o.ready_min_nodes = next.ready_min_nodes;
    o.snapshot_interval = next.snapshot_interval;
    ctx.jobs->reset_interval(main_routine::snapshot, next.snapshot_interval);
    ctx.jobs->reset_interval(main_routine::status_line, next.stats_interval);
}

// Serves until SIGINT or SIGTERM: logs a new identity, the status line every
// stats_interval, the counters on SIGUSR1, and reloads on SIGHUP.
void serve(config& c, const run_request& r, char** env, node_service& s, control_context& ctx, sigset_t& sigs) {
    bool was_persistent = c.svc.public_address.has_value();
    service_notify systemd;
    for (;;) {
        // Wake at least every second to notice a new identity, sooner for a
        // watchdog ping; signals end the wait at once.
        const auto wait = systemd.wait(std::chrono::milliseconds(1000));
        timespec ts{static_cast<time_t>(wait.count() / 1000), static_cast<long>(wait.count() % 1000) * 1'000'000};
        const int sig = sigtimedwait(&sigs, nullptr, &ts);
        if (sig == SIGINT || sig == SIGTERM) {
            spdlog::info("signal {}: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
            systemd.stopping();
            break;
        }
        if (sig == SIGUSR1) spdlog::info("counters: {}", counters_line(s));
        if (sig == SIGHUP) {
            systemd.reloading();
            auto next = reload(r, env);
            if (!next) {
                spdlog::error("SIGHUP: keeping the running settings: {}", next.error());
            } else {
                spdlog::info("SIGHUP: re-read {}", r.config_file.empty() ? "the environment" : r.config_file);
                apply_reload(c, *next, ctx);
            }
            systemd.reloaded();
        }
        auto st = s.status();
        systemd.poll(s, not_ready_reason(st, ctx.ready_min_nodes.load()));
        if (st.persistent && !was_persistent && st.id) {
            spdlog::info("now persistent: public address {}, id {}",
                         st.public_address ? st.public_address->to_string() : "?", base::to_hex(*st.id));
        }
        was_persistent = st.persistent;
        if (ctx.jobs->due(main_routine::snapshot)) save_table(c, s);
        if (ctx.jobs->due(main_routine::status_line)) spdlog::info("{}", status_line(s));
    }
}

// Logs what the node did, after it has stopped.
void log_stopped(const node_service& s) {
    spdlog::info("stopped: {}", status_line(s));
    spdlog::info("counters: {}", counters_line(s));
    using crypto::verify_ctr;
    if (const std::uint64_t items = s.total(verify_ctr::items)) {
        const std::uint64_t batches = s.total(verify_ctr::batches), single = s.total(verify_ctr::single_items);
        spdlog::info("signatures: {} checked in {} batches (mean {:.1f}), {} alone, {} batches needed a search, "
                     "key cache {} hits of {}", items, batches,
                     batches ? static_cast<double>(items - single) / static_cast<double>(batches) : 0.0, single,
                     s.total(verify_ctr::fallbacks), s.total(verify_ctr::key_hits), s.total(verify_ctr::key_lookups));
    }
}

void log_started(const config& c, const node_service& s) {
    spdlog::info("shoald {} listening on {} with {} shard(s), backend {}{}", tools::version, s.bound().to_string(),
                 c.o.shards, engine::to_string(s.backend()),
                 c.o.shards > 1 ? (s.kernel_steering() ? ", kernel steering" : ", software steering") : "");
    spdlog::info("signature checks: {}, arithmetic {}", c.o.verify, crypto::batch_verify_backend());
    if (c.svc.public_address) {
        spdlog::info("persistent bootstrap node, public address {}, id {}", c.svc.public_address->to_string(),
                     base::to_hex(dht::id_of(*c.svc.public_address)));
    } else if (c.svc.bootstrap.empty()) {
        spdlog::warn("no bootstrap and no public_host: this node can only wait to be contacted");
    }
}

}  // namespace

int check(const check_request& c, char** env) {
    auto o = load(c.file, env);
    if (o) {
        auto cfg = make_config(*o);
        if (!cfg) o = base::fail(c.file + ": " + cfg.error());
    }
    if (!o) {
        std::fprintf(stderr, "shoald: %s\n", o.error().c_str());
        return 2;
    }
    std::printf("%s: ok\n", c.file.c_str());
    return 0;
}

int run(const run_request& r, char** env) {
    auto made = make_config(r.o);
    if (!made) {
        std::fprintf(stderr, "shoald: %s\n(try shoald --help)\n", made.error().c_str());
        return 2;
    }
    config c = std::move(*made);
    spdlog::set_default_logger(spdlog::stderr_color_mt("shoald"));
    spdlog::set_level(spdlog::level::from_str(c.o.log_level));
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
    sigset_t sigs;
    sigemptyset(&sigs);
    for (int s : {SIGINT, SIGTERM, SIGUSR1, SIGHUP}) sigaddset(&sigs, s);
    pthread_sigmask(SIG_BLOCK, &sigs, nullptr);  // inherited by every thread; handled in serve()

    if (!r.config_file.empty()) spdlog::info("settings from {}", r.config_file);
    c.svc.known_nodes = known_nodes(c);
    auto svc = node_service::start(c.svc);
    if (!svc) {
        spdlog::error("cannot start: {}", svc.error());
        return 1;
    }
    auto& s = **svc;
    log_started(c, s);
    if (!s.persist_summary().empty()) {
        if (s.persist_damaged()) {
            spdlog::warn("{}", s.persist_summary());
        } else {
            spdlog::info("{}", s.persist_summary());
        }
    }
    control_context ctx;
    ctx.svc = &s;
    ctx.started = std::chrono::steady_clock::now();
    ctx.started_wall = std::chrono::system_clock::now();
    ctx.ready_min_nodes.store(c.o.ready_min_nodes);
    ctx.config_file = r.config_file;
    ctx.persistence = persistence_text(c.svc.mode);
    routines jobs(s, c.o.snapshot_interval, c.o.stats_interval);
    ctx.jobs = &jobs;
    std::unique_ptr<control::http_listener> listener;
    if (c.control) {
        auto l = control::http_listener::start(c.control->host, c.control->port, control_routes(ctx), c.token);
        if (!l) {
            spdlog::error("cannot start: {}", l.error());
            s.stop();
            return 1;
        }
        listener = std::move(*l);
        spdlog::info("control listener on http://{}:{}/ (metrics, healthz, readyz, status, routing-table)",
                     c.control->host, listener->port());
    }

    serve(c, r, env, s, ctx, sigs);
    if (listener) listener->stop();
    save_table(c, s);
    s.stop();
    log_stopped(s);
    return 0;
}

}  // namespace tools::daemon
