// tools/daemon/options.h -- shoald's settings: one table of keys (control/config.h)
// that is at once the TOML file, the SHOALD_* environment and the command line.
//
//   shoald --config /etc/shoal/shoald.toml --port 49737
//   SHOALD_LOG_LEVEL=debug shoald --config        # ./shoald.toml, $XDG_CONFIG_HOME/shoal/, /etc/shoal/
//   shoald --print-config > shoald.toml           # every key, commented, with its default
//   shoald --check-config shoald.toml             # exit 0, or 2 with FILE:LINE:COL: key: why
//
// Precedence: flags > environment > file > defaults. docs/operations.md lists the keys.
// Thread safety: plain values, built on the main thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "control/config.h"

namespace tools::daemon {

struct options {
    std::string host = "0.0.0.0";
    std::uint16_t port = 49737;
    std::string public_host;
    std::uint16_t public_port = 0;
    std::vector<std::string> bootstrap;
    std::uint16_t shards = 1;
    std::vector<int> cpus;
    bool ephemeral = false;
    bool adaptive = false;
    std::string backend = "auto";
    unsigned stats_interval = 60;
    std::string log_level = "info";
    double record_ttl = 20;
    double value_ttl = 48;
    std::size_t max_records = 1'000'000;
    std::size_t max_values = 250'000;
    std::size_t max_value_mib = 256;
    double relay_rate = 200;
    std::string verify = "batch";
    std::string verify_backend = "auto";
    std::size_t verify_batch = 64;
    unsigned verify_delay_us = 500;
    std::string control = "127.0.0.1:49738";
    std::string control_token_file;
    unsigned ready_min_nodes = 3;
    // Where the node keeps state across restarts: the routing table snapshot and
    // the store (<state_dir>/store). Default: $STATE_DIRECTORY when systemd sets it; empty: keep no state.
    std::string state_dir;
    unsigned snapshot_interval = 60;
    unsigned store_flush_ms = 100;
};

// Every key, in the order --print-config writes them.
[[nodiscard]] std::span<const control::key<options>> keys() noexcept;

// What the command line asks for.
struct run_request {
    options o;
    std::string config_file;  // the file read, empty when none
    // The flags given, as (key, text): they win over a reloaded file too.
    std::vector<std::pair<std::string, std::string>> flags;
};
struct print_request {
    std::string text;  // --print-config: the default file
};
struct check_request {
    std::string file;  // --check-config FILE: checked, then exit
};
using request = std::variant<run_request, print_request, check_request>;

// Reads the command line, the environment (`env`, null-terminated) and the
// configuration file. Returns what to do, or an exit status with the message
// already printed (0 for --help/--version, 2 for bad input).
[[nodiscard]] std::variant<request, int> parse(int argc, char** argv, char** env);

// The options from defaults, `file` (when not empty) and then `env`, without
// the command line: what SIGHUP reloads and --check-config checks.
[[nodiscard]] base::result<options, std::string> load(const std::string& file, char** env);
// load(), then the flags of `r` on top: the settings SIGHUP switches to.
[[nodiscard]] base::result<options, std::string> reload(const run_request& r, char** env);

// The file `--config` without a path uses: the first that exists of
// ./shoald.toml, $XDG_CONFIG_HOME/shoal/shoald.toml (or ~/.config/...),
// /etc/shoal/shoald.toml. Empty when none does.
[[nodiscard]] std::string default_config_file(char** env);

}  // namespace tools::daemon
