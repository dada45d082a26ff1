// tools/daemon/service_notify.h -- what shoald tells systemd (sd_notify(3)),
// when it runs as a Type=notify service (NOTIFY_SOCKET set); nothing otherwise.
//
//   READY=1       once the node has bootstrapped (a bootstrap node with no
//                 peers is bootstrapped at once)
//   STATUS=...    the readiness verdict and table size, when it changes
//   WATCHDOG=1    every half WatchdogSec, but only while every shard loop has
//                 gone round in the last 10 s (each shard wakes at least for its
//                 5 s tick), so a stuck shard gets the service restarted; use a
//                 WatchdogSec above 10 s
//   RELOADING=1 / READY=1 around a SIGHUP, STOPPING=1 at stop
//
// Thread safety: the main thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "tools/node_service.h"

namespace tools::daemon {

class service_notify {
public:
    service_notify();
    // From the main loop, at least once a second and by wait() : READY,
    // STATUS and WATCHDOG as due.
    void poll(const node_service& s, const std::string& not_ready_reason);
    // How long the main loop may wait before the next poll (at most `most`).
    [[nodiscard]] std::chrono::milliseconds wait(std::chrono::milliseconds most) const;
    void reloading();
    void reloaded();
    void stopping();
    [[nodiscard]] bool active() const noexcept { return _active; }

private:
    void send(const std::string& state);

    bool _active = false;
    bool _ready = false;
    std::string _status;
    std::chrono::microseconds _watchdog{0};  // 0: no watchdog
    std::chrono::steady_clock::time_point _next_watchdog;
    struct progress {
        std::uint64_t loops = 0;  // the shard's published loop count
        std::chrono::steady_clock::time_point changed;
    };
    std::vector<progress> _shards;
};

}  // namespace tools::daemon
