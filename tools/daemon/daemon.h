// tools/daemon/daemon.h -- shoald's life: settings to a running node service,
// the control listener, signals, and the log.
//
// Signals: SIGINT/SIGTERM stop; SIGUSR1 logs every non-zero counter; SIGHUP
// re-reads the configuration file and the environment (flags still win) and
// applies what can change at run time (log_level, stats_interval,
// ready_min_nodes); an invalid file is logged and the old settings kept.
//
// Thread safety: run() owns the main thread; the control listener runs on
// its own threads (control_routes.h).
#pragma once

#include "tools/daemon/options.h"

namespace tools::daemon {

// Runs until SIGINT/SIGTERM. Returns the exit status: 0 after a signal, 1 when
// the node or its control listener cannot start, 2 for a bad setting.
[[nodiscard]] int run(const run_request& r, char** env);

// --check-config FILE: 0 and "FILE: ok" when valid, 2 with the error otherwise.
[[nodiscard]] int check(const check_request& c, char** env);

}  // namespace tools::daemon
