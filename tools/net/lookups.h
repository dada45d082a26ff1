// tools/net/lookups.h -- the measuring client: an ephemeral dht::node (on a
// tools::client_runtime, as tools/shoal.cc runs it) that issues
// FIND_NODE lookups for random targets on a schedule.
//
// The schedule runs on the client's shard as a dht::app_handler driven by
// the node's application timers: once the main thread calls go(), lookup i
// starts at t0 + i * interval (t0 = the first poll after go()), whether or
// not earlier lookups have finished. Each lookup is stamped with the node's
// loop time (steady_clock) when it starts and when its query finishes.
//
// Thread safety: the public methods are for the main thread. The records
// are written on the client's shard only and handed over by stop(), after
// the shard thread has been joined; started()/finished() are atomics.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/endpoint.h"
#include "base/result.h"
#include "base/time.h"
#include "engine/config.h"
#include "tools/net/truth.h"

namespace tools {
class client_runtime;
}

namespace net {

struct lookup_plan {
    std::size_t count = 0;
    base::nanoseconds interval{0};
    std::uint64_t seed = 1;  // targets are drawn from base::prng(seed)
};

class lookup_driver;

class lookup_client {
public:
    // Starts the client node on host:0, joining through `bootstrap`.
    [[nodiscard]] static base::result<std::unique_ptr<lookup_client>, std::string> start(
        const base::endpoint& host, std::vector<base::endpoint> bootstrap, engine::backend_kind backend, lookup_plan plan);
    ~lookup_client();
    lookup_client(const lookup_client&) = delete;
    lookup_client& operator=(const lookup_client&) = delete;

    // Whether the client's node has finished bootstrapping (refreshed by its timers).
    [[nodiscard]] bool bootstrapped() const;
    // Starts the schedule.
    void go() noexcept;
    [[nodiscard]] std::size_t started() const noexcept;
    [[nodiscard]] std::size_t finished() const noexcept;
    // Stops the client node and returns the record of every lookup it
    // started, in order (unfinished ones have finished == false).
    [[nodiscard]] std::vector<lookup_record> stop();

private:
    lookup_client() = default;
    std::unique_ptr<lookup_driver> _driver;  // outlives the node (declared first, destroyed last)
    std::unique_ptr<tools::client_runtime> _svc;
};

}  // namespace net
