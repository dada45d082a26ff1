// engine_echo: an echo server on the shoal engine -- the engine benchmark's
// subject and a demo you can poke with any UDP tool:
//   engine_echo --port 9000 &   then   echo hi | nc -u -w1 127.0.0.1 9000
#include <CLI/CLI.hpp>
#include <signal.h>

#include <cstdio>
#include <string>

#include "engine/engine.h"

namespace {

struct echo final : engine::handler {
    void on_packet(engine::shard& s, const engine::datagram& d) noexcept override { s.send(d.from, d.data, d.socket); }
};

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Echo server on the shoal engine"};
    std::string host = "127.0.0.1", backend = "auto", sends = "sendmmsg";
    std::uint16_t port = 9000, shards = 1;
    std::vector<int> cpus;
    app.add_option("--host", host, "bind address");
    app.add_option("--port", port, "UDP port");
    app.add_option("--shards", shards, "number of shards")->check(CLI::Range(1, 64));
    app.add_option("--cpus", cpus, "pin shard i to cpus[i % n]")->delimiter(',');
    app.add_option("--backend", backend, "auto, io_uring or epoll")->check(CLI::IsMember({"auto", "io_uring", "epoll"}));
    app.add_option("--sends", sends, "sqe (io_uring SQE batches) or sendmmsg")->check(CLI::IsMember({"sqe", "sendmmsg"}));
    CLI11_PARSE(app, argc, argv);

    auto at = base::endpoint::parse_host(host, port);
    if (!at) {
        std::fprintf(stderr, "engine_echo: bad --host '%s'\n", host.c_str());
        return 2;
    }
    engine::config cfg;
    cfg.shards = shards;
    cfg.cpus = cpus;
    cfg.binds = {*at};
    cfg.backend = backend == "io_uring" ? engine::backend_kind::io_uring
                  : backend == "epoll"  ? engine::backend_kind::epoll
                                        : engine::backend_kind::automatic;
    cfg.sends = sends == "sendmmsg" ? engine::send_mode::sendmmsg : engine::send_mode::sqe_batch;

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);  // shard threads inherit the mask; main waits below

    auto e = engine::engine::create(cfg, [](engine::shard&) {
        std::vector<std::unique_ptr<engine::handler>> v;
        v.push_back(std::make_unique<echo>());
        return v;
    });
    if (!e) {
        std::fprintf(stderr, "engine_echo: %s\n", e.error().c_str());
        return 1;
    }
    if (auto r = (*e)->start(); !r) {
        std::fprintf(stderr, "engine_echo: %s\n", r.error().c_str());
        return 1;
    }
    std::fprintf(stderr, "engine_echo: %u shard(s) on %s, backend %s, sends %s\n", shards,
                 (*e)->bound()[0].to_string().c_str(), engine::to_string((*e)->backend()), sends.c_str());
    int sig = 0;
    sigwait(&set, &sig);
    (*e)->stop();
    (*e)->join();
    return 0;
}
