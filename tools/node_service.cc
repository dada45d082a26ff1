#include "tools/node_service.h"

#include <netdb.h>
#include <sys/random.h>

#include <cstring>

#include "crypto/hash.h"
#include "tools/node_adapter.h"

namespace tools {

namespace {

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

// One per shard: the shard's dht::node on the shared adapter, and what the
// service reads of it (counters, status).
class dht_handler final : public engine::handler {
public:
    dht_handler(node_service& svc, engine::shard& s)
        : _svc(svc), _node(s, 0, static_cast<std::uint16_t>(s.local_endpoints().size()), 1) {}

    void on_start(engine::shard& s) noexcept override {
        const auto& c = _svc._cfg;
        dht::node_config cfg = port_node_config(s, _svc._bound);
        cfg.mode = c.mode;
        cfg.public_address = c.public_address;
        cfg.bootstrap = c.bootstrap;
        cfg.known_nodes = c.known_nodes;
        cfg.quick_firewall = c.quick_firewall;
        cfg.token_master = _svc._token_master;
        cfg.seed = c.seed ? c.seed + s.id().value() : draw_seed();
        _node.start(std::move(cfg), c.hyperdht ? &*c.hyperdht : nullptr);
        attach_store(s);
        publish_metrics(s);
        if (s.id().value() == 0) publish_status();  // a persistent node says so from the start
    }
    void on_packet(engine::shard&, const engine::datagram& d) noexcept override { _node.on_datagram(d); }
    void on_timer(engine::shard& s, std::uint64_t, base::mono_time now) noexcept override {
        _node.on_timer(now);
        apply_routines();
        if (s.id().value() == 0) {
            publish_status();
            note_routine_runs();
        }
    }
    void on_message(engine::shard&, const engine::message& m) noexcept override { _node.on_message(m); }

private:
    // With persistence: puts this shard's saved entries into its store, then
    // has the store report every change to the shard's queue.
    void attach_store(engine::shard& s) {
        persist::writer* w = _svc._writer.get();
        dht::hyperdht* app = _node.app();
        if (w == nullptr || app == nullptr) return;
        const std::uint16_t id = s.id().value();
        const base::mono_time now = s.now();
        const std::int64_t wall = persist::unix_ms();
        (void)persist::restore(app->records(), w->loaded(id), now, wall);
        w->queue(id).set_wall_offset_ms(wall - base::to_ms(now.time_since_epoch()));
        app->records().set_sink(&w->queue(id));
    }

    // Every counter set of this shard's node, hyperdht, store and verify
    // queue, for the engine to publish. The node lives as long as the shard
    // (the service never restarts it), so the engine may read them until it stops.
    void publish_metrics(engine::shard& s) {
        const dht::node& n = _node.node();
        s.publish_metrics(n.stats());
        s.publish_metrics(n.rpc_stats());
        dht::hyperdht* app = _node.app();
        if (app == nullptr) return;
        s.publish_metrics(app->counters());
        s.publish_metrics(app->records().metrics(), &store::record_store::collect, &app->records());
        if (const auto* v = app->verify_stats()) s.publish_metrics(*v);
        if (persist::writer* w = _svc._writer.get()) {
            s.publish_metrics(w->queue(s.id().value()).metrics());
            if (s.id().value() == 0) s.publish_metrics(w->metrics(), &persist::writer::collect, w);
        }
    }
    void publish_status() noexcept {
        auto& v = _svc;
        const dht::node& n = _node.node();
        if (n.tick() != _published_tick) {
            _published_tick = n.tick();
            v._st_reached.store(n.reached_recently());
            v._st_tick.store(n.tick());
            copy_table(n);
        }
        v._st_persistent.store(n.persistent());
        v._st_firewalled.store(n.firewalled());
        v._st_bootstrapped.store(n.bootstrapped());
        v._st_table.store(n.table().size());
        auto pub = n.public_address();
        v._st_public.store(pub ? pub->key() + 1 : 0);
        if (auto id = n.id()) {
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

    // Applies the control plane's routine settings when they changed
    // (relaxed loads on the timer path; the stores happen on a set_routine).
    void apply_routines() noexcept {
        std::uint32_t v = 0;
        for (const auto& c : _svc._routines) v += c.version.load(std::memory_order_relaxed);
        if (v == _applied_version) return;
        _applied_version = v;
        const auto cell = [&](shard_routine r) -> const node_service::routine_cell& {
            return _svc._routines[static_cast<std::size_t>(r)];
        };
        const auto ticks = [](std::int64_t ms) { return static_cast<std::uint32_t>(ms <= 0 ? 0 : (ms + 4999) / 5000); };
        dht::node& n = _node.node();
        n.set_routine(dht::routine::pings, {cell(shard_routine::pings).enabled.load(), ticks(cell(shard_routine::pings).every_ms.load())});
        n.set_routine(dht::routine::refresh,
                      {cell(shard_routine::refresh).enabled.load(), ticks(cell(shard_routine::refresh).every_ms.load())});
        if (dht::hyperdht* app = _node.app()) {
            const std::int64_t ms = cell(shard_routine::expiry).every_ms.load();
            app->set_expiry(cell(shard_routine::expiry).enabled.load(), ms > 0 ? base::milliseconds(ms) : base::seconds(1));
        }
    }
    // Shard 0: the wall-clock time of each routine's last run, for /routines.
    void note_routine_runs() noexcept {
        const dht::node& n = _node.node();
        const std::array<std::uint64_t, shard_routine_count> marks{
            n.routine_ran(dht::routine::pings), n.routine_ran(dht::routine::refresh),
            _node.app() && _node.app()->expired_at()
                ? static_cast<std::uint64_t>(_node.app()->expired_at()->time_since_epoch().count())
                : 0};
        for (std::size_t i = 0; i < marks.size(); ++i) {
            if (marks[i] == _marks[i]) continue;
            _marks[i] = marks[i];
            const auto wall = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch());
            _svc._routines[i].last_run_unix_ms.store(wall.count(), std::memory_order_relaxed);
        }
    }

    // Once per tick; skipped (until the next) when a reader holds the copy.
    void copy_table(const dht::node& n) noexcept {
        std::unique_lock lock(_svc._table_mu, std::try_to_lock);
        if (!lock.owns_lock()) return;
        table_copy& t = _svc._table;
        t.tick = n.tick();
        t.nodes.clear();
        n.table().for_each([&](const dht::table_entry& e) { t.nodes.push_back({e.id, e.addr, e.added, e.seen, e.reached}); });
    }

    node_service& _svc;
    node_adapter _node;
    std::uint64_t _published_tick = ~std::uint64_t{0};
    std::uint32_t _applied_version = 0;
    std::array<std::uint64_t, shard_routine_count> _marks{};
};

base::result<std::unique_ptr<node_service>, std::string> node_service::start(node_service_config cfg) {
    if (!crypto::init()) return base::fail(std::string("libsodium failed to initialise"));
    if (cfg.mode == dht::persistence::public_address && !cfg.public_address) {
        return base::fail(std::string("a public address is required for a persistent bootstrap node"));
    }
    std::unique_ptr<node_service> svc(new node_service(std::move(cfg)));
    crypto::random_bytes(svc->_token_master.data(), svc->_token_master.size());
    if (!svc->_cfg.state_dir.empty() && svc->_cfg.hyperdht) {
        persist::writer_config wc;
        wc.dir = svc->_cfg.state_dir + "/store";
        wc.flush = svc->_cfg.store_flush;
        wc.shards = svc->_cfg.shards;
        auto w = persist::writer::open(std::move(wc));
        if (!w) return base::fail(w.error());
        svc->_writer = std::move(*w);
        const persist::load_report& rep = svc->_writer->report();
        svc->_persist_summary = rep.summary(svc->_cfg.state_dir + "/store");
        std::uint64_t skipped = 0;
        for (auto n : rep.skipped) skipped += n;
        svc->_persist_damaged = !rep.damage.empty() || skipped > rep.skipped[static_cast<std::size_t>(persist::skip::expired)];
    }
    engine::config ec = port_engine_config(svc->_cfg.bind, svc->_cfg.mode != dht::persistence::public_address);
    ec.shards = svc->_cfg.shards;
    ec.cpus = svc->_cfg.cpus;
    ec.backend = svc->_cfg.backend;
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
    if (svc->_writer) svc->_writer->start();
    return svc;
}

node_service::~node_service() { stop(); }

void node_service::stop() noexcept {
    if (!_engine) return;
    _engine->stop();
    _engine->join();
    if (_writer) _writer->stop();  // the shards are gone: the last changes are committed
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
    s.reached_recently = _st_reached.load();
    s.tick = _st_tick.load();
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

void node_service::set_routine(shard_routine r, bool enabled, std::chrono::milliseconds every) noexcept {
    auto& c = _routines[static_cast<std::size_t>(r)];
    c.enabled.store(enabled);
    c.every_ms.store(every.count());
    c.version.fetch_add(1);
}

routine_state node_service::routine(shard_routine r) const noexcept {
    const auto& c = _routines[static_cast<std::size_t>(r)];
    return {c.enabled.load(), std::chrono::milliseconds(c.every_ms.load()), c.last_run_unix_ms.load()};
}

table_copy node_service::table() const {
    std::lock_guard lock(_table_mu);
    return _table;
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
