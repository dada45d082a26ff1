// tools/daemon/routines.h -- shoald's named periodic routines, listed and
// changed through the control listener (GET /routines, POST /routines/NAME):
//
//   pings        dht: ping the least recently seen table nodes   (shards; default 40 s)
//   refresh      dht: the idle refresh walk                      (shards; default 300 s after the last query)
//   expiry       store: drop expired records and values          (shards; default 1 s)
//   snapshot     save the routing table to state_dir             (main thread; snapshot_interval)
//   status_line  log the status line                             (main thread; stats_interval)
//
// A change is `action=stop`, `action=start` or `interval=SECONDS`; shard
// routines run on the 5 s tick, so their intervals are rounded up to whole
// ticks. Changes last until the process stops (SIGHUP re-applies
// snapshot_interval and stats_interval from the file).
//
// Thread safety: every member may be called from any thread.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "tools/node_service.h"

namespace tools::daemon {

struct routine_info {
    std::string name, where, what;
    bool enabled = true;
    double interval_s = 0;
    std::optional<double> last_run_s_ago;
};

enum class main_routine : std::uint8_t { snapshot, status_line };

class routines {
public:
    routines(node_service& svc, unsigned snapshot_s, unsigned status_s);

    [[nodiscard]] std::vector<routine_info> list() const;
    // Applies one change; error: unknown routine or a bad value.
    [[nodiscard]] base::result<routine_info, std::string> change(const std::string& name, const std::string& action,
                                                                 const std::string& interval);
    // Main thread: whether a main-thread routine is due now; if so, it counts as run.
    [[nodiscard]] bool due(main_routine r);
    // SIGHUP: new intervals from the file for the main-thread routines.
    void reset_interval(main_routine r, unsigned seconds);

private:
    struct main_state {
        bool enabled = true;
        unsigned interval_s = 0;  // 0: never (only at stop, for the snapshot)
        std::chrono::steady_clock::time_point next, last;
        bool ran = false;
    };
    [[nodiscard]] routine_info info_of(std::size_t i) const;

    node_service& _svc;
    mutable std::mutex _mu;
    std::array<main_state, 2> _main;
};

}  // namespace tools::daemon
