// shoald -- the shoal DHT node.
//
//   shoald --host 127.0.0.1 --port 10001 --public-host 127.0.0.1     # a bootstrap node
//   shoald --host 127.0.0.1 --port 10002 --public-host 127.0.0.1 --bootstrap 127.0.0.1:10001
//
// Exit status: 0 after SIGINT/SIGTERM, 1 when the node cannot start, 2 for
// bad command-line input. SIGUSR1 logs every non-zero counter (also logged
// at stop).
#include <CLI/CLI.hpp>
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <variant>
#include <vector>

#include "crypto/batch_verify.h"
#include "hyperdht/hyperdht.h"
#include "tools/metrics.h"
#include "tools/node_service.h"
#include "tools/version.h"

namespace {

struct options {
    std::string host = "0.0.0.0";
    std::uint16_t port = 49737;
    std::string public_host;
    std::uint16_t public_port = 0;
    std::vector<std::string> bootstrap;
    std::uint16_t shards = 1;
    std::vector<int> cpus;
    bool ephemeral = false;
    bool adaptive = false;
    std::string backend = "auto";
    unsigned stats_interval = 60;
    std::string log_level = "info";
    double record_ttl_min = 20;
    double value_ttl_hours = 48;
    std::size_t max_records = 1'000'000;
    std::size_t max_values = 250'000;
    std::size_t max_value_mib = 256;
    double relay_rate = 200;
    std::string verify = "batch";
    std::string verify_backend = "auto";
    std::size_t verify_batch = 64;
    unsigned verify_delay_us = 500;
};

int usage_error(const std::string& msg) {
    std::fprintf(stderr, "shoald: %s\n(try shoald --help)\n", msg.c_str());
    return 2;
}

// Datagrams dropped as malformed at any layer: too large for the engine, not
// dht-rpc (and not UDX or a holepunch probe), or a dht-rpc frame that failed to decode.
std::uint64_t malformed(const tools::node_service& svc) {
    return svc.total(engine::ctr::drop_oversize) + svc.other().junk.load() + svc.total(dht::ctr::drop_too_short) +
           svc.total(dht::ctr::drop_too_long) + svc.total(dht::ctr::drop_bad_type) + svc.total(dht::ctr::drop_truncated) +
           svc.total(dht::ctr::drop_bad_field);
}

std::string status_line(const tools::node_service& svc) {
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
std::string counters_line(const tools::node_service& svc) {
    std::string out;
    auto put = [&](std::string_view name, std::uint64_t v) {
        if (!v) return;
        if (!out.empty()) out += ' ';
        out += name;
        out += '=';
        out += std::to_string(v);
    };
    tools::for_each_total(svc.metrics_source(), put);
    put("udx", svc.other().udx.load(std::memory_order_relaxed));
    put("probes", svc.other().probes.load(std::memory_order_relaxed));
    put("junk", svc.other().junk.load(std::memory_order_relaxed));
    return out.empty() ? "none" : out;
}

// The command line, or the exit status when there is nothing to run (--help,
// --version: 0; a parse error, reported by CLI11: 2).
std::variant<options, int> parse_options(int argc, char** argv) {
    options o;
    CLI::App app{"shoald: a HyperDHT-compatible DHT node (bootstrap, storage and holepunch relay)"};
    app.set_version_flag("--version", std::string("shoald ") + tools::version);
    app.add_option("--host", o.host, "IPv4 address to bind")->capture_default_str();
    app.add_option("--port", o.port, "UDP port to bind (0: any free port)")->capture_default_str();
    app.add_option("--public-host", o.public_host,
                   "this node's public IPv4 address: it is persistent from the start (a bootstrap node)");
    app.add_option("--public-port", o.public_port, "public port when it differs from --port");
    app.add_option("--bootstrap", o.bootstrap, "HOST:PORT of nodes to join through (repeat or comma-separate)")
        ->delimiter(',');
    app.add_option("--shards", o.shards, "threads, one per core, sharing the port")->check(CLI::Range(1, 64))->capture_default_str();
    app.add_option("--cpus", o.cpus, "pin shard i to the i-th listed cpu (comma-separated)")->delimiter(',');
    auto* eph = app.add_flag("--ephemeral", o.ephemeral, "never become persistent (no id, stores nothing)");
    app.add_flag("--adaptive", o.adaptive,
                 "without --public-host, wait ~20 min of stable uptime before trying to become persistent "
                 "(the reference client's default) instead of trying at bootstrap")
        ->excludes(eph);
    app.add_option("--backend", o.backend, "I/O backend")
        ->check(CLI::IsMember({"auto", "io_uring", "epoll"}))
        ->capture_default_str();
    app.add_option("--record-ttl", o.record_ttl_min, "minutes a topic record or route lives without re-announce")
        ->check(CLI::Range(1.0, 7 * 24 * 60.0))
        ->capture_default_str();
    app.add_option("--value-ttl", o.value_ttl_hours, "hours a mutable or immutable value lives without a write")
        ->check(CLI::Range(0.1, 24 * 365.0))
        ->capture_default_str();
    app.add_option("--max-records", o.max_records, "topic records kept per shard (oldest evicted first)")
        ->check(CLI::Range(1, 100'000'000))
        ->capture_default_str();
    app.add_option("--max-values", o.max_values, "mutable and immutable values kept per shard")
        ->check(CLI::Range(1, 100'000'000))
        ->capture_default_str();
    app.add_option("--max-value-mib", o.max_value_mib, "MiB of value bytes kept per shard")
        ->check(CLI::Range(1, 1 << 20))
        ->capture_default_str();
    app.add_option("--relay-rate", o.relay_rate, "relayed handshake/holepunch datagrams per second allowed per source IP")
        ->check(CLI::Range(1.0, 1e7))
        ->capture_default_str();
    app.add_option("--verify", o.verify, "signature checks: batch (batched Ed25519) or single (libsodium each)")
        ->check(CLI::IsMember({"batch", "single"}))
        ->capture_default_str();
    app.add_option("--verify-backend", o.verify_backend, "batch verification arithmetic: auto (best this CPU has), ifma, avx2 or portable")
        ->check(CLI::IsMember({"auto", "ifma", "avx2", "portable"}))
        ->capture_default_str();
    app.add_option("--verify-batch", o.verify_batch, "most signatures per batch")->check(CLI::Range(1, 1024))->capture_default_str();
    app.add_option("--verify-delay-us", o.verify_delay_us, "longest a signature waits for its batch, in microseconds")
        ->check(CLI::Range(1, 1'000'000))
        ->capture_default_str();
    app.add_option("--stats-interval", o.stats_interval, "seconds between status lines (0: never)")->capture_default_str();
    app.add_option("--log-level", o.log_level, "trace, debug, info, warn or error")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
        ->capture_default_str();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return e.get_exit_code() == 0 ? app.exit(e) : (app.exit(e), 2);
    }
    return o;
}

dht::hyperdht_config hyperdht_config_of(const options& o) {
    dht::hyperdht_config hcfg;
    hcfg.limits.record_ttl = base::seconds(static_cast<std::int64_t>(o.record_ttl_min * 60));
    hcfg.limits.route_ttl = hcfg.limits.record_ttl;
    hcfg.limits.value_ttl = base::seconds(static_cast<std::int64_t>(o.value_ttl_hours * 3600));
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

// A checked configuration: what the service runs, and the options it came from.
struct config {
    options o;
    tools::node_service_config svc;
};

// Checks the options; an error is a message for the user (exit status 2).
base::result<config, std::string> make_config(const options& o) {
    if (!crypto::set_batch_verify_backend(o.verify_backend)) {
        return base::fail("--verify-backend " + o.verify_backend + " is not supported by this CPU");
    }
    config c{o, {}};
    tools::node_service_config& cfg = c.svc;
    auto bind = base::endpoint::parse_host(o.host, o.port);
    if (!bind) return base::fail("--host '" + o.host + "' is not an IPv4 address");
    cfg.bind = *bind;
    cfg.shards = o.shards;
    cfg.cpus = o.cpus;
    cfg.backend = o.backend == "io_uring" ? engine::backend_kind::io_uring
                  : o.backend == "epoll"  ? engine::backend_kind::epoll
                                          : engine::backend_kind::automatic;
    if (!o.public_host.empty()) {
        if (o.ephemeral) return base::fail(std::string("--public-host makes a persistent node; it cannot be --ephemeral"));
        const std::uint16_t pport = o.public_port ? o.public_port : o.port;
        if (pport == 0) return base::fail(std::string("--public-host needs a known port: give --port or --public-port"));
        auto pub = base::endpoint::parse_host(o.public_host, pport);
        if (!pub || pub->v4_u32() == 0) return base::fail("--public-host '" + o.public_host + "' is not a usable IPv4 address");
        cfg.public_address = *pub;
        cfg.mode = dht::persistence::public_address;
    } else if (o.public_port) {
        return base::fail(std::string("--public-port needs --public-host"));
    } else {
        cfg.mode = o.ephemeral ? dht::persistence::never : o.adaptive ? dht::persistence::adaptive : dht::persistence::at_bootstrap;
    }
    for (const auto& b : o.bootstrap) {
        if (b.empty()) continue;
        auto e = tools::resolve_endpoint(b);
        if (!e) return base::fail("--bootstrap " + e.error());
        cfg.bootstrap.push_back(*e);
    }
    cfg.hyperdht = hyperdht_config_of(o);
    return c;
}

// Serves until SIGINT or SIGTERM: logs a new identity, the status line every
// --stats-interval, and the counters on SIGUSR1.
void serve(const config& c, tools::node_service& s, sigset_t& sigs) {
    bool was_persistent = c.svc.public_address.has_value();
    using clock = std::chrono::steady_clock;
    const auto interval = std::chrono::seconds(c.o.stats_interval);
    auto next_status = clock::now() + interval;
    for (;;) {
        // Wake at least every second to notice a new identity; signals end the wait at once.
        timespec ts{1, 0};
        const int sig = sigtimedwait(&sigs, nullptr, &ts);
        if (sig == SIGINT || sig == SIGTERM) {
            spdlog::info("signal {}: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
            break;
        }
        if (sig == SIGUSR1) spdlog::info("counters: {}", counters_line(s));
        auto st = s.status();
        if (st.persistent && !was_persistent && st.id) {
            spdlog::info("now persistent: public address {}, id {}",
                         st.public_address ? st.public_address->to_string() : "?", base::to_hex(*st.id));
        }
        was_persistent = st.persistent;
        if (c.o.stats_interval && clock::now() >= next_status) {
            next_status = clock::now() + interval;
            spdlog::info("{}", status_line(s));
        }
    }
}

// Logs what the node did, after it has stopped.
void log_stopped(const tools::node_service& s) {
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

int run(const config& c) {
    spdlog::set_default_logger(spdlog::stderr_color_mt("shoald"));
    spdlog::set_level(spdlog::level::from_str(c.o.log_level));
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &sigs, nullptr);  // inherited by the shard threads; handled below

    auto svc = tools::node_service::start(c.svc);
    if (!svc) {
        spdlog::error("cannot start: {}", svc.error());
        return 1;
    }
    auto& s = **svc;
    spdlog::info("shoald {} listening on {} with {} shard(s), backend {}{}", tools::version, s.bound().to_string(),
                 c.o.shards, engine::to_string(s.backend()),
                 c.o.shards > 1 ? (s.kernel_steering() ? ", kernel steering" : ", software steering") : "");
    spdlog::info("signature checks: {}, arithmetic {}", c.o.verify, crypto::batch_verify_backend());
    if (c.svc.public_address) {
        spdlog::info("persistent bootstrap node, public address {}, id {}", c.svc.public_address->to_string(),
                     base::to_hex(dht::id_of(*c.svc.public_address)));
    } else if (c.svc.bootstrap.empty()) {
        spdlog::warn("no --bootstrap and no --public-host: this node can only wait to be contacted");
    }

    serve(c, s, sigs);
    s.stop();
    log_stopped(s);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    auto parsed = parse_options(argc, argv);
    if (auto* code = std::get_if<int>(&parsed)) return *code;
    auto c = make_config(std::get<options>(parsed));
    if (!c) return usage_error(c.error());
    return run(*c);
}
