#include "tools/daemon/options.h"

#include <CLI/CLI.hpp>
#include <sys/stat.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "tools/version.h"

namespace tools::daemon {

namespace {

using control::when;
using key = control::key<options>;
using sv = std::string_view;

constexpr std::array<sv, 3> backends{"auto", "io_uring", "epoll"};
constexpr std::array<sv, 5> log_levels{"trace", "debug", "info", "warn", "error"};
constexpr std::array<sv, 2> verify_modes{"batch", "single"};
constexpr std::array<sv, 4> verify_backends{"auto", "ifma", "avx2", "portable"};

const std::array<key, 28> table{{
    {"host", &options::host, "IPv4 address to bind"},
    {"port", &options::port, "UDP port to bind (0: any free port)"},
    {"public_host", &options::public_host,
     "this node's public IPv4 address: it is persistent from the start (a bootstrap node); empty: learn it"},
    {"public_port", &options::public_port, "public port when it differs from port (0: the same)"},
    {"bootstrap", &options::bootstrap, "HOST:PORT of nodes to join through"},
    {"shards", &options::shards, "threads, one per core, sharing the port", 1, 64},
    {"cpus", &options::cpus, "pin shard i to the i-th listed cpu (empty: no pinning)", 0, 4095},
    {"ephemeral", &options::ephemeral, "never become persistent (no id, stores nothing)"},
    {"adaptive", &options::adaptive,
     "without public_host, wait ~20 min of stable uptime before trying to become persistent (the reference "
     "client's default) instead of trying at bootstrap"},
    {"backend", &options::backend, "I/O backend: auto, io_uring or epoll", 0, 0, backends},
    {"stats_interval", &options::stats_interval, "seconds between status lines in the log (0: never)", 0, 86400, {},
     when::reload},
    {"log_level", &options::log_level, "trace, debug, info, warn or error", 0, 0, log_levels, when::reload},
    {"record_ttl", &options::record_ttl, "minutes a topic record or route lives without re-announce", 1, 7 * 24 * 60},
    {"value_ttl", &options::value_ttl, "hours a mutable or immutable value lives without a write", 0.1, 24 * 365},
    {"max_records", &options::max_records, "topic records kept per shard (oldest evicted first)", 1, 100'000'000},
    {"max_values", &options::max_values, "mutable and immutable values kept per shard", 1, 100'000'000},
    {"max_value_mib", &options::max_value_mib, "MiB of value bytes kept per shard", 1, 1 << 20},
    {"relay_rate", &options::relay_rate, "relayed handshake/holepunch datagrams per second allowed per source IP", 1,
     1e7},
    {"verify", &options::verify, "signature checks: batch (batched Ed25519) or single (libsodium each)", 0, 0,
     verify_modes},
    {"verify_backend", &options::verify_backend,
     "batch verification arithmetic: auto (best this CPU has), ifma, avx2 or portable", 0, 0, verify_backends},
    {"verify_batch", &options::verify_batch, "most signatures per batch", 1, 1024},
    {"verify_delay_us", &options::verify_delay_us, "longest a signature waits for its batch, in microseconds", 1,
     1'000'000},
    {"control", &options::control,
     "HOST:PORT of the HTTP control listener (/metrics, /healthz, /readyz, /status, ...), or off"},
    {"control_token_file", &options::control_token_file,
     "file (mode 0600) holding the bearer token that lets a non-loopback client change state; empty: only "
     "loopback clients may"},
    {"ready_min_nodes", &options::ready_min_nodes,
     "/readyz answers 200 only while at least this many table nodes reached this node within the last minute", 0,
     1000, {}, when::reload},
    {"state_dir", &options::state_dir,
     "directory for state kept across restarts (the routing table snapshot, the store in <state_dir>/store); "
     "empty: $STATE_DIRECTORY when systemd sets it, else nothing is kept"},
    {"snapshot_interval", &options::snapshot_interval,
     "seconds between routing table snapshots in state_dir (0: only at stop)", 0, 86400, {}, when::reload},
    {"store_flush_ms", &options::store_flush_ms,
     "longest time between commits of store changes to <state_dir>/store: what a kill -9 may lose, in ms", 1,
     60'000},
}};

constexpr sv env_prefix = "SHOALD";

std::string getenv_of(char** env, sv name) {
    for (char** e = env; e != nullptr && *e != nullptr; ++e) {
        sv s(*e);
        if (s.size() > name.size() && s.substr(0, name.size()) == name && s[name.size()] == '=') {
            return std::string(s.substr(name.size() + 1));
        }
    }
    return {};
}

bool exists(const std::string& path) {
    struct stat st{};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool is_list(const key& k) {
    return std::holds_alternative<std::vector<std::string> options::*>(k.target) ||
           std::holds_alternative<std::vector<int> options::*>(k.target);
}

int fail(const std::string& msg) {
    std::fprintf(stderr, "shoald: %s\n", msg.c_str());
    return 2;
}

}  // namespace

std::span<const key> keys() noexcept { return table; }

std::string default_config_file(char** env) {
    std::vector<std::string> candidates{"shoald.toml"};
    if (auto xdg = getenv_of(env, "XDG_CONFIG_HOME"); !xdg.empty()) {
        candidates.push_back(xdg + "/shoal/shoald.toml");
    } else if (auto home = getenv_of(env, "HOME"); !home.empty()) {
        candidates.push_back(home + "/.config/shoal/shoald.toml");
    }
    candidates.emplace_back("/etc/shoal/shoald.toml");
    for (const auto& c : candidates) {
        if (exists(c)) return c;
    }
    return {};
}

base::result<options, std::string> load(const std::string& file, char** env) {
    options o;
    if (!file.empty()) {
        if (auto r = control::apply_file(o, keys(), file); !r) return base::fail(r.error());
    }
    if (auto r = control::apply_env(o, keys(), env_prefix, env); !r) return base::fail(r.error());
    if (o.state_dir.empty()) {
        // systemd's StateDirectory= (a colon-separated list: the first is ours). An
        // empty state_dir in the file (as --print-config writes it) means this too.
        const std::string sd = getenv_of(env, "STATE_DIRECTORY");
        o.state_dir = sd.substr(0, sd.find(':'));
    }
    return o;
}

base::result<options, std::string> reload(const run_request& r, char** env) {
    auto o = load(r.config_file, env);
    if (!o) return o;
    for (const auto& [name, text] : r.flags) {
        const key* k = control::find_key(keys(), name);
        if (k == nullptr) continue;
        if (auto s = control::set_from_text(*o, *k, text, control::flag_name(name)); !s) return base::fail(s.error());
    }
    return o;
}

std::variant<request, int> parse(int argc, char** argv, char** env) {
    CLI::App app{"shoald: a HyperDHT-compatible DHT node (bootstrap, storage and holepunch relay)"};
    app.set_version_flag("--version", std::string("shoald ") + tools::version);
    app.footer("Every setting is also a key of the --config file and an environment variable SHOALD_<KEY>;\n"
               "precedence: flags > environment > file > defaults. --print-config shows them all.");
    std::string config_file, check_file;
    bool print = false;
    auto* cfg = app.add_option("--config", config_file,
                               "TOML file to read; without a path: ./shoald.toml, $XDG_CONFIG_HOME/shoal/shoald.toml, "
                               "/etc/shoal/shoald.toml (the first that exists)")
                    ->expected(0, 1);
    app.add_flag("--print-config", print, "print a complete, commented configuration file of the defaults and exit");
    app.add_option("--check-config", check_file, "check FILE (and the SHOALD_* environment) and exit: 0 valid, 2 not");
    // Every key as a flag; the text is checked by the key table below, so that
    // a flag, an environment variable and a file key fail the same way.
    std::map<std::string, std::string> texts;
    std::map<std::string, bool> bools;
    std::map<std::string, std::vector<std::string>> lists;
    std::vector<std::pair<std::string, CLI::Option*>> given;
    for (const auto& k : keys()) {
        const std::string flag = control::flag_name(k.name), name(k.name);
        CLI::Option* opt = nullptr;
        if (std::holds_alternative<bool options::*>(k.target)) {
            opt = app.add_flag(flag, bools[name], std::string(k.help));
        } else if (is_list(k)) {
            // Repeatable and comma-separated: --bootstrap a --bootstrap b,c is the list a, b, c.
            opt = app.add_option(flag, lists[name], std::string(k.help))->delimiter(',');
        } else {
            opt = app.add_option(flag, texts[name], std::string(k.help));
        }
        given.emplace_back(name, opt);
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : 2;
    }
    if (print) {
        options defaults;
        return request{print_request{control::print_defaults<options>(
            defaults, keys(),
            "# shoald configuration (TOML). Every key is optional; each is shown with its default.\n"
            "# Precedence: command-line flags > environment (SHOALD_<KEY>) > this file > defaults.\n"
            "# Check a file with: shoald --check-config FILE\n")}};
    }
    if (!check_file.empty()) return request{check_request{check_file}};
    run_request r;
    if (cfg->count() > 0) {
        r.config_file = config_file.empty() ? default_config_file(env) : config_file;
        if (r.config_file.empty()) {
            return fail("--config: no shoald.toml in ., $XDG_CONFIG_HOME/shoal or /etc/shoal (give a path)");
        }
    }
    for (const auto& [name, opt] : given) {
        if (opt->count() == 0) continue;
        const key* k = control::find_key(keys(), name);
        std::string text;
        if (std::holds_alternative<bool options::*>(k->target)) {
            text = bools[name] ? "true" : "false";
        } else if (is_list(*k)) {
            for (const auto& item : lists[name]) text += (text.empty() ? "" : ",") + item;
        } else {
            text = texts[name];
        }
        r.flags.emplace_back(name, std::move(text));
    }
    auto o = reload(r, env);
    if (!o) return fail(o.error());
    r.o = std::move(*o);
    return request{std::move(r)};
}

}  // namespace tools::daemon
