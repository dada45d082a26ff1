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

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"shoal-load: drive load at HyperDHT nodes (shoald or the JS reference)"};
    app.set_version_flag("--version", std::string("shoal-load ") + tools::version);
    std::vector<std::string> targets_s;
    std::string mix_s = "find_node", backend = "auto";
    std::uint16_t shards = 1;
    std::vector<int> cpus;
    std::uint32_t flows = 64, window = 16;
    double rate = 0, duration = 10, warmup = 1;
    unsigned timeout_ms = 1000, populate = 0, echo_bytes = 64, topics = 100, key_count = 1000, value_bytes = 64;
    std::uint64_t preload = 0;
    std::uint64_t seed = 1;
    int server_pid = 0;
    bool json = false, kv = false, quiet = false;
    app.add_option("--target", targets_s, "HOST:PORT of a node to load (repeat for several)")->required();
    app.add_option("--mix", mix_s,
                   "request mix, e.g. find_node=3,ping=1 (echo ping find_node lookup find_peer announce "
                   "mutable_get mutable_put immutable_get immutable_put)")
        ->capture_default_str();
    app.add_option("--topics", topics, "topics used by lookup and announce")->check(CLI::Range(1, 65535))->capture_default_str();
    app.add_option("--keys", key_count, "key pairs used by announce, find_peer and the mutable commands")
        ->check(CLI::Range(1, 1'000'000))
        ->capture_default_str();
    app.add_option("--value-bytes", value_bytes, "value size for mutable_put and immutable_put")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    app.add_option("--preload", preload, "first store this many distinct announce records (topics x keys) and wait for them");
    app.add_option("--shards", shards, "load generator threads")->check(CLI::Range(1, 64))->capture_default_str();
    app.add_option("--cpus", cpus, "pin shard i to the i-th listed cpu")->delimiter(',');
    app.add_option("--flows", flows, "source sockets per shard")->check(CLI::Range(1, 4096))->capture_default_str();
    app.add_option("--window", window, "closed loop: outstanding requests per flow")->check(CLI::Range(1, 4096))->capture_default_str();
    app.add_option("--rate", rate, "open loop: requests per second in total (0: closed loop)")->check(CLI::NonNegativeNumber);
    app.add_option("--duration", duration, "seconds measured")->check(CLI::PositiveNumber)->capture_default_str();
    app.add_option("--warmup", warmup, "seconds of load before measuring")->check(CLI::NonNegativeNumber)->capture_default_str();
    app.add_option("--timeout-ms", timeout_ms, "a request unanswered this long is a timeout")->check(CLI::Range(1, 60000))->capture_default_str();
    app.add_option("--populate", populate, "first fill the target's routing table with this many fake nodes that answer pings")
        ->check(CLI::Range(0, 5000));
    app.add_option("--echo-bytes", echo_bytes, "datagram size for the echo command")->check(CLI::Range(16, 2048))->capture_default_str();
    app.add_option("--seed", seed, "seed for targets and the mix")->capture_default_str();
    app.add_option("--server-pid", server_pid, "report this process's CPU time and RSS over the measured window");
    app.add_option("--backend", backend, "I/O backend")->check(CLI::IsMember({"auto", "io_uring", "epoll"}));
    app.add_flag("--json", json, "print the summary as JSON");
    app.add_flag("--kv", kv, "print the summary as key=value lines");
    app.add_flag("--quiet", quiet, "no progress lines");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return e.get_exit_code() == 0 ? app.exit(e) : (app.exit(e), 2);
    }
    auto fail = [](const std::string& m) {
        std::fprintf(stderr, "shoal-load: %s\n", m.c_str());
        return 2;
    };

    load::plan p;
    std::string why;
    auto m = load::parse_mix(mix_s, why);
    if (!m) return fail(why);
    p.requests = *m;
    if (preload > std::uint64_t{topics} * key_count) return fail("--preload is larger than --topics x --keys distinct records");
    if (!crypto::init()) return fail("libsodium failed to initialise");
    for (unsigned i = 0; i < topics; ++i) {
        const std::string name = "shoal-load topic " + std::to_string(seed) + "/" + std::to_string(i);
        p.topics.push_back(dht::target(crypto::blake2b_256(base::as_bytes(name)).array()));
    }
    for (unsigned i = 0; i < key_count; ++i) {
        const std::string name = "shoal-load key " + std::to_string(seed) + "/" + std::to_string(i);
        p.keys.push_back(crypto::keypair_from_seed(crypto::seed(crypto::blake2b_256(base::as_bytes(name)).array())));
    }
    p.value_bytes = value_bytes;
    p.preload = preload;
    for (const auto& t : targets_s) {
        auto e = tools::resolve_endpoint(t);
        if (!e) return fail("--target " + e.error());
        p.targets.push_back(*e);
    }
    p.flows = flows;
    p.window = window;
    p.rate_per_shard = rate / shards;
    p.timeout = base::milliseconds(timeout_ms);
    p.echo_bytes = echo_bytes;
    p.seed = seed;
    p.stats = std::vector<load::shard_stats>(shards);
    for (std::size_t i = 0; i < std::size_t{shards} * flows; ++i) p.flows_shared.push_back(std::make_unique<load::flow_shared>());
    const bool loopback = (p.targets[0].v4_u32() >> 24) == 127;
    if (populate) {
        if (!loopback) return fail("--populate binds fake nodes on 127.0.0.0/8: the target must be on loopback");
        p.fake_nodes = load::plan_fake_nodes(p.targets[0], populate);
    }

    engine::config ec;
    ec.shards = shards;
    ec.cpus = cpus;
    ec.backend = backend == "io_uring" ? engine::backend_kind::io_uring
                 : backend == "epoll"  ? engine::backend_kind::epoll
                                       : engine::backend_kind::automatic;
    ec.recv_buffers = 4096;
    ec.send_slots = 8192;
    ec.private_binds = [&](base::shard_id s) {
        std::vector<base::endpoint> v;
        for (std::uint32_t f = 0; f < flows; ++f) {
            v.push_back(loopback ? base::endpoint::v4(127, static_cast<std::uint8_t>(1 + s.value()),
                                                      static_cast<std::uint8_t>(f / 250),
                                                      static_cast<std::uint8_t>(1 + f % 250), 0)
                                 : base::endpoint::v4(0, 0, 0, 0, 0));
        }
        if (s.value() == 0) v.insert(v.end(), p.fake_nodes.begin(), p.fake_nodes.end());
        return v;
    };
    // The main thread signs announces: keep it on the load generator's cores,
    // away from the node being measured.
    if (!cpus.empty()) {
        cpu_set_t set;
        CPU_ZERO(&set);
        for (int c : cpus) CPU_SET(c, &set);
        pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    }
    auto eng = engine::engine::create(ec, [&](engine::shard&) {
        std::vector<std::unique_ptr<engine::handler>> v;
        v.push_back(std::make_unique<load::load_handler>(p));
        return v;
    });
    if (!eng) {
        std::fprintf(stderr, "shoal-load: %s\n", eng.error().c_str());
        return 1;
    }
    if (auto r = (*eng)->start(); !r) {
        std::fprintf(stderr, "shoal-load: %s\n", r.error().c_str());
        return 1;
    }
    if (!quiet) {
        std::fprintf(stderr, "shoal-load: %u flows x %s over %u shard(s) -> %s, %.0f s (+%.0f s warm-up)\n", flows,
                     rate > 0 ? (std::to_string(static_cast<long>(rate)) + " req/s").c_str()
                              : ("window " + std::to_string(window)).c_str(),
                     shards, targets_s[0].c_str(), duration, warmup);
    }
    if (!p.fake_nodes.empty()) {
        const auto until = clk::now() + std::chrono::seconds(5);
        while (p.stats[0].populated.get() < p.fake_nodes.size() * p.targets.size() && clk::now() < until) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        if (!quiet) {
            std::fprintf(stderr, "shoal-load: %llu of %zu fake nodes acknowledged by the target\n",
                         static_cast<unsigned long long>(p.stats[0].populated.get()), p.fake_nodes.size());
        }
    }

    // The signer: pre-signs ANNOUNCE values for every flow with that flow's
    // token, so the shards never sign on the hot path. Record i is topic
    // i % topics under key (i / topics) % keys, so the first topics x keys are distinct.
    std::uint64_t next_record = 0;
    std::vector<dht::node_id> target_ids;
    for (const auto& t : p.targets) target_ids.push_back(dht::id_of(t));
    const bool signing = p.preload > 0 || p.requests.has(load::command::announce);
    auto sign_some = [&]() -> std::size_t {
        std::size_t made = 0;
        for (std::size_t i = 0; i < p.flows_shared.size(); ++i) {
            auto& fs = *p.flows_shared[i];
            dht::token tok;
            std::int64_t issued = 0;
            if (!fs.read_token(tok, issued)) continue;
            load::signed_item* it = fs.ready.reserve();
            if (!it) continue;
            const std::size_t shard = i / flows, flow = i % flows;
            const auto& target = p.targets[(flow + shard) % p.targets.size()];
            const auto& node_id = target_ids[(flow + shard) % p.targets.size()];
            const std::uint64_t r = next_record++;
            const auto topic_i = static_cast<std::uint16_t>(r % p.topics.size());
            const auto& kp = p.keys[(r / p.topics.size()) % p.keys.size()];
            const std::vector<base::endpoint> relays = {target};
            const auto peer = dht::hyper::encode_peer(kp.pk, relays);
            const auto signable = dht::hyper::announce_signable(dht::hyper::ns().announce, p.topics[topic_i], node_id, tok, peer, std::nullopt);
            const auto value = dht::hyper::encode_announce(kp.pk, relays, std::nullopt, crypto::sign(signable, kp.sk), 0);
            it->topic = topic_i;
            it->tok = tok;
            it->token_ns = issued;
            it->len = static_cast<std::uint8_t>(std::min(value.size(), it->value.size()));
            std::memcpy(it->value.data(), value.data(), it->len);
            fs.ready.commit();
            fs.ready.publish();
            ++made;
        }
        return made;
    };
    // Sleeps until `until`, signing while there is room.
    auto pump_until = [&](clk::time_point until) {
        while (clk::now() < until) {
            if (!signing || sign_some() == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    };
    if (p.needs_tokens()) {
        const auto until = clk::now() + std::chrono::seconds(3);
        auto have_all = [&] {
            for (const auto& fs : p.flows_shared) {
                dht::token t;
                std::int64_t at;
                if (!fs->read_token(t, at)) return false;
            }
            return true;
        };
        while (!have_all() && clk::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        if (!have_all()) {
            std::fprintf(stderr, "shoal-load: not every flow got a token from the target (is it persistent?)\n");
        }
    }
    if (p.preload) {
        p.now_phase.store(load::phase::preload);
        const auto t_pre = clk::now();
        const auto until = t_pre + std::chrono::seconds(120);
        auto acked = [&] {
            std::uint64_t n = 0;
            for (const auto& s : p.stats) n += s.preloaded.get();
            return n;
        };
        while (acked() < p.preload && clk::now() < until) pump_until(clk::now() + std::chrono::milliseconds(10));
        if (!quiet) {
            std::fprintf(stderr, "shoal-load: preloaded %llu announces in %.1f s\n", static_cast<unsigned long long>(acked()),
                         std::chrono::duration<double>(clk::now() - t_pre).count());
        }
        p.now_phase.store(load::phase::warmup);
    }

    auto total_replies = [&] {
        std::uint64_t n = 0;
        for (std::size_t c = 0; c < load::command_count; ++c) {
            n += sum(p, static_cast<load::command>(c), &load::cmd_stats::replies) +
                 sum(p, static_cast<load::command>(c), &load::cmd_stats::errors);
        }
        return n;
    };
    pump_until(clk::now() + std::chrono::duration_cast<clk::duration>(std::chrono::duration<double>(warmup)));
    p.now_phase.store(load::phase::measure);
    const auto t0 = clk::now();
    const auto proc0 = sample_process(server_pid);
    std::uint64_t last = 0;
    auto next = t0 + std::chrono::seconds(1);
    const auto end = t0 + std::chrono::duration_cast<clk::duration>(std::chrono::duration<double>(duration));
    while (clk::now() < end) {
        pump_until(std::min(next, end));
        if (clk::now() < next) continue;
        next += std::chrono::seconds(1);  // advance even when quiet, or the loop spins on the clock
        if (quiet) continue;
        const auto now_n = total_replies();
        std::uint64_t to = 0;
        for (std::size_t c = 0; c < load::command_count; ++c) to += sum(p, static_cast<load::command>(c), &load::cmd_stats::timeouts);
        std::fprintf(stderr, "[%3.0fs] %9llu replies/s  timeouts %llu\n", std::chrono::duration<double>(clk::now() - t0).count(),
                     static_cast<unsigned long long>(now_n - last), static_cast<unsigned long long>(to));
        last = now_n;
    }
    const double secs = std::chrono::duration<double>(clk::now() - t0).count();
    const auto proc1 = sample_process(server_pid);
    p.now_phase.store(load::phase::drain);
    std::this_thread::sleep_for(p.timeout + std::chrono::milliseconds(50));
    p.now_phase.store(load::phase::done);
    (*eng)->stop();
    (*eng)->join();

    // Summary.
    nlohmann::json out;
    out["seconds"] = secs;
    out["shards"] = shards;
    out["flows"] = flows;
    out["mode"] = rate > 0 ? "open" : "closed";
    std::uint64_t all_replies = 0, all_sent = 0, all_timeouts = 0, all_errors = 0;
    base::histogram all;
    std::string table;
    char line[256];
    std::snprintf(line, sizeof line, "%-14s %10s %10s %8s %9s %11s %8s %8s %8s %8s %8s\n", "command", "sent", "replies",
                  "errors", "timeouts", "replies/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms");
    table += line;
    for (std::size_t ci = 0; ci < load::command_count; ++ci) {
        const auto c = static_cast<load::command>(ci);
        if (!p.requests.has(c)) continue;
        base::histogram h;
        for (const auto& s : p.stats) h.merge(s.cmd[ci].latency_ns);
        const auto sent = sum(p, c, &load::cmd_stats::sent), replies = sum(p, c, &load::cmd_stats::replies),
                   errors = sum(p, c, &load::cmd_stats::errors), timeouts = sum(p, c, &load::cmd_stats::timeouts);
        all.merge(h);
        all_sent += sent;
        all_replies += replies;
        all_errors += errors;
        all_timeouts += timeouts;
        const double rps = static_cast<double>(replies) / secs;
        std::snprintf(line, sizeof line, "%-14s %10llu %10llu %8llu %9llu %11.0f %8.3f %8.3f %8.3f %8.3f %8.3f\n",
                      load::name(c), static_cast<unsigned long long>(sent), static_cast<unsigned long long>(replies),
                      static_cast<unsigned long long>(errors), static_cast<unsigned long long>(timeouts), rps,
                      ms(h.quantile(0.5)), ms(h.quantile(0.9)), ms(h.quantile(0.99)), ms(h.quantile(0.999)), ms(h.max()));
        table += line;
        out["commands"][load::name(c)] = {{"sent", sent},         {"replies", replies},
                                          {"errors", errors},     {"timeouts", timeouts},
                                          {"replies_per_s", rps}, {"p50_ms", ms(h.quantile(0.5))},
                                          {"p90_ms", ms(h.quantile(0.9))}, {"p99_ms", ms(h.quantile(0.99))},
                                          {"p999_ms", ms(h.quantile(0.999))}, {"max_ms", ms(h.max())}};
    }
    const double rps = static_cast<double>(all_replies) / secs;
    std::uint64_t shed = 0, starved = 0, stale = 0;
    for (const auto& s : p.stats) {
        shed += s.shed.get();
        starved += s.starved.get();
        stale += s.stale.get();
    }
    out["starved"] = starved;
    out["stale"] = stale;
    out["replies_per_s"] = rps;
    out["timeouts"] = all_timeouts;
    out["errors"] = all_errors;
    out["shed"] = shed;
    out["p99_ms"] = ms(all.quantile(0.99));
    double cpu = -1;
    if (server_pid && proc0.cpu_s >= 0 && proc1.cpu_s >= 0) {
        cpu = proc1.cpu_s - proc0.cpu_s;
        out["server_cpu_s"] = cpu;
        out["server_cpu_s_per_million"] = all_replies ? cpu * 1e6 / static_cast<double>(all_replies) : 0;
        out["server_rss_kib"] = proc1.rss_kib;
    }
    if (json) {
        std::printf("%s\n", out.dump(2).c_str());
    } else if (kv) {
        std::printf("replies_per_s=%.0f\ntimeouts=%llu\nerrors=%llu\nshed=%llu\np50_ms=%.3f\np99_ms=%.3f\n", rps,
                    static_cast<unsigned long long>(all_timeouts), static_cast<unsigned long long>(all_errors),
                    static_cast<unsigned long long>(shed), ms(all.quantile(0.5)), ms(all.quantile(0.99)));
        if (cpu >= 0) {
            std::printf("server_cpu_s=%.3f\nserver_cpu_s_per_million=%.3f\nserver_rss_kib=%ld\n", cpu,
                        all_replies ? cpu * 1e6 / static_cast<double>(all_replies) : 0.0, proc1.rss_kib);
        }
    } else {
        std::printf("%s", table.c_str());
        std::printf("total: %.0f replies/s over %.1f s, %llu timeouts, %llu errors%s\n", rps, secs,
                    static_cast<unsigned long long>(all_timeouts), static_cast<unsigned long long>(all_errors),
                    shed ? (", " + std::to_string(shed) + " shed").c_str() : "");
        if (cpu >= 0) {
            std::printf("server: %.2f cpu-s (%.3f per 1M replies), rss %.1f MiB\n", cpu,
                        all_replies ? cpu * 1e6 / static_cast<double>(all_replies) : 0.0,
                        static_cast<double>(proc1.rss_kib) / 1024.0);
        }
    }
    (void)all_sent;
    return 0;
}
