// shoal -- a command-line client for any HyperDHT network (shoald or JS nodes).
//
//   shoal --bootstrap 127.0.0.1:10001 lookup --topic-string chat
//   shoal --bootstrap 127.0.0.1:10001 announce --topic-string chat --seed <64 hex> --relay 127.0.0.1:10002
//
// It runs an ephemeral node (no id, stores nothing) for the one operation and
// exits: 0 on success, 1 when the operation failed or found nothing, 2 for
// bad input. It prints one field per line, or JSON with --json.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <variant>

#include "crypto/hash.h"
#include "hyperdht/client.h"
#include "tools/client_runtime.h"
#include "tools/node_service.h"
#include "tools/control_view.h"
#include "tools/version.h"

namespace {

using json = nlohmann::ordered_json;  // fields print in the order they were added

std::vector<std::byte> bytes_of(const std::string& s) {
    return {reinterpret_cast<const std::byte*>(s.data()), reinterpret_cast<const std::byte*>(s.data()) + s.size()};
}
std::string hex(std::span<const std::byte> b) { return base::to_hex(b); }

// A value from the network as text safe for a terminal: printable ASCII as
// is, every other byte as \xNN (valueHex carries the exact bytes).
std::string printable(std::span<const std::byte> b) {
    std::string out;
    for (std::byte x : b) {
        const auto c = static_cast<unsigned char>(x);
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += static_cast<char>(c);
        } else {
            char e[5];
            std::snprintf(e, sizeof e, "\\x%02x", c);
            out += e;
        }
    }
    return out;
}

template <class Fixed>
bool parse_hex(const std::string& s, Fixed& out) {
    return base::from_hex(s, out);
}

json peers_json(const std::vector<dht::found_peer>& peers) {
    json arr = json::array();
    for (const auto& p : peers) {
        json relays = json::array();
        for (const auto& r : p.relays) relays.push_back(r.to_string());
        arr.push_back({{"publicKey", base::to_hex(p.pk)}, {"relays", relays}, {"from", p.from.to_string()}});
    }
    return arr;
}

// "publicKey" -> "public key", "rttMs" -> "rtt ms".
std::string words(const std::string& key) {
    std::string out;
    for (char c : key) {
        if (c >= 'A' && c <= 'Z') {
            out += ' ';
            out += static_cast<char>(c - 'A' + 'a');
        } else {
            out += c;
        }
    }
    return out;
}
std::string scalar(const json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
    if (v.is_array()) {
        if (v.empty()) return "-";
        std::string out;
        for (const auto& x : v) out += (out.empty() ? "" : ", ") + scalar(x);
        return out;
    }
    if (v.is_number_float()) {
        char b[32];
        std::snprintf(b, sizeof b, "%.3f", v.get<double>());
        return b;
    }
    return v.dump();
}
// One "label  value" line per field; a list of objects as one indented line
// per item, its first field bare and the rest labelled. An empty error is left out.
void print_human(const json& doc) {
    for (const auto& [k, v] : doc.items()) {
        if (k == "error" && v.is_string() && v.get<std::string>().empty()) continue;
        const bool list = v.is_array() && !v.empty() && v.front().is_object();
        std::printf("%-13s %s\n", words(k).c_str(), list ? std::to_string(v.size()).c_str() : scalar(v).c_str());
        if (!list) continue;
        for (const auto& item : v) {
            std::string line;
            for (const auto& [k2, v2] : item.items()) {
                if (!line.empty()) line += "  " + words(k2) + " ";
                line += scalar(v2);
            }
            std::printf("  %s\n", line.c_str());
        }
    }
}

// What an operation reports: a JSON document and whether it succeeded.
struct outcome {
    bool ok = false;
    json doc;
};

// The command line as given.
struct options {
    std::string command;  // the sub-command's name
    std::vector<std::string> bootstrap;
    std::string host = "0.0.0.0";
    double timeout_s = 15;
    bool as_json = false;
    std::string topic_hex, topic_string, seed_hex, pk_hex, hash_hex, target_hex, node_addr;
    std::vector<std::string> relays;
    std::string value, value_hex;
    std::uint64_t seq = 0;
    bool self_announce = false;
    std::string control;  // status --control, top --control
    unsigned frames = 0;  // top --count
};

void add_topic(CLI::App* c, options& o) {
    auto* t = c->add_option("--topic", o.topic_hex, "topic as 64 hex characters");
    auto* s = c->add_option("--topic-string", o.topic_string, "topic = BLAKE2b-256 of this string");
    t->excludes(s);
}
void add_value(CLI::App* c, options& o) {
    auto* v = c->add_option("--value", o.value, "value as text");
    auto* x = c->add_option("--value-hex", o.value_hex, "value as hex");
    v->excludes(x);
}

void add_storage_commands(CLI::App& app, options& o) {
    auto* announce = app.add_subcommand("announce", "announce a key pair on a topic (or, with --self, as a server)");
    add_topic(announce, o);
    announce->add_flag("--self", o.self_announce, "announce under H(public key), as a server does; find-peer then finds it");
    announce->add_option("--seed", o.seed_hex, "key pair seed, 64 hex characters")->required();
    announce->add_option("--relay", o.relays, "relay address to publish with the record (up to 3)")->delimiter(',');
    auto* unannounce = app.add_subcommand("unannounce", "remove a key pair's record from a topic");
    add_topic(unannounce, o);
    unannounce->add_option("--seed", o.seed_hex, "key pair seed, 64 hex characters")->required();
    auto* find_peer = app.add_subcommand("find-peer", "find the relays of a server by its public key");
    find_peer->add_option("public-key", o.pk_hex, "64 hex characters")->required();
    auto* mput = app.add_subcommand("mutable-put", "store a signed, sequenced value under a key pair");
    mput->add_option("--seed", o.seed_hex, "key pair seed, 64 hex characters")->required();
    mput->add_option("--seq", o.seq, "sequence number")->capture_default_str();
    add_value(mput, o);
    auto* mget = app.add_subcommand("mutable-get", "fetch the latest value for a public key");
    mget->add_option("public-key", o.pk_hex, "64 hex characters")->required();
    mget->add_option("--seq", o.seq, "only values with at least this seq");
    auto* iput = app.add_subcommand("immutable-put", "store a value under its hash");
    add_value(iput, o);
    auto* iget = app.add_subcommand("immutable-get", "fetch a value by its hash");
    iget->add_option("hash", o.hash_hex, "64 hex characters")->required();
}

// The command line, or the exit status when there is nothing to run (--help,
// --version: 0; a parse error, reported by CLI11: 2).
std::variant<options, int> parse_options(int argc, char** argv) {
    options o;
    CLI::App app{"shoal: talk to a HyperDHT network (keygen, ping, lookup, announce, storage, status)"};
    app.set_version_flag("--version", std::string("shoal ") + tools::version);
    app.require_subcommand(1);
    app.add_option("--bootstrap", o.bootstrap, "HOST:PORT of nodes to join through (repeat or comma-separate)")
        ->delimiter(',');
    app.add_option("--host", o.host, "IPv4 address to bind")->capture_default_str();
    app.add_option("--timeout", o.timeout_s, "seconds before giving up")->check(CLI::Range(0.1, 3600.0))->capture_default_str();
    app.add_flag("--json", o.as_json, "print JSON");
    auto* keygen = app.add_subcommand("keygen", "print a new Ed25519 key pair (or the one for --seed)");
    keygen->add_option("--seed", o.seed_hex, "32-byte seed, 64 hex characters");
    auto* ping = app.add_subcommand("ping", "PING a node; prints its id (if persistent) and our address as it sees it");
    ping->add_option("node", o.node_addr, "HOST:PORT")->required();
    auto* find_node = app.add_subcommand("find-node", "iterative FIND_NODE; prints the closest nodes");
    find_node->add_option("target", o.target_hex, "64 hex characters (default: random)");
    auto* lookup = app.add_subcommand("lookup", "find the peers announced on a topic");
    add_topic(lookup, o);
    add_storage_commands(app, o);
    auto* status = app.add_subcommand(
        "status", "probe a node: id, persistence, round trip, what it knows; with --control, a shoald's own /status");
    auto* node = status->add_option("node", o.node_addr, "HOST:PORT");
    auto* ctl = status->add_option("--control", o.control, "read a shoald's control listener (IPV4:PORT) instead");
    node->excludes(ctl);
    auto* top = app.add_subcommand("top", "live view of a shoald from its control listener: rates, drops, store, table");
    o.control = "";
    top->add_option("--control", o.control, "the control listener, IPV4:PORT (default 127.0.0.1:49738)");
    top->add_option("--count", o.frames, "frames to show, one a second (0: until Ctrl-C)")->capture_default_str();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return e.get_exit_code() == 0 ? app.exit(e) : (app.exit(e), 2);
    }
    o.command = app.get_subcommands().front()->get_name();
    if (o.command == "status" && o.node_addr.empty() && o.control.empty()) {
        std::fprintf(stderr, "shoal status: give a node (HOST:PORT) or --control HOST:PORT\n");
        return 2;
    }
    return o;
}

int usage(const std::string& m) {
    std::fprintf(stderr, "shoal: %s\n", m.c_str());
    return 2;
}

bool keys_from_seed(const std::string& seed_hex, crypto::keypair& kp) {
    crypto::seed s;
    if (!parse_hex(seed_hex, s)) return false;
    kp = crypto::keypair_from_seed(s);
    return true;
}

// keygen needs no network.
int run_keygen(const options& o) {
    crypto::keypair kp;
    std::string seed_hex = o.seed_hex;
    if (!seed_hex.empty()) {
        if (!keys_from_seed(seed_hex, kp)) return usage("--seed must be 64 hex characters");
    } else {
        crypto::seed s;
        crypto::random_bytes(s.data(), 32);
        seed_hex = base::to_hex(s);
        kp = crypto::keypair_from_seed(s);
    }
    json d = {{"seed", seed_hex}, {"publicKey", base::to_hex(kp.pk)}, {"secretKey", base::to_hex(kp.sk)}};
    if (o.as_json) {
        std::printf("%s\n", d.dump(2).c_str());
    } else {
        std::printf("seed        %s\npublic key  %s\n", seed_hex.c_str(), base::to_hex(kp.pk).c_str());
    }
    return 0;
}

// A checked operation: what to do, and the client that does it.
struct config {
    options o;
    std::optional<dht::target> topic;
    crypto::keypair keys;
    crypto::public_key pk;
    dht::target hash_target;
    std::vector<std::byte> val;
    std::vector<base::endpoint> relay_eps;
    std::optional<base::endpoint> node_ep;
    std::optional<dht::target> fn_target;
    tools::client_config client;
    [[nodiscard]] bool is(const char* c) const { return o.command == c; }
};

using config_result = base::result<config, std::string>;
using check = std::optional<std::string>;  // an error for the user, or nothing

check check_topic(config& c) {
    if (!c.is("lookup") && !c.is("announce") && !c.is("unannounce")) return std::nullopt;
    const auto& o = c.o;
    if (c.is("announce") && o.self_announce) {
        if (!o.topic_hex.empty() || !o.topic_string.empty()) return "--self announces under H(public key); give no topic";
        c.topic = dht::client::hash(c.keys.pk.bytes());
        return std::nullopt;
    }
    if (!o.topic_string.empty()) {
        c.topic = dht::client::hash(base::as_bytes(o.topic_string));
        return std::nullopt;
    }
    dht::target t;
    if (!parse_hex(o.topic_hex, t)) return "give --topic (64 hex characters) or --topic-string";
    c.topic = t;
    return std::nullopt;
}

check check_value(config& c) {
    if (!c.is("mutable-put") && !c.is("immutable-put")) return std::nullopt;
    if (!c.o.value_hex.empty()) {
        std::string raw;
        if (!base::from_hex(c.o.value_hex, raw)) return "--value-hex is not hex";
        c.val = bytes_of(raw);
    } else {
        c.val = bytes_of(c.o.value);
    }
    if (c.val.size() > 1000) return "values are limited to 1000 bytes (a value travels in one datagram)";
    return std::nullopt;
}

check check_addresses(config& c) {
    for (const auto& r : c.o.relays) {
        auto e = tools::resolve_endpoint(r);
        if (!e) return "--relay " + e.error();
        c.relay_eps.push_back(*e);
    }
    if (c.relay_eps.size() > 3) return "at most 3 --relay addresses";
    if (c.is("ping") || c.is("status")) {
        auto e = tools::resolve_endpoint(c.o.node_addr);
        if (!e) return e.error();
        c.node_ep = *e;
    }
    return std::nullopt;
}

check check_client(config& c) {
    auto bind = base::endpoint::parse_host(c.o.host, 0);
    if (!bind) return "--host '" + c.o.host + "' is not an IPv4 address";
    c.client.bind = *bind;
    for (const auto& b : c.o.bootstrap) {
        auto e = tools::resolve_endpoint(b);
        if (!e) return "--bootstrap " + e.error();
        c.client.bootstrap.push_back(*e);
    }
    if (c.client.bootstrap.empty() && !c.is("ping") && !c.is("status")) {
        return "--bootstrap is required (HOST:PORT of a node of the network)";
    }
    return std::nullopt;
}

// Checks the options of a network operation, in the order the user reads about them.
config_result make_config(const options& o) {
    config c;
    c.o = o;
    if ((c.is("announce") || c.is("unannounce") || c.is("mutable-put")) && !keys_from_seed(o.seed_hex, c.keys)) {
        return base::fail(std::string("--seed must be 64 hex characters"));
    }
    if (auto e = check_topic(c)) return base::fail(*e);
    if ((c.is("find-peer") || c.is("mutable-get")) && !parse_hex(o.pk_hex, c.pk)) {
        return base::fail(std::string("the public key must be 64 hex characters"));
    }
    if (c.is("immutable-get") && !parse_hex(o.hash_hex, c.hash_target)) return base::fail(std::string("the hash must be 64 hex characters"));
    if (auto e = check_value(c)) return base::fail(*e);
    if (auto e = check_addresses(c)) return base::fail(*e);
    if (c.is("find-node") && !o.target_hex.empty()) {
        dht::target t;
        if (!parse_hex(o.target_hex, t)) return base::fail(std::string("the target must be 64 hex characters"));
        c.fn_target = t;
    }
    if (auto e = check_client(c)) return base::fail(*e);
    return c;
}

using reporter = std::function<void(outcome)>;

// PING for the id and our address as the node sees it; FIND_NODE
// towards its own id for what its routing table holds.
struct probe final : dht::rpc_client {
    reporter report;
    json doc;
    bool want_table = false;
    dht::node* n = nullptr;
    base::endpoint to;
    void on_reply(std::uint64_t cookie, const dht::rpc_reply& r) noexcept override {
        if (cookie == 0) {
            doc["rttMs"] = std::chrono::duration<double, std::milli>(r.rtt).count();
            doc["persistent"] = r.from_id.has_value();
            if (r.from_id) doc["id"] = base::to_hex(*r.from_id);
            doc["yourAddress"] = r.res.to.to_string();
            if (!want_table) return report({true, doc});
            dht::rpc_request req;
            req.to = to;
            req.internal = true;
            req.command = static_cast<std::uint64_t>(dht::internal_cmd::find_node);
            req.tgt = dht::to_target(dht::id_of(to));
            n->request(std::move(req), this, 1);
            return;
        }
        json nodes = json::array();
        for (std::size_t i = 0; i < r.res.closer.size(); ++i) nodes.push_back(r.res.closer[i].to_string());
        doc["knows"] = nodes;
        report({true, doc});
    }
    void on_fail(std::uint64_t, dht::rpc_fail, const dht::rpc_request&) noexcept override {
        doc["error"] = "no answer";
        report({false, doc});
    }
};

void start_probe(const config& c, dht::node& n, const reporter& report, std::shared_ptr<void>& keep_alive) {
    auto p = std::make_shared<probe>();
    p->report = report;
    keep_alive = p;
    p->want_table = c.is("status");
    p->n = &n;
    p->to = *c.node_ep;
    dht::rpc_request req;
    req.to = *c.node_ep;
    req.internal = true;
    req.command = static_cast<std::uint64_t>(dht::internal_cmd::ping);
    n.request(std::move(req), p.get(), 0);
}

void start_find_node(const config& c, dht::node& n, const reporter& report) {
    dht::query_spec q;
    if (c.fn_target) {
        q.tgt = *c.fn_target;
    } else {
        std::array<std::uint8_t, 32> a;
        crypto::random_bytes(a.data(), 32);
        q.tgt = dht::target(a);
    }
    q.internal = true;
    q.command = static_cast<std::uint64_t>(dht::internal_cmd::find_node);
    q.on_done = [report, t = q.tgt](const dht::query_result& r) {
        json nodes = json::array();
        for (const auto& x : r.closest) nodes.push_back({{"node", x.from.to_string()}, {"id", base::to_hex(*x.from_id)}});
        report({r.ok && !r.closest.empty(), {{"target", base::to_hex(t)}, {"replies", r.successes}, {"closest", nodes}}});
    };
    n.start_query(std::move(q));
}

void start_topic_op(const config& c, dht::client& cl, const reporter& report) {
    const auto& keys = c.keys;
    if (c.is("lookup")) {
        cl.lookup(*c.topic, [report](const dht::lookup_result& r) {
            report({r.ok && !r.peers.empty(), {{"replies", r.replies}, {"peers", peers_json(r.peers)}, {"error", r.error}}});
        });
    } else if (c.is("announce")) {
        cl.announce(*c.topic, keys, c.relay_eps, [report, &keys](const dht::op_result& r) {
            report({r.ok, {{"publicKey", base::to_hex(keys.pk)}, {"stored", r.stored}, {"replies", r.replies}, {"error", r.error}}});
        });
    } else if (c.is("unannounce")) {
        cl.unannounce(*c.topic, keys, [report](const dht::op_result& r) {
            report({r.ok, {{"removed", r.stored}, {"replies", r.replies}, {"error", r.error}}});
        });
    } else if (c.is("find-peer")) {
        cl.find_peer(c.pk, [report](const dht::lookup_result& r) {
            report({!r.peers.empty(), {{"replies", r.replies}, {"peers", peers_json(r.peers)}}});
        });
    }
}

void start_value_op(const config& c, dht::client& cl, const reporter& report) {
    const auto& keys = c.keys;
    if (c.is("mutable-put")) {
        cl.mutable_put(keys, c.val, c.o.seq, [report, &keys](const dht::op_result& r) {
            report({r.ok, {{"publicKey", base::to_hex(keys.pk)}, {"stored", r.stored}, {"error", r.error}}});
        });
    } else if (c.is("mutable-get")) {
        cl.mutable_get(c.pk, c.o.seq, [report](const dht::op_result& r, const std::optional<dht::mutable_value>& v) {
            if (!v) return report({false, {{"replies", r.replies}, {"found", false}}});
            report({true, {{"found", true}, {"seq", v->seq}, {"value", printable(v->value)},
                           {"valueHex", hex(v->value)}, {"from", v->from.to_string()}}});
        });
    } else if (c.is("immutable-put")) {
        cl.immutable_put(c.val, [report](const dht::op_result& r, const dht::target& h) {
            report({r.ok, {{"hash", base::to_hex(h)}, {"stored", r.stored}, {"error", r.error}}});
        });
    } else if (c.is("immutable-get")) {
        cl.immutable_get(c.hash_target, [report](const dht::op_result& r, const std::optional<std::vector<std::byte>>& v) {
            if (!v) return report({false, {{"replies", r.replies}, {"found", false}}});
            report({true, {{"found", true}, {"value", printable(*v)}, {"valueHex", hex(*v)}}});
        });
    }
}

// Starts the operation on the client's shard; `report` is called once with its outcome.
void start_operation(const config& c, dht::node& n, const reporter& report, std::shared_ptr<void>& keep_alive) {
    if (c.is("ping") || c.is("status")) return start_probe(c, n, report, keep_alive);
    if (c.is("find-node")) return start_find_node(c, n, report);
    auto cl = std::make_shared<dht::client>(n);
    auto keep = [report, cl](outcome o) { report(std::move(o)); };
    start_topic_op(c, *cl, keep);
    start_value_op(c, *cl, keep);
}

void print(const config& c, outcome& out) {
    if (c.o.as_json) {
        out.doc["ok"] = out.ok;
        std::printf("%s\n", out.doc.dump(2, ' ', false, json::error_handler_t::replace).c_str());
    } else {
        print_human(out.doc);
    }
}

// Runs the operation on a client node until it reports or --timeout passes.
int run(config& c) {
    std::atomic<bool> finished{false};
    outcome out;
    std::atomic<tools::client_runtime*> rt_atomic{nullptr};
    // What a request holds by raw pointer lives here, past the client (declared
    // before it, so destroyed after its thread is joined).
    std::shared_ptr<void> keep_alive;
    auto finish = [&](outcome o) {
        out = std::move(o);
        finished.store(true);
        if (auto* r = rt_atomic.load()) r->request_stop();
    };
    c.client.on_ready = [&](dht::node& n) { start_operation(c, n, finish, keep_alive); };
    auto rt = tools::client_runtime::start(c.client);
    if (!rt) {
        std::fprintf(stderr, "shoal: %s\n", rt.error().c_str());
        return 1;
    }
    tools::client_runtime* r = rt->get();
    rt_atomic.store(r);
    if (finished.load()) r->request_stop();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(c.o.timeout_s);
    while (!finished.load() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    r->stop();
    if (!finished.load()) {
        std::fprintf(stderr, "shoal: timed out after %.1f s\n", c.o.timeout_s);
        return 1;
    }
    print(c, out);
    return out.ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    auto parsed = parse_options(argc, argv);
    if (auto* code = std::get_if<int>(&parsed)) return *code;
    const auto& o = std::get<options>(parsed);
    if (!crypto::init()) return usage("libsodium failed to initialise");
    if (o.command == "keygen") return run_keygen(o);
    if (o.command == "top" || (o.command == "status" && !o.control.empty())) {
        auto t = o.control.empty() ? tools::control_target{} : tools::parse_control_target(o.control);
        if (!t) return usage(t.error());
        return o.command == "top" ? tools::control_top(*t, o.frames) : tools::control_status(*t, o.as_json);
    }
    auto c = make_config(o);
    if (!c) return usage(c.error());
    return run(*c);
}
