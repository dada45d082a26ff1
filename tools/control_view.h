// tools/control_view.h -- what `shoal status --control` and `shoal top` show:
// a shoald's control listener (/status, /readyz, /metrics), read over HTTP.
//
//   shoal status --control 127.0.0.1:49738      # the node's /status and readiness
//   shoal top [--control 127.0.0.1:49738]       # live: rates per command, drops by
//                                               # reason, store, table; every second
//
// The answers are untrusted input (control/http_client.h, parse_samples).
// Thread safety: the calling thread only.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "base/result.h"

namespace tools {

struct control_target {
    std::string host = "127.0.0.1";
    std::uint16_t port = 49738;
};

// "HOST:PORT" (an IPv4 literal) as a target.
[[nodiscard]] base::result<control_target, std::string> parse_control_target(const std::string& s);

// Prints the node's /status (JSON with --json, else one line per field) and
// its readiness. Exit status: 0 ready, 3 not ready, 1 unreachable or a bad answer.
[[nodiscard]] int control_status(const control_target& t, bool as_json);

// One frame's figures from two /metrics scrapes `seconds` apart.
struct top_frame {
    std::map<std::string, double> totals;  // summed over shards and labels we do not show
    std::map<std::string, double> rates;   // per second, same keys
};
// The text of a frame (what `shoal top` prints each second).
[[nodiscard]] std::string render_top(const control_target& t, const top_frame& f);
// Sums a /metrics text into the keys `shoal top` shows ("requests ping",
// "drops dht too_short", "store record", "table nodes", ...). Error: a bad text.
[[nodiscard]] base::result<std::map<std::string, double>, std::string> top_figures(const std::string& metrics);

// Refreshes every second until `frames` frames were shown (0: until SIGINT).
// Clears the terminal between frames when stdout is one. Exit status: 0, or 1
// when the node cannot be read.
[[nodiscard]] int control_top(const control_target& t, unsigned frames);

}  // namespace tools
