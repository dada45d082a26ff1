#include "tools/node_service.h"

#include <netdb.h>
#include <sys/random.h>

#include <cstring>

#include "crypto/hash.h"

namespace tools {

namespace {

enum : std::uint8_t { kind_dht = 0, kind_other = 1 };

// dht-rpc frames start with 0x03 (request) or 0x13 (response) and are at
// least 2 bytes; the same port also carries UDX packets (0xFF 0x01 ...) and
// 1-byte holepunch probes, which an infrastructure node ignores.
std::uint8_t classify(std::span<const std::byte> d) noexcept {
    if (d.size() >= 2) {
        auto b = std::to_integer<std::uint8_t>(d[0]);
        if (b == dht::request_byte || b == dht::response_byte) return kind_dht;
    }
    return kind_other;
}

class other_handler final : public engine::handler {
public:
    explicit other_handler(other_traffic& t) : _t(t) {}
    void on_packet(engine::shard&, const engine::datagram& d) noexcept override {
        auto& c = d.data.size() == 1                                                     ? _t.probes
                  : d.data.size() >= 20 && d.data[0] == std::byte{0xff} && d.data[1] == std::byte{0x01} ? _t.udx
                                                                                           : _t.junk;
        c.fetch_add(1, std::memory_order_relaxed);
    }

private:
    other_traffic& _t;
};

}  // namespace

// One per shard: a dht::node driven by the engine.
class dht_handler final : public engine::handler, private dht::host {
public:
    dht_handler(node_service& svc, engine::shard& s) : _svc(svc), _shard(s) {}

    void on_start(engine::shard& s) noexcept override {
        const auto& c = _svc._cfg;
        dht::node_config cfg;
        cfg.shard = s.id().value();
        cfg.shards = s.shard_count();
        cfg.mode = c.mode;
        cfg.public_address = c.public_address;
        cfg.bootstrap = c.bootstrap;
        cfg.server_port = _svc._bound.port();
        cfg.bind_address = _svc._bound;
        cfg.client_socket = s.local_endpoints().size() > 1;
        cfg.quick_firewall = c.quick_firewall;
        cfg.token_master = _svc._token_master;
        cfg.seed = c.seed ? c.seed + s.id().value() : draw_seed();
        // Announce bumps are wall-clock milliseconds; the node only sees monotonic time.
        cfg.wall_offset_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count() -
            base::to_ms(s.now().time_since_epoch());
        _node = std::make_unique<dht::node>(std::move(cfg), static_cast<dht::host&>(*this), s.now());
        if (c.hyperdht) {
            _app = std::make_unique<dht::hyperdht>(*_node, *c.hyperdht);
            _node->set_app(_app.get());
            _svc._apps[s.id().value()].store(_app.get());
        }
        publish_metrics(s);
        _node->start(s.now());
        if (s.id().value() == 0) publish_status();  // a persistent node says so from the start
        if (s.id().value() == 0 && c.on_primary_ready) c.on_primary_ready(*_node);
        after(s);
    }
    void on_packet(engine::shard& s, const engine::datagram& d) noexcept override {
        _node->on_datagram(d.data, d.from, d.socket, d.now);
        after(s);
    }
    void on_timer(engine::shard& s, std::uint64_t, base::mono_time now) noexcept override {
        _armed_valid = false;
        _node->on_timer(now);
        after(s);
        if (s.id().value() == 0) publish_status();
    }
    void on_message(engine::shard& s, const engine::message& m) noexcept override {
        _node->on_message(m.type, m.bytes(), s.now());
        after(s);
    }
    ~dht_handler() override {
        if (_node) _svc._apps[_node->config().shard].store(nullptr);
    }

private:
    static std::uint64_t draw_seed() noexcept {
        std::uint64_t v = 0;
        crypto::random_bytes(&v, sizeof v);
        return v | 1;
    }
    // Every counter set of this shard's node, hyperdht, store and verify
    // queue, for the engine to publish (the objects live as long as the shard).
    void publish_metrics(engine::shard& s) {
        s.publish_metrics(_node->stats());
        s.publish_metrics(_node->rpc_stats());
        if (!_app) return;
        s.publish_metrics(_app->counters());
        s.publish_metrics(_app->records().metrics(), &store::record_store::collect, &_app->records());
        if (const auto* v = _app->verify_stats()) s.publish_metrics(*v);
    }
    // Keeps one engine timer armed at the node's next deadline.
    void after(engine::shard& s) noexcept {
        auto next = _node->next_deadline();
        if (!next) return;
        // Re-arm only when the deadline moved earlier or nothing is armed.
        if (_armed_valid && *next >= _armed_at) return;
        if (_armed_valid) s.cancel_timer(_armed);
        _armed = s.arm_timer(*next, 1);
        _armed_at = *next;
        _armed_valid = true;
    }
    void publish_status() noexcept {
        auto& v = _svc;
        v._st_persistent.store(_node->persistent());
        v._st_firewalled.store(_node->firewalled());
        v._st_bootstrapped.store(_node->bootstrapped());
        v._st_table.store(_node->table().size());
        auto pub = _node->public_address();
        v._st_public.store(pub ? pub->key() + 1 : 0);
        if (auto id = _node->id()) {
            for (std::size_t i = 0; i < 4; ++i) {
                std::uint64_t w = 0;
                std::memcpy(&w, id->data() + 8 * i, 8);
                v._st_id[i].store(w);
            }
            v._st_has_id.store(true);
        } else {
            v._st_has_id.store(false);
        }
    }

    // dht::host
    void send(const base::endpoint& to, std::span<const std::byte> d, std::uint16_t socket) noexcept override {
        _shard.send(to, d, socket < _shard.local_endpoints().size() ? socket : 0);
    }
    bool post(std::uint16_t to, std::uint32_t type, std::span<const std::byte> payload) noexcept override {
        return _shard.post(base::shard_id(to), type, payload, 0, kind_dht);
    }

    node_service& _svc;
    engine::shard& _shard;
    std::unique_ptr<dht::node> _node;
    std::unique_ptr<dht::hyperdht> _app;
    base::timer_handle _armed;
    base::mono_time _armed_at;
    bool _armed_valid = false;
};

base::result<std::unique_ptr<node_service>, std::string> node_service::start(node_service_config cfg) {
    if (!crypto::init()) return base::fail(std::string("libsodium failed to initialise"));
    if (cfg.mode == dht::persistence::public_address && !cfg.public_address) {
        return base::fail(std::string("a public address is required for a persistent bootstrap node"));
    }
    std::unique_ptr<node_service> svc(new node_service(std::move(cfg)));
    crypto::random_bytes(svc->_token_master.data(), svc->_token_master.size());
    engine::config ec;
    ec.shards = svc->_cfg.shards;
    ec.cpus = svc->_cfg.cpus;
    ec.backend = svc->_cfg.backend;
    ec.binds = {svc->_cfg.bind};
    // Shard 0 gets a second, private socket: the request socket while the
    // node is firewalled, so the firewall test can tell whether the server
    // port accepts unsolicited datagrams.
    const base::endpoint client_bind = svc->_cfg.bind.with_port(0);
    const bool want_client = svc->_cfg.mode != dht::persistence::public_address;
    ec.private_binds = [client_bind, want_client](base::shard_id s) {
        std::vector<base::endpoint> v;
        if (s.value() == 0 && want_client) v.push_back(client_bind);
        return v;
    };
    ec.steering = {.enabled = true, .first_byte = dht::response_byte, .offset = 2, .kernel = true};
    ec.classify = classify;
    node_service* raw = svc.get();
    auto e = engine::engine::create(ec, [raw](engine::shard& s) {
        std::vector<std::unique_ptr<engine::handler>> v;
        v.push_back(std::make_unique<dht_handler>(*raw, s));
        v.push_back(std::make_unique<other_handler>(raw->_other));
        return v;
    });
    if (!e) return base::fail(e.error());
    svc->_engine = std::move(*e);
    svc->_bound = svc->_engine->bound().at(0);
    if (auto r = svc->_engine->start(); !r) return base::fail(r.error());
    return svc;
}

node_service::~node_service() { stop(); }

void node_service::stop() noexcept {
    if (!_engine) return;
    _engine->stop();
    _engine->join();
}

node_status node_service::status() const {
    node_status s;
    s.persistent = _st_persistent.load();
    s.firewalled = _st_firewalled.load();
    s.bootstrapped = _st_bootstrapped.load();
    s.table_size = _st_table.load();
    if (auto k = _st_public.load()) {
        k -= 1;
        s.public_address = base::endpoint::v4(static_cast<std::uint8_t>(k >> 40), static_cast<std::uint8_t>(k >> 32),
                                              static_cast<std::uint8_t>(k >> 24), static_cast<std::uint8_t>(k >> 16),
                                              static_cast<std::uint16_t>(k));
    }
    if (_st_has_id.load()) {
        std::array<std::uint8_t, 32> a;
        for (std::size_t i = 0; i < 4; ++i) {
            std::uint64_t w = _st_id[i].load();
            std::memcpy(a.data() + 8 * i, &w, 8);
        }
        s.id = dht::node_id(a);
    }
    return s;
}

store::store_stats node_service::store_totals() const noexcept {
    store::store_stats sum;
    sum.topics = total(store::metric::topics);
    sum.records = total(store::metric::records);
    sum.routes = total(store::metric::routes);
    sum.refreshes = total(store::metric::refreshes);
    sum.mutables = total(store::metric::mutables);
    sum.immutables = total(store::metric::immutables);
    sum.value_bytes = total(store::metric::value_bytes);
    sum.evicted = total(store::metric::evicted);
    sum.expired = total(store::metric::expired);
    return sum;
}

base::result<base::endpoint, std::string> resolve_endpoint(const std::string& s) {
    auto colon = s.rfind(':');
    if (colon == std::string::npos || colon == 0) return base::fail("'" + s + "' is not HOST:PORT");
    const std::string host = s.substr(0, colon), port_s = s.substr(colon + 1);
    if (auto lit = base::endpoint::parse(s)) return *lit;
    unsigned long port = 0;
    try {
        std::size_t used = 0;
        port = std::stoul(port_s, &used);
        if (used != port_s.size()) throw std::invalid_argument("port");
    } catch (...) {
        return base::fail("'" + s + "': bad port");
    }
    if (port == 0 || port > 65535) return base::fail("'" + s + "': port must be 1-65535");
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* res = nullptr;
    if (int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res); rc != 0 || !res) {
        return base::fail("'" + s + "': cannot resolve " + host + " (" + gai_strerror(rc) + ")");
    }
    sockaddr_in sin;
    std::memcpy(&sin, res->ai_addr, sizeof sin);
    freeaddrinfo(res);
    std::array<std::uint8_t, 4> o;
    std::memcpy(o.data(), &sin.sin_addr, 4);
    return base::endpoint::v4(o, static_cast<std::uint16_t>(port));
}

}  // namespace tools
