// shoal-net -- starts and drives a local network of DHT nodes on loopback,
// churns it, loses packets, and measures FIND_NODE lookups.
//
//   shoal-net --nodes 64 --lookups 200 --duration 30 --plot cdf.svg
//   shoal-net --mode inproc --nodes 200 --loss 5 --churn 20 --json
//   shoal-net --nodes 16 --js 4
//
// Phases: start the nodes (node 0 first, the bootstrap node; the rest join
// through it) -> wait --settle-s -> start an ephemeral client node ->
// L lookups for random targets spread over --duration, while the churner
// kills and restarts nodes -> judge every lookup against the ground truth
// (tools/net/truth.h) -> report, plot. Where the pieces live:
//   tools/net/process_set   shoald and JS node processes
//   tools/net/inproc_set    nodes in this process; the loss injection point
//   tools/net/netns         process-mode loss: a private netns + netem
//   tools/net/lookups       the measuring client
//   tools/net/report, svg_plot
//
// Exit status: 0 when the run completed (whatever the success rate), 1 when
// the network or the client could not be started, 2 for bad input, 128+n
// after signal n (everything is stopped first).
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "crypto/hash.h"
#include "tools/net/churn.h"
#include "tools/net/inproc_set.h"
#include "tools/net/lookups.h"
#include "tools/net/netns.h"
#include "tools/net/options.h"
#include "tools/net/process_set.h"
#include "tools/net/report.h"
#include "tools/net/svg_plot.h"

namespace {

namespace fs = std::filesystem;
using net::options;

constexpr auto loop_step = std::chrono::milliseconds(10);
constexpr auto client_bootstrap_timeout = std::chrono::seconds(20);

struct failure {
    int code;
    std::string message;
};

base::nanoseconds seconds(double s) {
    return std::chrono::duration_cast<base::nanoseconds>(std::chrono::duration<double>(s));
}

std::string secs(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g s", s);
    return buf;
}

class progress {
public:
    explicit progress(bool quiet) : _quiet(quiet) {}
    void say(const std::string& s) const {
        if (!_quiet) std::fprintf(stderr, "shoal-net: %s\n", s.c_str());
    }

private:
    bool _quiet;
};

// The children's log directory: the user's (kept), or a temporary one that
// is removed when this goes out of scope (after every child has stopped).
class log_dir {
public:
    ~log_dir() {
        std::error_code ec;
        if (_temporary && !_path.empty()) fs::remove_all(_path, ec);
    }
    std::optional<std::string> open(const std::string& wanted) {
        std::error_code ec;
        if (!wanted.empty()) {
            fs::create_directories(wanted, ec);
            if (ec) return "--log-dir " + wanted + ": " + ec.message();
            _path = wanted;
            return std::nullopt;
        }
        std::string tmpl = (fs::temp_directory_path(ec) / "shoal-net.XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) return "cannot create a temporary directory: " + std::string(std::strerror(errno));
        _path = tmpl;
        _temporary = true;
        return std::nullopt;
    }
    [[nodiscard]] std::string file(const std::string& name) const { return (fs::path(_path) / name).string(); }

private:
    std::string _path;
    bool _temporary = false;
};

std::string default_shoald() {
    std::error_code ec;
    auto self = fs::read_symlink("/proc/self/exe", ec);
    if (ec) return "shoald";
    return (self.parent_path() / "shoald").string();
}

// Checks what the run needs from the file system before anything starts.
std::optional<failure> check_programs(options& o) {
    if (o.mode == net::run_mode::process) {
        if (o.shoald.empty()) o.shoald = default_shoald();
        if (!net::find_program(o.shoald)) return failure{2, "cannot run shoald at '" + o.shoald + "' (give --shoald PATH)"};
    }
    if (o.js > 0) {
        if (!net::find_program(o.node_bin)) return failure{2, "--js needs Node.js: cannot find '" + o.node_bin + "' (give --node PATH)"};
        if (!fs::exists(o.js_script)) return failure{2, "JS node script '" + o.js_script + "' not found (give --js-script)"};
        if (!fs::exists(fs::path(o.node_path) / "hyperdht")) {
            return failure{2, "no hyperdht package under '" + o.node_path +
                                  "' (run scripts/setup.sh, or give --node-path / NODE_PATH)"};
        }
    }
    return std::nullopt;
}

// Process-mode loss: must run before any thread exists (netns.h).
std::optional<failure> setup_process_loss(const options& o, std::optional<net::loss_method>& method) {
    if (o.mode != net::run_mode::process || o.loss_pct <= 0) return std::nullopt;
    if (::geteuid() != 0) {
        return failure{2, "--loss in process mode needs root: the nodes run in a private network namespace whose "
                          "loopback drops packets (tc netem). Run as root, or use --mode inproc (in-process loss)"};
    }
    auto r = net::isolate_with_loss(o.loss_pct);
    if (!r) return failure{1, r.error()};
    method = *r;
    return std::nullopt;
}

base::endpoint node_addr(const options& o, std::size_t i) {
    return o.host_ep.with_port(static_cast<std::uint16_t>(o.base_port + i));
}

const char* backend_name(engine::backend_kind b) {
    return b == engine::backend_kind::io_uring ? "io_uring" : b == engine::backend_kind::epoll ? "epoll" : "auto";
}

std::unique_ptr<net::node_set> make_cxx_nodes(const options& o, net::supervisor& sup, net::liveness& truth,
                                              const log_dir& logs) {
    if (o.mode == net::run_mode::inproc) {
        net::inproc_config c{.host = o.host_ep, .base_port = o.base_port, .nodes = o.nodes, .shards = o.shards,
                             .backend = o.backend, .loss = o.loss_pct / 100.0, .seed = o.seed};
        return std::make_unique<net::inproc_set>(c, truth);
    }
    std::vector<net::process_node> nodes;
    for (std::size_t i = 0; i < o.nodes; ++i) {
        const auto a = node_addr(o, i);
        net::process_node n{a, {}, "listening on"};
        n.spec.argv = {o.shoald, "--host", o.host, "--port", std::to_string(a.port()), "--public-host", o.host,
                       "--stats-interval", "0", "--backend", backend_name(o.backend), "--control", "off"};
        if (i > 0) {
            n.spec.argv.push_back("--bootstrap");
            n.spec.argv.push_back(node_addr(o, 0).to_string());
        }
        n.spec.log_path = logs.file("shoald-" + std::to_string(a.port()) + ".log");
        nodes.push_back(std::move(n));
    }
    auto set = std::make_unique<net::process_set>("shoald", sup, truth, std::move(nodes),
                                                  std::chrono::milliseconds(10'000 + 100 * o.nodes));
    set->set_first_alone(true);
    return set;
}

// The JS node's ready line must say it is persistent with id H(host:port).
base::result<void, std::string> check_js_ready(const net::process_node& n, const std::string& log) {
    const auto at = log.find("{\"ready\"");
    const auto eol = log.find('\n', at);
    auto doc = nlohmann::json::parse(log.substr(at, eol == std::string::npos ? eol : eol - at), nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return base::fail(std::string("unreadable ready line"));
    if (!doc.value("persistent", false)) return base::fail(std::string("did not become persistent"));
    const auto want = base::to_hex(dht::id_of(n.addr));
    if (!doc.contains("id") || !doc["id"].is_string() || doc["id"].get<std::string>() != want) {
        return base::fail("reports an id other than H(" + n.addr.to_string() + ")");
    }
    return {};
}

std::unique_ptr<net::process_set> make_js_nodes(const options& o, net::supervisor& sup, net::liveness& truth,
                                                const log_dir& logs) {
    std::vector<net::process_node> nodes;
    for (std::size_t j = 0; j < o.js; ++j) {
        const auto a = node_addr(o, o.nodes + j);
        net::process_node n{a, {}, "{\"ready\""};
        n.spec.argv = {o.node_bin, o.js_script, "--host", o.host, "--port", std::to_string(a.port()), "--bootstrap",
                       node_addr(o, 0).to_string()};
        n.spec.env = {"NODE_PATH=" + o.node_path};
        n.spec.log_path = logs.file("js-" + std::to_string(a.port()) + ".log");
        nodes.push_back(std::move(n));
    }
    return std::make_unique<net::process_set>("JS node", sup, truth, std::move(nodes), std::chrono::seconds(30),
                                              check_js_ready);
}

struct run_state {
    options o;
    std::string loss_method = "none";
    std::optional<net::loss_method> netns_loss;
    net::signal_watch sig;
    progress say{false};
};

// Waits for the client to bootstrap, then runs the lookups while churning.
std::optional<failure> measure(run_state& rs, net::lookup_client& client, net::node_set& cxx, net::node_set* js,
                               net::churner& churn) {
    const auto& o = rs.o;
    const auto boot_deadline = base::mono_clock::now() + client_bootstrap_timeout;
    while (!client.bootstrapped()) {
        if (base::mono_clock::now() > boot_deadline) return failure{1, "the client node did not finish bootstrapping"};
        if (rs.sig.wait(loop_step)) return std::nullopt;
    }
    client.go();
    const auto t_go = base::mono_clock::now();
    churn.begin(t_go);
    const auto deadline = t_go + seconds(o.duration_s + o.grace_s);
    auto next_note = t_go + std::chrono::seconds(5);
    rs.say.say("running " + std::to_string(o.lookups) + " lookups over " + secs(o.duration_s));
    while (client.started() < o.lookups || client.finished() < client.started()) {
        const auto now = base::mono_clock::now();
        cxx.poll(now);
        if (js) js->poll(now);
        churn.step(cxx, now);
        if (now > deadline) {
            rs.say.say("grace period over: " + std::to_string(client.started() - client.finished()) + " lookup(s) unfinished");
            break;
        }
        if (now > next_note) {
            rs.say.say(std::to_string(client.finished()) + "/" + std::to_string(o.lookups) + " lookups done, " +
                       std::to_string(churn.kills()) + " kills");
            next_note = now + std::chrono::seconds(5);
        }
        if (rs.sig.wait(loop_step)) break;
    }
    return std::nullopt;
}

std::string subtitle(const net::run_facts& f, const net::summary& s) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "%zu %s nodes%s, churn %.3g/min, loss %.3g%% -- %zu/%zu found the closest node (%.1f%%)",
                  f.nodes, f.mode == "process" ? "shoald" : "in-process",
                  f.js ? (" + " + std::to_string(f.js) + " JS").c_str() : "", f.churn_per_min, f.loss_pct, s.succeeded,
                  s.requested, 100.0 * s.success_rate());
    return buf;
}

std::optional<failure> write_plot(const std::string& path, const net::run_facts& f, const net::summary& s) {
    net::cdf_plot p{"shoal-net: FIND_NODE lookup latency (CDF)", subtitle(f, s), s.latency_ms};
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << net::render_cdf_svg(p);
    out.close();
    if (!out) return failure{1, "cannot write " + path};
    return std::nullopt;
}

void report(const run_state& rs, const net::run_facts& f, const net::summary& s) {
    if (rs.o.json) {
        std::printf("%s\n", net::to_json(f, s).dump(2).c_str());
    } else {
        std::printf("%s", net::to_text(f, s).c_str());
    }
    std::fflush(stdout);
}

net::run_facts facts_of(const run_state& rs, const net::churner& churn, const net::node_set& cxx,
                        const net::process_set* js) {
    const auto& o = rs.o;
    net::run_facts f{.mode = net::to_string(o.mode), .nodes = o.nodes, .js = o.js, .churn_per_min = o.churn_per_min,
                     .down_s = o.down_s, .loss_pct = o.loss_pct, .loss_method = rs.loss_method,
                     .settle_s = o.settle_s, .duration_s = o.duration_s, .seed = o.seed};
    f.kills = churn.kills();
    f.restarts = churn.restarts();
    f.unexpected_exits = cxx.unexpected_exits() + (js ? js->unexpected_exits() : 0);
    f.extra["nodes"] = cxx.counters();
    if (js) f.extra["js"] = js->counters();
    if (rs.netns_loss) {
        if (auto c = net::read_loss_counts(*rs.netns_loss)) {
            f.extra["netns_loss"] = {{"udp_datagrams", c->seen}, {"dropped", c->dropped}};
        } else {
            f.extra["netns_loss"] = {{"error", c.error()}};
        }
    }
    return f;
}

// Everything after the options are checked and the namespace (if any) is set up.
int run(run_state& rs) {
    const auto& o = rs.o;
    log_dir logs;
    if (auto e = logs.open(o.log_dir)) return std::fprintf(stderr, "shoal-net: %s\n", e->c_str()), 2;
    net::liveness truth;
    net::supervisor sup;
    auto cxx = make_cxx_nodes(o, sup, truth, logs);
    std::unique_ptr<net::process_set> js = o.js ? make_js_nodes(o, sup, truth, logs) : nullptr;
    auto fail = [&](const std::string& m) {
        if (!rs.sig.stopped()) std::fprintf(stderr, "shoal-net: %s\n", m.c_str());
        return rs.sig.stopped() ? 128 + rs.sig.signal() : 1;
    };
    const auto t_start = base::mono_clock::now();
    if (auto r = cxx->start(rs.sig); !r) return fail("starting the nodes: " + r.error());
    if (js) {
        if (auto r = js->start(rs.sig); !r) return fail("starting the JS nodes: " + r.error());
    }
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(base::mono_clock::now() - t_start);
    rs.say.say(std::to_string(o.nodes + o.js) + " nodes listening after " + std::to_string(took.count()) +
               " ms; settling " + secs(o.settle_s));
    if (rs.sig.wait(seconds(o.settle_s))) return fail("");
    const net::lookup_plan plan{o.lookups, seconds(o.duration_s / static_cast<double>(o.lookups)), o.seed};
    auto client = net::lookup_client::start(o.host_ep, {node_addr(o, 0)}, o.backend, plan);
    if (!client) return fail(client.error());
    net::churner churn(o.churn_per_min, o.down_s, o.seed);
    if (auto f = measure(rs, **client, *cxx, js.get(), churn)) return fail(f->message);
    auto records = (*client)->stop();
    cxx->stop();
    if (js) js->stop();
    if (rs.sig.stopped()) return fail("");
    const auto s = net::summarize(truth, records, o.lookups);
    if (o.verbose) std::fputs(net::failures_text(truth, records).c_str(), stderr);
    const auto facts = facts_of(rs, churn, *cxx, js.get());
    report(rs, facts, s);
    if (!o.plot.empty()) {
        if (auto f = write_plot(o.plot, facts, s)) return fail(f->message);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    auto parsed = net::parse_options(argc, argv);
    if (auto* e = std::get_if<net::parse_exit>(&parsed)) {
        std::fputs(e->message.c_str(), e->code == 0 ? stdout : stderr);
        return e->code;
    }
    run_state rs;
    rs.o = std::get<options>(std::move(parsed));
    rs.say = progress(rs.o.quiet);
    if (!crypto::init()) return std::fprintf(stderr, "shoal-net: libsodium failed to initialise\n"), 1;
    if (rs.o.seed == 0) {
        crypto::random_bytes(&rs.o.seed, sizeof rs.o.seed);
        rs.o.seed |= 1;
    }
    if (auto f = check_programs(rs.o)) return std::fprintf(stderr, "shoal-net: %s\n", f->message.c_str()), f->code;
    // Before any thread: unshare() and the signal mask apply to threads started later.
    if (auto f = setup_process_loss(rs.o, rs.netns_loss)) {
        std::fprintf(stderr, "shoal-net: %s\n", f->message.c_str());
        return f->code;
    }
    if (rs.netns_loss) rs.loss_method = net::to_string(*rs.netns_loss);
    if (rs.o.mode == net::run_mode::inproc && rs.o.loss_pct > 0) rs.loss_method = "in-process injection";
    rs.sig.install();
    return run(rs);
}
