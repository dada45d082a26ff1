#include "tools/client_runtime.h"

#include "crypto/hash.h"
#include "tools/node_adapter.h"

namespace tools {

namespace {

// What is not dht-rpc on the client's port is dropped.
class drop_handler final : public engine::handler {
public:
    void on_packet(engine::shard&, const engine::datagram&) noexcept override {}
};

}  // namespace

// The client's one shard: its ephemeral node on the shared adapter.
class client_handler final : public engine::handler {
public:
    client_handler(client_runtime& rt, engine::shard& s)
        : _rt(rt), _node(s, 0, static_cast<std::uint16_t>(s.local_endpoints().size()), 1) {}

    void on_start(engine::shard& s) noexcept override {
        dht::node_config cfg = port_node_config(s, _rt._bound);
        cfg.mode = dht::persistence::never;
        cfg.bootstrap = _rt._cfg.bootstrap;
        cfg.quick_firewall = false;
        crypto::random_bytes(cfg.token_master.data(), cfg.token_master.size());
        cfg.seed = draw_seed();
        _node.start(std::move(cfg), nullptr);
        publish();
        if (_rt._cfg.on_ready) _rt._cfg.on_ready(_node.node());
        _node.rearm();
    }
    void on_packet(engine::shard&, const engine::datagram& d) noexcept override { _node.on_datagram(d); }
    void on_timer(engine::shard&, std::uint64_t, base::mono_time now) noexcept override {
        _node.on_timer(now);
        publish();
    }
    void on_message(engine::shard&, const engine::message& m) noexcept override { _node.on_message(m); }

private:
    void publish() noexcept { _rt._bootstrapped.store(_node.node().bootstrapped(), std::memory_order_release); }

    client_runtime& _rt;
    node_adapter _node;
};

base::result<std::unique_ptr<client_runtime>, std::string> client_runtime::start(client_config cfg) {
    if (!crypto::init()) return base::fail(std::string("libsodium failed to initialise"));
    std::unique_ptr<client_runtime> rt(new client_runtime(std::move(cfg)));
    engine::config ec = port_engine_config(rt->_cfg.bind, true);
    ec.shards = 1;
    ec.backend = rt->_cfg.backend;
    client_runtime* raw = rt.get();
    auto e = engine::engine::create(ec, [raw](engine::shard& s) {
        std::vector<std::unique_ptr<engine::handler>> v;
        v.push_back(std::make_unique<client_handler>(*raw, s));
        v.push_back(std::make_unique<drop_handler>());
        return v;
    });
    if (!e) return base::fail(e.error());
    rt->_engine = std::move(*e);
    rt->_bound = rt->_engine->bound().at(0);
    if (auto r = rt->_engine->start(); !r) return base::fail(r.error());
    return rt;
}

client_runtime::~client_runtime() { stop(); }

void client_runtime::stop() noexcept {
    if (!_engine) return;
    _engine->stop();
    _engine->join();
}

}  // namespace tools
