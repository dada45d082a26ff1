// engine/engine.h -- the thread-per-core UDP engine: N shards, their sockets and
// the SPSC rings between every pair of them.
//
// Life cycle: create() opens and binds every socket on the calling thread (so
// each SO_REUSEPORT group is in shard order, which kernel steering relies on)
// and picks the backend; start() launches one pinned thread per shard; stop()
// may be called from any thread (not from a signal handler); join() waits.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "base/spsc_ring.h"
#include "engine/config.h"
#include "engine/handler.h"
#include "engine/shard.h"

namespace engine {

// Builds the handlers of one shard, on that shard's thread. Index = packet kind.
using handler_factory = std::function<std::vector<std::unique_ptr<handler>>(shard&)>;

class engine {
public:
    // Opens the sockets and chooses the backend. Errors are human-readable
    // ("bind 127.0.0.1:10001: Address already in use").
    [[nodiscard]] static base::result<std::unique_ptr<engine>, std::string> create(config cfg,
                                                                                   handler_factory factory);
    ~engine();
    engine(const engine&) = delete;
    engine& operator=(const engine&) = delete;

    // Starts the shard threads. Returns an error if a shard fails to start.
    [[nodiscard]] base::result<void, std::string> start();
    void stop() noexcept;
    void join() noexcept;
    // start() + join().
    [[nodiscard]] base::result<void, std::string> run();

    [[nodiscard]] backend_kind backend() const noexcept { return _backend; }
    [[nodiscard]] std::uint16_t shard_count() const noexcept { return _cfg.shards; }
    // The addresses the shared sockets are bound to (ports resolved).
    [[nodiscard]] const std::vector<base::endpoint>& bound() const noexcept { return _bound; }
    // Sum of one metric over all shards, as last published (any thread; exact
    // once the shards stopped). E is any metric enum a shard publishes:
    // engine::ctr, or one a handler registered with shard::publish_metrics.
    template <class E>
    [[nodiscard]] std::uint64_t total(E c) const noexcept {
        std::uint64_t sum = 0;
        for (std::uint16_t s = 0; s < shard_count(); ++s) {
            const shard& sh = this->shard_at(s);
            for (std::size_t b = 0; b < sh.metric_blocks(); ++b) {
                if (sh.metric_block(b).is<E>()) sum += sh.metric_block(b).value(static_cast<std::size_t>(c));
            }
        }
        return sum;
    }
    // Any thread: shard s, for reading its published metrics.
    [[nodiscard]] const shard& shard_at(std::uint16_t s) const noexcept { return *_shards[s]; }
    // Whether kernel steering (SO_ATTACH_REUSEPORT_CBPF) is active.
    [[nodiscard]] bool kernel_steering() const noexcept { return _kernel_steering; }
    // Whether sends leave from send-only sockets (see config::send_sockets).
    [[nodiscard]] bool separate_send_sockets() const noexcept { return _separate_send; }

private:
    friend class shard;
    engine(config cfg, handler_factory factory);
    [[nodiscard]] base::result<void, std::string> open_sockets();
    void shard_main(std::uint16_t s);
    [[nodiscard]] base::spsc_ring<message>& ring(std::uint16_t from, std::uint16_t to) noexcept {
        return *_rings[static_cast<std::size_t>(from) * _cfg.shards + to];
    }

    config _cfg;
    handler_factory _factory;
    backend_kind _backend = backend_kind::epoll;
    bool _kernel_steering = false;
    std::vector<base::endpoint> _bound;
    std::vector<std::vector<int>> _fds;       // per shard: receive sockets
    std::vector<std::vector<int>> _send_fds;  // per shard: the socket each receive socket's sends leave from
    bool _separate_send = false;
    std::vector<std::vector<base::endpoint>> _locals;
    std::vector<std::unique_ptr<base::spsc_ring<message>>> _rings;  // [from * n + to], null on the diagonal
    std::vector<std::unique_ptr<shard>> _shards;
    std::vector<std::thread> _threads;
    std::atomic<int> _started{0};  // shards that finished start-up (ok or not)
    std::atomic<int> _go{0};       // 0 waiting, 1 run, -1 abort
    std::vector<std::string> _start_errors;
};

// True when this kernel and process can run the io_uring backend (ring with
// SINGLE_ISSUER|DEFER_TASKRUN, provided buffer ring, multishot recvmsg on UDP).
// Otherwise `why` says what is missing. Cached after the first call.
[[nodiscard]] bool io_uring_usable(std::string* why = nullptr);

[[nodiscard]] const char* to_string(backend_kind k) noexcept;

}  // namespace engine
