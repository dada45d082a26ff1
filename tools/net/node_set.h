// tools/net/node_set.h -- a group of DHT nodes shoal-net can start, kill,
// restart and stop: shoald processes, JS processes, or nodes in this process.
//
// Each node is a member of the ground truth (truth.h): a node set registers
// its nodes with the shared `liveness` when they first come up and records
// every later transition there, stamped with the time it took effect (down:
// when the kill was issued; up: when the node was seen listening again).
//
// Thread safety: main thread only (implementations may run threads inside).
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

#include "base/result.h"
#include "base/time.h"
#include "tools/net/signals.h"

namespace net {

class node_set {
public:
    virtual ~node_set() = default;
    // Starts every node and returns once all are listening, or an error
    // (also when a stop signal arrives while waiting).
    [[nodiscard]] virtual base::result<void, std::string> start(signal_watch& sig) = 0;
    [[nodiscard]] virtual std::size_t size() const noexcept = 0;
    // Its member index in the ground truth.
    [[nodiscard]] virtual std::size_t truth_index(std::size_t i) const noexcept = 0;
    // Whether node i is up now (listening, not killed).
    [[nodiscard]] virtual bool up(std::size_t i) const noexcept = 0;
    // Kills node i abruptly (no goodbye to its peers). REQUIRES: up(i).
    virtual void kill(std::size_t i, base::mono_time now) = 0;
    // Starts node i again on the same address, with fresh state.
    virtual void restart(std::size_t i, base::mono_time now) = 0;
    // Notices transitions (a restarted node listening, a node that died).
    virtual void poll(base::mono_time now) = 0;
    // Stops every node; afterwards counters() is final.
    virtual void stop() noexcept = 0;
    // Nodes that died without being killed.
    [[nodiscard]] virtual std::size_t unexpected_exits() const noexcept = 0;
    [[nodiscard]] virtual nlohmann::json counters() const = 0;
};

}  // namespace net
