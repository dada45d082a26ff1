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

#include "crypto/hash.h"
#include "hyperdht/client.h"
#include "tools/client_runtime.h"
#include "tools/node_service.h"
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

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"shoal: talk to a HyperDHT network (keygen, ping, lookup, announce, storage, status)"};
    app.set_version_flag("--version", std::string("shoal ") + tools::version);
    app.require_subcommand(1);
    std::vector<std::string> bootstrap;
    std::string host = "0.0.0.0";
    double timeout_s = 15;
    bool as_json = false;
    app.add_option("--bootstrap", bootstrap, "HOST:PORT of nodes to join through (repeat or comma-separate)")
        ->delimiter(',');
    app.add_option("--host", host, "IPv4 address to bind")->capture_default_str();
    app.add_option("--timeout", timeout_s, "seconds before giving up")->check(CLI::Range(0.1, 3600.0))->capture_default_str();
    app.add_flag("--json", as_json, "print JSON");

    // Shared sub-options.
    std::string topic_hex, topic_string, seed_hex, pk_hex, hash_hex, target_hex, node_addr;
    std::vector<std::string> relays;
    std::string value, value_hex;
    std::uint64_t seq = 0;
    auto add_topic = [&](CLI::App* c) {
        auto* t = c->add_option("--topic", topic_hex, "topic as 64 hex characters");
        auto* s = c->add_option("--topic-string", topic_string, "topic = BLAKE2b-256 of this string");
        t->excludes(s);
    };
    auto add_value = [&](CLI::App* c) {
        auto* v = c->add_option("--value", value, "value as text");
        auto* x = c->add_option("--value-hex", value_hex, "value as hex");
        v->excludes(x);
    };

    auto* keygen = app.add_subcommand("keygen", "print a new Ed25519 key pair (or the one for --seed)");
    keygen->add_option("--seed", seed_hex, "32-byte seed, 64 hex characters");
    auto* ping = app.add_subcommand("ping", "PING a node; prints its id (if persistent) and our address as it sees it");
    ping->add_option("node", node_addr, "HOST:PORT")->required();
    auto* find_node = app.add_subcommand("find-node", "iterative FIND_NODE; prints the closest nodes");
    find_node->add_option("target", target_hex, "64 hex characters (default: random)");
    auto* lookup = app.add_subcommand("lookup", "find the peers announced on a topic");
    add_topic(lookup);
    auto* announce = app.add_subcommand("announce", "announce a key pair on a topic (or, with --self, as a server)");
    add_topic(announce);
    bool self_announce = false;
    announce->add_flag("--self", self_announce, "announce under H(public key), as a server does; find-peer then finds it");
    announce->add_option("--seed", seed_hex, "key pair seed, 64 hex characters")->required();
    announce->add_option("--relay", relays, "relay address to publish with the record (up to 3)")->delimiter(',');
    auto* unannounce = app.add_subcommand("unannounce", "remove a key pair's record from a topic");
    add_topic(unannounce);
    unannounce->add_option("--seed", seed_hex, "key pair seed, 64 hex characters")->required();
    auto* find_peer = app.add_subcommand("find-peer", "find the relays of a server by its public key");
    find_peer->add_option("public-key", pk_hex, "64 hex characters")->required();
    auto* mput = app.add_subcommand("mutable-put", "store a signed, sequenced value under a key pair");
    mput->add_option("--seed", seed_hex, "key pair seed, 64 hex characters")->required();
    mput->add_option("--seq", seq, "sequence number")->capture_default_str();
    add_value(mput);
    auto* mget = app.add_subcommand("mutable-get", "fetch the latest value for a public key");
    mget->add_option("public-key", pk_hex, "64 hex characters")->required();
    mget->add_option("--seq", seq, "only values with at least this seq");
    auto* iput = app.add_subcommand("immutable-put", "store a value under its hash");
    add_value(iput);
    auto* iget = app.add_subcommand("immutable-get", "fetch a value by its hash");
    iget->add_option("hash", hash_hex, "64 hex characters")->required();
    auto* status = app.add_subcommand("status", "probe a node: id, persistence, round trip, what it knows");
    status->add_option("node", node_addr, "HOST:PORT")->required();

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return e.get_exit_code() == 0 ? app.exit(e) : (app.exit(e), 2);
    }
    auto usage = [](const std::string& m) {
        std::fprintf(stderr, "shoal: %s\n", m.c_str());
        return 2;
    };
    if (!crypto::init()) return usage("libsodium failed to initialise");

    // --- validate inputs --------------------------------------------------
    auto keys_from_seed = [&](crypto::keypair& kp) -> bool {
        crypto::seed s;
        if (!parse_hex(seed_hex, s)) return false;
        kp = crypto::keypair_from_seed(s);
        return true;
    };
    if (keygen->parsed()) {
        crypto::keypair kp;
        if (!seed_hex.empty()) {
            if (!keys_from_seed(kp)) return usage("--seed must be 64 hex characters");
        } else {
            crypto::seed s;
            crypto::random_bytes(s.data(), 32);
            seed_hex = base::to_hex(s);
            kp = crypto::keypair_from_seed(s);
        }
        json d = {{"seed", seed_hex}, {"publicKey", base::to_hex(kp.pk)}, {"secretKey", base::to_hex(kp.sk)}};
        if (as_json) {
            std::printf("%s\n", d.dump(2).c_str());
        } else {
            std::printf("seed        %s\npublic key  %s\n", seed_hex.c_str(), base::to_hex(kp.pk).c_str());
        }
        return 0;
    }
    std::optional<dht::target> topic;
    crypto::keypair keys;
    if ((announce->parsed() || unannounce->parsed() || mput->parsed()) && !keys_from_seed(keys)) {
        return usage("--seed must be 64 hex characters");
    }
    for (auto* c : {lookup, announce, unannounce}) {
        if (!c->parsed()) continue;
        if (c == announce && self_announce) {
            if (!topic_hex.empty() || !topic_string.empty()) return usage("--self announces under H(public key); give no topic");
            topic = dht::client::hash(keys.pk.bytes());
            continue;
        }
        if (!topic_string.empty()) {
            topic = dht::client::hash(base::as_bytes(topic_string));
        } else {
            dht::target t;
            if (!parse_hex(topic_hex, t)) return usage("give --topic (64 hex characters) or --topic-string");
            topic = t;
        }
    }
    crypto::public_key pk;
    if ((find_peer->parsed() || mget->parsed()) && !parse_hex(pk_hex, pk)) return usage("the public key must be 64 hex characters");
    dht::target hash_target;
    if (iget->parsed() && !parse_hex(hash_hex, hash_target)) return usage("the hash must be 64 hex characters");
    std::vector<std::byte> val;
    if (mput->parsed() || iput->parsed()) {
        if (!value_hex.empty()) {
            std::string raw;
            if (!base::from_hex(value_hex, raw)) return usage("--value-hex is not hex");
            val = bytes_of(raw);
        } else {
            val = bytes_of(value);
        }
        if (val.size() > 1000) return usage("values are limited to 1000 bytes (a value travels in one datagram)");
    }
    std::vector<base::endpoint> relay_eps;
    for (const auto& r : relays) {
        auto e = tools::resolve_endpoint(r);
        if (!e) return usage("--relay " + e.error());
        relay_eps.push_back(*e);
    }
    if (relay_eps.size() > 3) return usage("at most 3 --relay addresses");
    std::optional<base::endpoint> node_ep;
    if (ping->parsed() || status->parsed()) {
        auto e = tools::resolve_endpoint(node_addr);
        if (!e) return usage(e.error());
        node_ep = *e;
    }
    std::optional<dht::target> fn_target;
    if (find_node->parsed() && !target_hex.empty()) {
        dht::target t;
        if (!parse_hex(target_hex, t)) return usage("the target must be 64 hex characters");
        fn_target = t;
    }
    tools::client_config cfg;
    auto bind = base::endpoint::parse_host(host, 0);
    if (!bind) return usage("--host '" + host + "' is not an IPv4 address");
    cfg.bind = *bind;
    for (const auto& b : bootstrap) {
        auto e = tools::resolve_endpoint(b);
        if (!e) return usage("--bootstrap " + e.error());
        cfg.bootstrap.push_back(*e);
    }
    if (cfg.bootstrap.empty() && !ping->parsed() && !status->parsed()) {
        return usage("--bootstrap is required (HOST:PORT of a node of the network)");
    }

    // --- run the operation on the node's shard ------------------------------
    std::atomic<bool> finished{false};
    outcome out;
    tools::client_runtime* svc_ptr = nullptr;
    std::atomic<tools::client_runtime*> svc_atomic{nullptr};
    // What a request holds by raw pointer lives here, past the service (declared
    // before it, so destroyed after its threads are joined).
    std::shared_ptr<void> keep_alive;
    auto finish = [&](outcome o) {
        out = std::move(o);
        finished.store(true);
        if (auto* s = svc_atomic.load()) s->request_stop();
    };
    cfg.on_ready = [&](dht::node& n) {
        auto c = std::make_shared<dht::client>(n);
        auto report = [finish, c](outcome o) { finish(std::move(o)); };
        if (lookup->parsed()) {
            c->lookup(*topic, [report](const dht::lookup_result& r) {
                report({r.ok && !r.peers.empty(), {{"replies", r.replies}, {"peers", peers_json(r.peers)}, {"error", r.error}}});
            });
        } else if (announce->parsed()) {
            c->announce(*topic, keys, relay_eps, [report, &keys](const dht::op_result& r) {
                report({r.ok, {{"publicKey", base::to_hex(keys.pk)}, {"stored", r.stored}, {"replies", r.replies}, {"error", r.error}}});
            });
        } else if (unannounce->parsed()) {
            c->unannounce(*topic, keys, [report](const dht::op_result& r) {
                report({r.ok, {{"removed", r.stored}, {"replies", r.replies}, {"error", r.error}}});
            });
        } else if (find_peer->parsed()) {
            c->find_peer(pk, [report](const dht::lookup_result& r) {
                report({!r.peers.empty(), {{"replies", r.replies}, {"peers", peers_json(r.peers)}}});
            });
        } else if (mput->parsed()) {
            c->mutable_put(keys, val, seq, [report, &keys](const dht::op_result& r) {
                report({r.ok, {{"publicKey", base::to_hex(keys.pk)}, {"stored", r.stored}, {"error", r.error}}});
            });
        } else if (mget->parsed()) {
            c->mutable_get(pk, seq, [report](const dht::op_result& r, const std::optional<dht::mutable_value>& v) {
                if (!v) return report({false, {{"replies", r.replies}, {"found", false}}});
                report({true, {{"found", true}, {"seq", v->seq}, {"value", printable(v->value)},
                               {"valueHex", hex(v->value)}, {"from", v->from.to_string()}}});
            });
        } else if (iput->parsed()) {
            c->immutable_put(val, [report](const dht::op_result& r, const dht::target& h) {
                report({r.ok, {{"hash", base::to_hex(h)}, {"stored", r.stored}, {"error", r.error}}});
            });
        } else if (iget->parsed()) {
            c->immutable_get(hash_target, [report](const dht::op_result& r, const std::optional<std::vector<std::byte>>& v) {
                if (!v) return report({false, {{"replies", r.replies}, {"found", false}}});
                report({true, {{"found", true}, {"value", printable(*v)}, {"valueHex", hex(*v)}}});
            });
        } else if (find_node->parsed()) {
            dht::query_spec q;
            if (fn_target) {
                q.tgt = *fn_target;
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
        } else if (ping->parsed() || status->parsed()) {
            // PING for the id and our address as the node sees it; FIND_NODE
            // towards its own id for what its routing table holds.
            struct probe final : dht::rpc_client {
                std::function<void(outcome)> report;
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
            auto p = std::make_shared<probe>();
            p->report = report;
            keep_alive = p;
            p->want_table = status->parsed();
            p->n = &n;
            p->to = *node_ep;
            dht::rpc_request req;
            req.to = *node_ep;
            req.internal = true;
            req.command = static_cast<std::uint64_t>(dht::internal_cmd::ping);
            n.request(std::move(req), p.get(), 0);
        }
    };

    auto svc = tools::client_runtime::start(cfg);
    if (!svc) {
        std::fprintf(stderr, "shoal: %s\n", svc.error().c_str());
        return 1;
    }
    svc_ptr = svc->get();
    svc_atomic.store(svc_ptr);
    if (finished.load()) svc_ptr->request_stop();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (!finished.load() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    svc_ptr->stop();
    if (!finished.load()) {
        std::fprintf(stderr, "shoal: timed out after %.1f s\n", timeout_s);
        return 1;
    }
    if (as_json) {
        out.doc["ok"] = out.ok;
        std::printf("%s\n", out.doc.dump(2, ' ', false, json::error_handler_t::replace).c_str());
    } else {
        print_human(out.doc);
    }
    return out.ok ? 0 : 1;
}
