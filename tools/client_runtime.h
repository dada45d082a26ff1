// tools/client_runtime.h -- a lightweight runtime for a DHT client: one
// engine shard running an ephemeral dht::node (persistence::never, no
// HyperDHT store) on the shared tools::node_adapter.
//
// For tools that act as a client for one job (shoal's operations, shoal-net's
// measuring client): no status snapshot, no counter sums, no store. The job
// starts in `on_ready`, on the shard, once the node has started; the hyperdht
// client calls (hyperdht/client.h) and dht::node queries run there.
//
// Thread safety: start/stop/bootstrapped from the owning (main) thread;
// request_stop from any thread; on_ready and everything it starts run on the shard.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/endpoint.h"
#include "base/result.h"
#include "dht/node.h"
#include "engine/engine.h"

namespace tools {

struct client_config {
    base::endpoint bind;  // host:0 for any free port
    engine::backend_kind backend = engine::backend_kind::automatic;
    std::vector<base::endpoint> bootstrap;
    // Runs on the shard once the node has started.
    std::function<void(dht::node&)> on_ready;
};

class client_runtime {
public:
    [[nodiscard]] static base::result<std::unique_ptr<client_runtime>, std::string> start(client_config cfg);
    ~client_runtime();
    client_runtime(const client_runtime&) = delete;
    client_runtime& operator=(const client_runtime&) = delete;

    // Stops the shard and waits for it. Not from the shard thread.
    void stop() noexcept;
    // Asks the shard to stop without waiting; safe from any thread, the shard included.
    void request_stop() noexcept { _engine->stop(); }
    // Whether the node has finished bootstrapping (refreshed by its timers).
    [[nodiscard]] bool bootstrapped() const noexcept { return _bootstrapped.load(std::memory_order_acquire); }

private:
    friend class client_handler;
    explicit client_runtime(client_config cfg) : _cfg(std::move(cfg)) {}

    client_config _cfg;
    base::endpoint _bound;
    std::unique_ptr<engine::engine> _engine;
    std::atomic<bool> _bootstrapped{false};
};

}  // namespace tools
