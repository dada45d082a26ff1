// tools/daemon/control_routes.h -- what shoald's control listener serves
// (docs/operations.md, "The control listener"):
//
//   GET /metrics        Prometheus exposition of every published metric, per shard
//   GET /healthz        200 while the process serves
//   GET /readyz         200 while bootstrapped and enough table nodes reached us
//                       in the last minute; 503 with the reason otherwise
//   GET /status         JSON: identity, addresses, state, shards, uptime, store, table
//   GET /routing-table  JSON: the primary's table as of its last tick
//   GET /routines       JSON: the named routines, their intervals and last runs
//   POST /routines/NAME action=stop|start or interval=SECONDS (loopback or bearer token)
//
// The handlers run on the listener's threads and read only what the shards
// publish (metric blocks, the status atomics, the table copy), so the packet
// path neither waits for nor allocates for a request.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "control/http_listener.h"
#include "tools/daemon/routines.h"
#include "tools/node_service.h"

namespace tools::daemon {

// What the routes read besides the service; owned by the daemon, outliving the listener.
struct control_context {
    const node_service* svc = nullptr;
    std::chrono::steady_clock::time_point started;
    std::chrono::system_clock::time_point started_wall;
    std::atomic<unsigned> ready_min_nodes{3};  // SIGHUP may change it
    std::string config_file;
    std::string persistence;  // how the node became or may become persistent
    routines* jobs = nullptr;  // the named routines (GET /routines, POST /routines/NAME)
};

[[nodiscard]] std::vector<control::route> control_routes(control_context& ctx);

// The readiness verdict /readyz gives: empty when ready, else why not.
[[nodiscard]] std::string not_ready_reason(const node_status& st, unsigned min_nodes);

// The /metrics text.
[[nodiscard]] std::string metrics_text(const control_context& ctx);

}  // namespace tools::daemon
