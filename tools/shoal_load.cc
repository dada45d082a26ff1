// shoal-load -- a load generator that speaks the HyperDHT wire protocol to any
// node (shoald or the JavaScript reference), on the shoal engine.
//
//   shoal-load --target 127.0.0.1:10001 --mix find_node --duration 10 --populate 300
//
// Closed loop by default (--window requests outstanding per flow), open loop
// with --rate. Flows use distinct source addresses across 127.0.0.0/8 when the
// target is on loopback (tokens and limits are per IP). Prints a progress line
// per second, then a summary; --json or --kv for machines.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <pthread.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "crypto/hash.h"
#include "hyperdht/hyper_messages.h"
#include "dht/ids.h"
#include "engine/engine.h"
#include "tools/load/load_handler.h"
#include "tools/load/populate.h"
#include "tools/node_service.h"
#include "tools/version.h"

namespace {

using clk = std::chrono::steady_clock;

struct proc_sample {
    double cpu_s = -1;
    long rss_kib = -1;
};

proc_sample sample_process(int pid) {
    proc_sample p;
    if (pid <= 0) return p;
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto close = s.rfind(')');
    if (close != std::string::npos) {
        std::istringstream in(s.substr(close + 2));
        std::string field;
        unsigned long long ut = 0, st = 0;
        for (int i = 3; i <= 15 && in >> field; ++i) {
            if (i == 14) ut = std::stoull(field);
            if (i == 15) st = std::stoull(field);
        }
        p.cpu_s = static_cast<double>(ut + st) / static_cast<double>(sysconf(_SC_CLK_TCK));
    }
    std::ifstream st("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(st, line);) {
        if (line.rfind("VmRSS:", 0) == 0) p.rss_kib = std::stol(line.substr(6));
    }
    return p;
}

std::uint64_t sum(const load::plan& p, load::command c, tools::live_counter load::cmd_stats::*field) {
    std::uint64_t n = 0;
    for (const auto& s : p.stats) n += (s.cmd[static_cast<std::size_t>(c)].*field).get();
    return n;
}

double ms(std::uint64_t ns) { return static_cast<double>(ns) / 1e6; }

struct options {
    std::vector<std::string> targets;
    std::string mix = "find_node";
    std::string backend = "auto";
    std::uint16_t shards = 1;
    std::vector<int> cpus;
    std::uint32_t flows = 64, window = 16;
    double rate = 0, duration = 10, warmup = 1;
    unsigned timeout_ms = 1000, populate = 0, echo_bytes = 64, topics = 100, key_count = 1000, value_bytes = 64;
    std::uint64_t preload = 0;
    std::uint64_t seed = 1;
    int server_pid = 0;
    bool json = false, kv = false, quiet = false;
};

// The command line, or the exit status when there is nothing to run (--help,
// --version: 0; a parse error, reported by CLI11: 2).
std::variant<options, int> parse_options(int argc, char** argv) {
    options o;
    CLI::App app{"shoal-load: drive load at HyperDHT nodes (shoald or the JS reference)"};
    app.set_version_flag("--version", std::string("shoal-load ") + tools::version);
    app.add_option("--target", o.targets, "HOST:PORT of a node to load (repeat for several)")->required();
    app.add_option("--mix", o.mix,
                   "request mix, e.g. find_node=3,ping=1 (echo ping find_node lookup find_peer announce "
                   "mutable_get mutable_put immutable_get immutable_put)")
        ->capture_default_str();
    app.add_option("--topics", o.topics, "topics used by lookup and announce")->check(CLI::Range(1, 65535))->capture_default_str();
    app.add_option("--keys", o.key_count, "key pairs used by announce, find_peer and the mutable commands")
        ->check(CLI::Range(1, 1'000'000))
        ->capture_default_str();
    app.add_option("--value-bytes", o.value_bytes, "value size for mutable_put and immutable_put")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    app.add_option("--preload", o.preload, "first store this many distinct announce records (topics x keys) and wait for them");
    app.add_option("--shards", o.shards, "load generator threads")->check(CLI::Range(1, 64))->capture_default_str();
    app.add_option("--cpus", o.cpus, "pin shard i to the i-th listed cpu")->delimiter(',');
    app.add_option("--flows", o.flows, "source sockets per shard")->check(CLI::Range(1, 4096))->capture_default_str();
    app.add_option("--window", o.window, "closed loop: outstanding requests per flow")->check(CLI::Range(1, 4096))->capture_default_str();
    app.add_option("--rate", o.rate, "open loop: requests per second in total (0: closed loop)")->check(CLI::NonNegativeNumber);
    app.add_option("--duration", o.duration, "seconds measured")->check(CLI::PositiveNumber)->capture_default_str();
    app.add_option("--warmup", o.warmup, "seconds of load before measuring")->check(CLI::NonNegativeNumber)->capture_default_str();
    app.add_option("--timeout-ms", o.timeout_ms, "a request unanswered this long is a timeout")->check(CLI::Range(1, 60000))->capture_default_str();
    app.add_option("--populate", o.populate, "first fill the target's routing table with this many fake nodes that answer pings")
        ->check(CLI::Range(0, 5000));
    app.add_option("--echo-bytes", o.echo_bytes, "datagram size for the echo command")->check(CLI::Range(16, 2048))->capture_default_str();
    app.add_option("--seed", o.seed, "seed for targets and the mix")->capture_default_str();
    app.add_option("--server-pid", o.server_pid, "report this process's CPU time and RSS over the measured window");
    app.add_option("--backend", o.backend, "I/O backend")->check(CLI::IsMember({"auto", "io_uring", "epoll"}));
    app.add_flag("--json", o.json, "print the summary as JSON");
    app.add_flag("--kv", o.kv, "print the summary as key=value lines");
    app.add_flag("--quiet", o.quiet, "no progress lines");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return e.get_exit_code() == 0 ? app.exit(e) : (app.exit(e), 2);
    }
    return o;
}

int usage_error(const std::string& m) {
    std::fprintf(stderr, "shoal-load: %s\n", m.c_str());
    return 2;
}

// A checked run: the options, and what was derived from them. The plan itself
// (atomics, not movable) is built by run().
struct config {
    options o;
    load::mix requests;
    std::vector<base::endpoint> targets;
    bool loopback = false;                   // the first target is on 127.0.0.0/8
    std::vector<base::endpoint> fake_nodes;  // --populate
};

// Checks the options; an error is a message for the user (exit status 2).
base::result<config, std::string> make_config(const options& o) {
    config c{o, {}, {}, false, {}};
    std::string why;
    auto m = load::parse_mix(o.mix, why);
    if (!m) return base::fail(why);
    c.requests = *m;
    if (o.preload > std::uint64_t{o.topics} * o.key_count) {
        return base::fail(std::string("--preload is larger than --topics x --keys distinct records"));
    }
    if (!crypto::init()) return base::fail(std::string("libsodium failed to initialise"));
    for (const auto& t : o.targets) {
        auto e = tools::resolve_endpoint(t);
        if (!e) return base::fail("--target " + e.error());
        c.targets.push_back(*e);
    }
    c.loopback = (c.targets[0].v4_u32() >> 24) == 127;
    if (o.populate) {
        if (!c.loopback) return base::fail(std::string("--populate binds fake nodes on 127.0.0.0/8: the target must be on loopback"));
        c.fake_nodes = load::plan_fake_nodes(c.targets[0], o.populate);
    }
    return c;
}

// The topics and key pairs the storage commands use, derived from --seed.
void fill_records(const options& o, load::plan& p) {
    for (unsigned i = 0; i < o.topics; ++i) {
        const std::string name = "shoal-load topic " + std::to_string(o.seed) + "/" + std::to_string(i);
        p.topics.push_back(dht::target(crypto::blake2b_256(base::as_bytes(name)).array()));
    }
    for (unsigned i = 0; i < o.key_count; ++i) {
        const std::string name = "shoal-load key " + std::to_string(o.seed) + "/" + std::to_string(i);
        p.keys.push_back(crypto::keypair_from_seed(crypto::seed(crypto::blake2b_256(base::as_bytes(name)).array())));
    }
}

void fill_plan(const config& c, load::plan& p) {
    const options& o = c.o;
    p.requests = c.requests;
    fill_records(o, p);
    p.value_bytes = o.value_bytes;
    p.preload = o.preload;
    p.targets = c.targets;
    p.flows = o.flows;
    p.window = o.window;
    p.rate_per_shard = o.rate / o.shards;
    p.timeout = base::milliseconds(o.timeout_ms);
    p.echo_bytes = o.echo_bytes;
    p.seed = o.seed;
    p.stats = std::vector<load::shard_stats>(o.shards);
    for (std::size_t i = 0; i < std::size_t{o.shards} * o.flows; ++i) p.flows_shared.push_back(std::make_unique<load::flow_shared>());
    p.fake_nodes = c.fake_nodes;
}

// Each flow binds its own source address across 127.0.0.0/8 when the target is
// on loopback; shard 0 also binds the fake nodes.
engine::config engine_config(const config& c, const load::plan& p) {
    engine::config ec;
    ec.shards = c.o.shards;
    ec.cpus = c.o.cpus;
    ec.backend = c.o.backend == "io_uring" ? engine::backend_kind::io_uring
                 : c.o.backend == "epoll"  ? engine::backend_kind::epoll
                                           : engine::backend_kind::automatic;
    ec.recv_buffers = 4096;
    ec.send_slots = 8192;
    ec.private_binds = [&c, &p](base::shard_id s) {
        std::vector<base::endpoint> v;
        for (std::uint32_t f = 0; f < c.o.flows; ++f) {
            v.push_back(c.loopback ? base::endpoint::v4(127, static_cast<std::uint8_t>(1 + s.value()),
                                                        static_cast<std::uint8_t>(f / 250),
                                                        static_cast<std::uint8_t>(1 + f % 250), 0)
                                   : base::endpoint::v4(0, 0, 0, 0, 0));
        }
        if (s.value() == 0) v.insert(v.end(), p.fake_nodes.begin(), p.fake_nodes.end());
        return v;
    };
    return ec;
}

// The main thread signs announces: keep it on the load generator's cores,
// away from the node being measured.
void pin_main_thread(const std::vector<int>& cpus) {
    if (cpus.empty()) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int c : cpus) CPU_SET(c, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

base::result<std::unique_ptr<engine::engine>, std::string> start_engine(const config& c, load::plan& p) {
    auto eng = engine::engine::create(engine_config(c, p), [&p](engine::shard&) {
        std::vector<std::unique_ptr<engine::handler>> v;
        v.push_back(std::make_unique<load::load_handler>(p));
        return v;
    });
    if (!eng) return base::fail(std::string(eng.error()));
    if (auto r = (*eng)->start(); !r) return base::fail(std::string(r.error()));
    return std::move(*eng);
}

void print_banner(const options& o) {
    std::fprintf(stderr, "shoal-load: %u flows x %s over %u shard(s) -> %s, %.0f s (+%.0f s warm-up)\n", o.flows,
                 o.rate > 0 ? (std::to_string(static_cast<long>(o.rate)) + " req/s").c_str()
                            : ("window " + std::to_string(o.window)).c_str(),
                 o.shards, o.targets[0].c_str(), o.duration, o.warmup);
}

// Waits (up to 5 s) for the target to acknowledge the fake nodes.
void wait_populated(const options& o, const load::plan& p) {
    if (p.fake_nodes.empty()) return;
    const auto until = clk::now() + std::chrono::seconds(5);
    while (p.stats[0].populated.get() < p.fake_nodes.size() * p.targets.size() && clk::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!o.quiet) {
        std::fprintf(stderr, "shoal-load: %llu of %zu fake nodes acknowledged by the target\n",
                     static_cast<unsigned long long>(p.stats[0].populated.get()), p.fake_nodes.size());
    }
}

// The signer: pre-signs ANNOUNCE values for every flow with that flow's
// token, so the shards never sign on the hot path. Record i is topic
// i % topics under key (i / topics) % keys, so the first topics x keys are distinct.
class signer {
public:
    explicit signer(load::plan& p) : _plan(p), _signing(p.preload > 0 || p.requests.has(load::command::announce)) {
        for (const auto& t : p.targets) _target_ids.push_back(dht::id_of(t));
    }

    // Signs one value for every flow that has a token and room; returns how many.
    std::size_t sign_some() {
        std::size_t made = 0;
        for (std::size_t i = 0; i < _plan.flows_shared.size(); ++i) made += sign_one(i) ? 1 : 0;
        return made;
    }

    // Sleeps until `until`, signing while there is room.
    void pump_until(clk::time_point until) {
        while (clk::now() < until) {
            if (!_signing || sign_some() == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    }

private:
    bool sign_one(std::size_t i) {
        auto& fs = *_plan.flows_shared[i];
        dht::token tok;
        std::int64_t issued = 0;
        if (!fs.read_token(tok, issued)) return false;
        load::signed_item* it = fs.ready.reserve();
        if (!it) return false;
        const std::size_t shard = i / _plan.flows, flow = i % _plan.flows;
        const auto& target = _plan.targets[(flow + shard) % _plan.targets.size()];
        const auto& node_id = _target_ids[(flow + shard) % _plan.targets.size()];
        const std::uint64_t r = _next_record++;
        const auto topic_i = static_cast<std::uint16_t>(r % _plan.topics.size());
        const auto& kp = _plan.keys[(r / _plan.topics.size()) % _plan.keys.size()];
        const std::vector<base::endpoint> relays = {target};
        const auto peer = dht::hyper::encode_peer(kp.pk, relays);
        const auto signable = dht::hyper::announce_signable(dht::hyper::ns().announce, _plan.topics[topic_i], node_id, tok, peer, std::nullopt);
        const auto value = dht::hyper::encode_announce(kp.pk, relays, std::nullopt, crypto::sign(signable, kp.sk), 0);
        it->topic = topic_i;
        it->tok = tok;
        it->token_ns = issued;
        it->len = static_cast<std::uint8_t>(std::min(value.size(), it->value.size()));
        std::memcpy(it->value.data(), value.data(), it->len);
        fs.ready.commit();
        fs.ready.publish();
        return true;
    }

    load::plan& _plan;
    const bool _signing;
    std::uint64_t _next_record = 0;
    std::vector<dht::node_id> _target_ids;
};

bool every_flow_has_a_token(const load::plan& p) {
    for (const auto& fs : p.flows_shared) {
        dht::token t;
        std::int64_t at;
        if (!fs->read_token(t, at)) return false;
    }
    return true;
}

// Waits (up to 3 s) for every flow's token from the target.
void wait_tokens(const load::plan& p) {
    const auto until = clk::now() + std::chrono::seconds(3);
    while (!every_flow_has_a_token(p) && clk::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (!every_flow_has_a_token(p)) {
        std::fprintf(stderr, "shoal-load: not every flow got a token from the target (is it persistent?)\n");
    }
}

// Stores --preload announce records and waits (up to 120 s) for their acknowledgements.
void preload(const options& o, load::plan& p, signer& s) {
    p.now_phase.store(load::phase::preload);
    const auto t_pre = clk::now();
    const auto until = t_pre + std::chrono::seconds(120);
    auto acked = [&] {
        std::uint64_t n = 0;
        for (const auto& st : p.stats) n += st.preloaded.get();
        return n;
    };
    while (acked() < p.preload && clk::now() < until) s.pump_until(clk::now() + std::chrono::milliseconds(10));
    if (!o.quiet) {
        std::fprintf(stderr, "shoal-load: preloaded %llu announces in %.1f s\n", static_cast<unsigned long long>(acked()),
                     std::chrono::duration<double>(clk::now() - t_pre).count());
    }
    p.now_phase.store(load::phase::warmup);
}

std::uint64_t sum_commands(const load::plan& p, tools::live_counter load::cmd_stats::*field) {
    std::uint64_t n = 0;
    for (std::size_t c = 0; c < load::command_count; ++c) n += sum(p, static_cast<load::command>(c), field);
    return n;
}

clk::duration seconds_of(double s) { return std::chrono::duration_cast<clk::duration>(std::chrono::duration<double>(s)); }

// The measured window: its length and the server's process samples around it.
struct measurement {
    double secs = 0;
    proc_sample proc0, proc1;
};

// Warms up, then measures for --duration, with a progress line a second unless --quiet.
measurement measure(const options& o, load::plan& p, signer& s) {
    s.pump_until(clk::now() + seconds_of(o.warmup));
    p.now_phase.store(load::phase::measure);
    measurement m;
    const auto t0 = clk::now();
    m.proc0 = sample_process(o.server_pid);
    std::uint64_t last = 0;
    auto next = t0 + std::chrono::seconds(1);
    const auto end = t0 + seconds_of(o.duration);
    while (clk::now() < end) {
        s.pump_until(std::min(next, end));
        if (clk::now() < next) continue;
        next += std::chrono::seconds(1);  // advance even when quiet, or the loop spins on the clock
        if (o.quiet) continue;
        const auto now_n = sum_commands(p, &load::cmd_stats::replies) + sum_commands(p, &load::cmd_stats::errors);
        const auto to = sum_commands(p, &load::cmd_stats::timeouts);
        std::fprintf(stderr, "[%3.0fs] %9llu replies/s  timeouts %llu\n", std::chrono::duration<double>(clk::now() - t0).count(),
                     static_cast<unsigned long long>(now_n - last), static_cast<unsigned long long>(to));
        last = now_n;
    }
    m.secs = std::chrono::duration<double>(clk::now() - t0).count();
    m.proc1 = sample_process(o.server_pid);
    return m;
}

// Lets the last replies arrive, then stops the shards.
void drain(load::plan& p, engine::engine& eng) {
    p.now_phase.store(load::phase::drain);
    std::this_thread::sleep_for(p.timeout + std::chrono::milliseconds(50));
    p.now_phase.store(load::phase::done);
    eng.stop();
    eng.join();
}

// The whole run's figures, summed over the measured commands and the shards.
struct totals {
    std::uint64_t replies = 0, timeouts = 0, errors = 0, shed = 0, starved = 0, stale = 0;
    base::histogram latency;
    double rps = 0;
    double cpu = -1;  // the server's cpu-s, when --server-pid was sampled
    long rss_kib = -1;
};

std::string table_header() {
    char line[256];
    std::snprintf(line, sizeof line, "%-14s %10s %10s %8s %9s %11s %8s %8s %8s %8s %8s\n", "command", "sent", "replies",
                  "errors", "timeouts", "replies/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms");
    return line;
}

// One command's table line and JSON object; adds it to `t`.
std::string command_row(const load::plan& p, load::command c, double secs, nlohmann::json& out, totals& t) {
    const auto ci = static_cast<std::size_t>(c);
    base::histogram h;
    for (const auto& s : p.stats) h.merge(s.cmd[ci].latency_ns);
    const auto sent = sum(p, c, &load::cmd_stats::sent), replies = sum(p, c, &load::cmd_stats::replies),
               errors = sum(p, c, &load::cmd_stats::errors), timeouts = sum(p, c, &load::cmd_stats::timeouts);
    t.latency.merge(h);
    t.replies += replies;
    t.errors += errors;
    t.timeouts += timeouts;
    const double rps = static_cast<double>(replies) / secs;
    char line[256];
    std::snprintf(line, sizeof line, "%-14s %10llu %10llu %8llu %9llu %11.0f %8.3f %8.3f %8.3f %8.3f %8.3f\n",
                  load::name(c), static_cast<unsigned long long>(sent), static_cast<unsigned long long>(replies),
                  static_cast<unsigned long long>(errors), static_cast<unsigned long long>(timeouts), rps,
                  ms(h.quantile(0.5)), ms(h.quantile(0.9)), ms(h.quantile(0.99)), ms(h.quantile(0.999)), ms(h.max()));
    out["commands"][load::name(c)] = {{"sent", sent},         {"replies", replies},
                                      {"errors", errors},     {"timeouts", timeouts},
                                      {"replies_per_s", rps}, {"p50_ms", ms(h.quantile(0.5))},
                                      {"p90_ms", ms(h.quantile(0.9))}, {"p99_ms", ms(h.quantile(0.99))},
                                      {"p999_ms", ms(h.quantile(0.999))}, {"max_ms", ms(h.max())}};
    return line;
}

// Fills `out` and `t`; returns the per-command table.
std::string summarize(const config& c, const load::plan& p, const measurement& m, nlohmann::json& out, totals& t) {
    out["seconds"] = m.secs;
    out["shards"] = c.o.shards;
    out["flows"] = c.o.flows;
    out["mode"] = c.o.rate > 0 ? "open" : "closed";
    std::string table = table_header();
    for (std::size_t ci = 0; ci < load::command_count; ++ci) {
        const auto cmd = static_cast<load::command>(ci);
        if (p.requests.has(cmd)) table += command_row(p, cmd, m.secs, out, t);
    }
    t.rps = static_cast<double>(t.replies) / m.secs;
    for (const auto& s : p.stats) {
        t.shed += s.shed.get();
        t.starved += s.starved.get();
        t.stale += s.stale.get();
    }
    out["starved"] = t.starved;
    out["stale"] = t.stale;
    out["replies_per_s"] = t.rps;
    out["timeouts"] = t.timeouts;
    out["errors"] = t.errors;
    out["shed"] = t.shed;
    out["p99_ms"] = ms(t.latency.quantile(0.99));
    if (c.o.server_pid && m.proc0.cpu_s >= 0 && m.proc1.cpu_s >= 0) {
        t.cpu = m.proc1.cpu_s - m.proc0.cpu_s;
        t.rss_kib = m.proc1.rss_kib;
        out["server_cpu_s"] = t.cpu;
        out["server_cpu_s_per_million"] = t.replies ? t.cpu * 1e6 / static_cast<double>(t.replies) : 0;
        out["server_rss_kib"] = t.rss_kib;
    }
    return table;
}

double cpu_per_million(const totals& t) { return t.replies ? t.cpu * 1e6 / static_cast<double>(t.replies) : 0.0; }

void print_kv(const totals& t) {
    std::printf("replies_per_s=%.0f\ntimeouts=%llu\nerrors=%llu\nshed=%llu\np50_ms=%.3f\np99_ms=%.3f\n", t.rps,
                static_cast<unsigned long long>(t.timeouts), static_cast<unsigned long long>(t.errors),
                static_cast<unsigned long long>(t.shed), ms(t.latency.quantile(0.5)), ms(t.latency.quantile(0.99)));
    if (t.cpu >= 0) {
        std::printf("server_cpu_s=%.3f\nserver_cpu_s_per_million=%.3f\nserver_rss_kib=%ld\n", t.cpu, cpu_per_million(t),
                    t.rss_kib);
    }
}

void print_human(const std::string& table, const totals& t, double secs) {
    std::printf("%s", table.c_str());
    std::printf("total: %.0f replies/s over %.1f s, %llu timeouts, %llu errors%s\n", t.rps, secs,
                static_cast<unsigned long long>(t.timeouts), static_cast<unsigned long long>(t.errors),
                t.shed ? (", " + std::to_string(t.shed) + " shed").c_str() : "");
    if (t.cpu >= 0) {
        std::printf("server: %.2f cpu-s (%.3f per 1M replies), rss %.1f MiB\n", t.cpu, cpu_per_million(t),
                    static_cast<double>(t.rss_kib) / 1024.0);
    }
}

void print_summary(const config& c, const load::plan& p, const measurement& m) {
    nlohmann::json out;
    totals t;
    const std::string table = summarize(c, p, m, out, t);
    if (c.o.json) {
        std::printf("%s\n", out.dump(2).c_str());
    } else if (c.o.kv) {
        print_kv(t);
    } else {
        print_human(table, t, m.secs);
    }
}

int run(const config& c) {
    load::plan p;
    fill_plan(c, p);
    pin_main_thread(c.o.cpus);
    auto eng = start_engine(c, p);
    if (!eng) {
        std::fprintf(stderr, "shoal-load: %s\n", eng.error().c_str());
        return 1;
    }
    if (!c.o.quiet) print_banner(c.o);
    wait_populated(c.o, p);
    signer s(p);
    if (p.needs_tokens()) wait_tokens(p);
    if (p.preload) preload(c.o, p, s);
    const measurement m = measure(c.o, p, s);
    drain(p, **eng);
    print_summary(c, p, m);
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
