#include "tools/net/options.h"

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdlib>

#include "tools/version.h"

#ifndef SHOAL_NET_JS_SCRIPT
#define SHOAL_NET_JS_SCRIPT "tools/net/js_node.js"
#endif
#ifndef SHOAL_NET_NODE_PATH
#define SHOAL_NET_NODE_PATH "tests/interop/node_modules"
#endif

namespace net {

namespace {

constexpr std::size_t max_nodes = 1024;  // processes and sockets we are willing to start
constexpr std::size_t max_js = 64;

// Why the values are refused, or nothing. Checks what CLI11 cannot express
// (relations between flags, finite doubles, the port range).
std::optional<std::string> check(options& o) {
    auto finite = [](double v) { return std::isfinite(v); };
    if (!finite(o.churn_per_min) || !finite(o.down_s) || !finite(o.loss_pct) || !finite(o.duration_s) ||
        !finite(o.settle_s) || !finite(o.grace_s)) {
        return "numbers must be finite";
    }
    auto ep = base::endpoint::parse_host(o.host, 0);
    if (!ep) return "--host '" + o.host + "' is not an IPv4 address";
    if (ep->v4_octets()[0] != 127) {
        return "--host must be a loopback address (127.0.0.0/8): shoal-net only builds networks on this machine";
    }
    o.host_ep = *ep;
    const std::size_t last = std::size_t{o.base_port} + o.nodes + o.js - 1;
    if (last > 65535) {
        return "ports " + std::to_string(o.base_port) + ".." + std::to_string(last) + " do not fit below 65536";
    }
    if (o.churn_per_min > 0 && o.nodes < 2) return "--churn needs at least 2 nodes (node 0, the bootstrap node, is never killed)";
    if (o.mode == run_mode::process && o.shards != 0) return "--shards applies to --mode inproc only";
    if (o.mode == run_mode::inproc && !o.shoald.empty()) return "--shoald applies to --mode process only";
    if (o.mode == run_mode::inproc) {
        if (o.shards > o.nodes) o.shards = static_cast<std::uint16_t>(o.nodes);
        if (o.shards == 0) o.shards = static_cast<std::uint16_t>(o.nodes < 2 ? o.nodes : 2);
    }
    if (!o.plot.empty()) {
        const std::string ext = ".svg";
        if (o.plot.size() <= ext.size() || o.plot.compare(o.plot.size() - ext.size(), ext.size(), ext) != 0) {
            return "--plot writes SVG: give a file name ending in .svg";
        }
    }
    if (o.js_script.empty()) o.js_script = SHOAL_NET_JS_SCRIPT;
    if (o.node_path.empty()) {
        const char* env = std::getenv("NODE_PATH");
        o.node_path = env && *env ? env : SHOAL_NET_NODE_PATH;
    }
    return std::nullopt;
}

}  // namespace

const char* to_string(run_mode m) noexcept { return m == run_mode::process ? "process" : "inproc"; }

parse_outcome parse_options(int argc, const char* const* argv) {
    options o;
    CLI::App app{"shoal-net: start a local network of shoal (and JS hyperdht) nodes on loopback, churn it, "
                 "lose packets, and measure FIND_NODE lookups (success rate, hops, latency)"};
    app.set_version_flag("--version", std::string("shoal-net ") + tools::version);
    std::string mode = "process", backend = "auto";
    app.add_option("--nodes", o.nodes, "number of C++ nodes")->check(CLI::Range(std::size_t{1}, max_nodes))->capture_default_str();
    app.add_option("--base-port", o.base_port, "node i listens on BASE+i (JS nodes follow the C++ ones)")
        ->check(CLI::Range(1, 65535))
        ->capture_default_str();
    app.add_option("--host", o.host, "loopback IPv4 address every node binds")->capture_default_str();
    app.add_option("--mode", mode, "process: one shoald per node; inproc: all nodes in this process")
        ->check(CLI::IsMember({"process", "inproc"}))
        ->capture_default_str();
    app.add_option("--shoald", o.shoald, "shoald binary (process mode; default: next to shoal-net)");
    app.add_option("--shards", o.shards, "inproc: engine threads hosting the nodes (default: min(nodes, 2))")
        ->check(CLI::Range(1, 64));
    app.add_option("--backend", backend, "I/O backend of every node and the client")
        ->check(CLI::IsMember({"auto", "io_uring", "epoll"}))
        ->capture_default_str();
    app.add_option("--js", o.js, "also start this many JS hyperdht nodes")->check(CLI::Range(std::size_t{0}, max_js))->capture_default_str();
    app.add_option("--node", o.node_bin, "Node.js binary for --js")->capture_default_str();
    app.add_option("--js-script", o.js_script, "the JS node script (default: tools/net/js_node.js in the source tree)");
    app.add_option("--node-path", o.node_path, "NODE_PATH for the JS nodes (default: $NODE_PATH, else tests/interop/node_modules)");
    app.add_option("--churn", o.churn_per_min, "nodes killed per minute while lookups run (each restarted after --down-s)")
        ->check(CLI::Range(0.0, 6000.0))
        ->capture_default_str();
    app.add_option("--down-s", o.down_s, "seconds a killed node stays down")->check(CLI::Range(0.1, 3600.0))->capture_default_str();
    app.add_option("--loss", o.loss_pct, "datagram loss in percent (inproc: injected in-process; process: netns, root only)")
        ->check(CLI::Range(0.0, 99.0))
        ->capture_default_str();
    app.add_option("--lookups", o.lookups, "FIND_NODE lookups for random targets")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}))
        ->capture_default_str();
    app.add_option("--duration", o.duration_s, "seconds over which the lookups are spread")
        ->check(CLI::Range(0.0, 86400.0))
        ->capture_default_str();
    app.add_option("--settle-s", o.settle_s, "seconds to let the network form before the first lookup")
        ->check(CLI::Range(0.0, 3600.0))
        ->capture_default_str();
    app.add_option("--grace-s", o.grace_s, "longest wait after --duration for lookups still running (they then count as failed)")
        ->check(CLI::Range(0.0, 3600.0))
        ->capture_default_str();
    app.add_option("--seed", o.seed, "seed for targets, churn victims and injected loss (0: random)");
    app.add_flag("--json", o.json, "print the report as JSON");
    app.add_option("--plot", o.plot, "write the lookup latency CDF to this .svg file");
    app.add_option("--log-dir", o.log_dir, "keep the children's logs here (default: a temporary directory, removed at exit)");
    app.add_flag("--quiet", o.quiet, "no progress lines on stderr");
    app.add_flag("--verbose", o.verbose, "list every failed lookup on stderr (target, expected node, found node)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        return parse_exit{0, app.help()};
    } catch (const CLI::CallForVersion&) {
        return parse_exit{0, std::string("shoal-net ") + tools::version + "\n"};
    } catch (const CLI::ParseError& e) {
        return parse_exit{2, std::string("shoal-net: ") + e.what() + "\n(try shoal-net --help)\n"};
    }
    o.mode = mode == "process" ? run_mode::process : run_mode::inproc;
    o.backend = backend == "io_uring" ? engine::backend_kind::io_uring
                : backend == "epoll"  ? engine::backend_kind::epoll
                                      : engine::backend_kind::automatic;
    if (auto why = check(o)) return parse_exit{2, "shoal-net: " + *why + "\n(try shoal-net --help)\n"};
    return o;
}

}  // namespace net
