// tools/net/options.h -- shoal-net's command line: which network to build,
// what to do to it (churn, loss) and what to measure (lookups).
//
// parse_options() turns argv into a checked `options` or a message for the
// user; every limit below is enforced there, so the rest of shoal-net can
// trust these values. Thread safety: plain values, read-only after parsing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "base/endpoint.h"
#include "engine/config.h"

namespace net {

enum class run_mode : std::uint8_t { process, inproc };

struct options {
    run_mode mode = run_mode::process;
    std::size_t nodes = 16;                     // C++ nodes (shoald processes or in-process nodes)
    std::uint16_t base_port = 42000;            // node i listens on base_port + i
    std::string host = "127.0.0.1";             // a loopback address (127.0.0.0/8)
    base::endpoint host_ep;                     // `host` parsed, port 0
    std::string shoald;                         // process mode; empty: next to shoal-net
    std::uint16_t shards = 0;                   // inproc engine shards; 0: min(nodes, 2)
    engine::backend_kind backend = engine::backend_kind::automatic;

    std::size_t js = 0;                         // JS hyperdht nodes on base_port + nodes + j
    std::string node_bin = "node";
    std::string js_script;                      // empty: the compiled-in tools/net/js_node.js
    std::string node_path;                      // empty: $NODE_PATH, else the compiled-in default

    double churn_per_min = 0;                   // C++ nodes killed per minute (node 0 is spared)
    double down_s = 5;                          // seconds a killed node stays down
    double loss_pct = 0;                        // datagram loss, percent

    std::size_t lookups = 100;
    double duration_s = 20;                     // lookups are spread evenly over this
    double settle_s = 5;                        // wait between "all listening" and the first lookup
    double grace_s = 30;                        // longest wait for lookups still running after duration

    std::uint64_t seed = 0;                     // 0: random (the one drawn is printed)
    bool json = false;
    std::string plot;                           // an .svg path, or empty
    std::string log_dir;                        // children's logs; empty: a temp dir removed at exit
    bool quiet = false;
    bool verbose = false;                       // list every failed lookup on stderr
};

// What parse_options() decided: run with these options, or exit now with
// `code` after printing `message` (to stdout for --help/--version, code 0;
// otherwise to stderr, code 2).
struct parse_exit {
    int code = 2;
    std::string message;
};
using parse_outcome = std::variant<options, parse_exit>;

// Parses and validates the command line. Never throws.
[[nodiscard]] parse_outcome parse_options(int argc, const char* const* argv);

// "process" / "inproc".
[[nodiscard]] const char* to_string(run_mode m) noexcept;

}  // namespace net
