#include "tools/net/inproc_set.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "base/random.h"
#include "crypto/hash.h"
#include "dht/node.h"
#include "engine/engine.h"
#include "tools/node_adapter.h"

namespace net {

namespace {

constexpr std::uint64_t poll_cookie = std::uint64_t{1} << 40;
constexpr auto command_poll = std::chrono::milliseconds(20);
constexpr std::uint32_t cmd_up = 1;

// One hosted node: the shared adapter on its own socket, with the
// send-side injection point as its dht::host::send.
class hosted final : public tools::node_adapter {
public:
    hosted(engine::shard& s, std::uint16_t socket, std::size_t index, base::prng& rnd, double loss,
           inproc_counters& ctr)
        : node_adapter(s, socket, 1, socket), _index(index), _rnd(rnd), _loss(loss), _ctr(ctr) {}

    void send(const base::endpoint& to, std::span<const std::byte> d, std::uint16_t socket) noexcept override {
        if (_loss > 0 && _rnd.chance(_loss)) {
            _ctr.injected_tx.inc();
            return;
        }
        node_adapter::send(to, d, socket);
    }
    // Each hosted node is a one-shard node: it never posts.
    bool post(std::uint16_t, std::uint32_t, std::span<const std::byte>) noexcept override { return false; }

    [[nodiscard]] std::size_t index() const noexcept { return _index; }
    std::uint32_t applied = 0;  // the last command word applied
    std::uint32_t incarnation = 0;

private:
    std::size_t _index;
    base::prng& _rnd;
    double _loss;
    inproc_counters& _ctr;
};

// A shard's handler: drives every node it hosts.
class shard_handler final : public engine::handler {
public:
    shard_handler(inproc_set& set, engine::shard& s)
        : _set(set),
          _rnd(set.config().seed * 0x9E3779B97F4A7C15ull + s.id().value() + 1),
          _ctr(set.shard_counters(s.id().value())) {}

    void on_start(engine::shard& s) noexcept override {
        const auto& c = _set.config();
        std::uint16_t socket = 0;
        for (std::size_t i = s.id().value(); i < c.nodes; i += c.shards) {
            _nodes.push_back(std::make_unique<hosted>(s, socket++, i, _rnd, c.loss, _ctr));
        }
        apply_commands();
        s.arm_timer(s.now() + command_poll, poll_cookie);
    }

    void on_packet(engine::shard&, const engine::datagram& d) noexcept override {
        if (d.socket >= _nodes.size()) return;
        auto& h = *_nodes[d.socket];
        if (!h.running()) {
            _ctr.to_down_node.inc();
            return;
        }
        // The receive-side injection point (see inproc_set.h).
        if (_set.config().loss > 0 && !_set.is_member(d.from) && _rnd.chance(_set.config().loss)) {
            _ctr.injected_rx.inc();
            return;
        }
        h.on_datagram(d);
    }

    void on_timer(engine::shard& s, std::uint64_t cookie, base::mono_time now) noexcept override {
        if (cookie == poll_cookie) {
            apply_commands();
            s.arm_timer(now + command_poll, poll_cookie);
            return;
        }
        if (cookie >= _nodes.size()) return;
        _nodes[cookie]->on_timer(now);
    }

private:
    // A fresh node: new seed, new token secret, empty table.
    void bring_up(hosted& h) {
        const auto& c = _set.config();
        const auto addr = _set.addr(h.index());
        dht::node_config cfg;
        cfg.mode = dht::persistence::public_address;
        cfg.public_address = addr;
        if (h.index() != 0) cfg.bootstrap = {_set.addr(0)};
        cfg.server_port = addr.port();
        crypto::random_bytes(cfg.token_master.data(), cfg.token_master.size());
        cfg.seed = (c.seed * 1'000'003 + h.index()) * 7919 + ++h.incarnation;
        h.start(std::move(cfg), nullptr);
        _ctr.incarnations.inc();
    }

    void apply_commands() noexcept {
        for (auto& hp : _nodes) {
            auto& h = *hp;
            const std::uint32_t c = _set.command(h.index());
            if (c == h.applied) continue;
            if (c & cmd_up) {
                bring_up(h);
            } else {
                h.stop();
            }
            h.applied = c;
            _set.ack(h.index(), c);
        }
    }

    inproc_set& _set;
    base::prng _rnd;
    inproc_counters& _ctr;
    std::vector<std::unique_ptr<hosted>> _nodes;  // index = socket
};

// The engine opens its sockets with SO_REUSEPORT, and a private socket is not
// checked for a current owner: a second network on the same ports would
// silently share their traffic. A plain bind, closed at once, fails if any
// socket already holds the port.
base::result<void, std::string> check_port_free(const base::endpoint& at) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return base::fail(std::string("socket: ") + std::strerror(errno));
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(at.port());
    sin.sin_addr.s_addr = htonl(at.v4_u32());
    const int rc = ::bind(fd, reinterpret_cast<const sockaddr*>(&sin), sizeof sin);
    const int err = errno;
    ::close(fd);
    if (rc != 0) {
        return base::fail("bind " + at.to_string() + ": " + std::strerror(err) + " (is another shoal-net or shoald using these ports?)");
    }
    return {};
}

}  // namespace

inproc_set::inproc_set(inproc_config cfg, liveness& truth)
    : _cfg(cfg),
      _truth(truth),
      _cmd(new std::atomic<std::uint32_t>[cfg.nodes]),
      _ack(new std::atomic<std::uint32_t>[cfg.nodes]),
      _ctr(new inproc_counters[cfg.shards]),
      _gen(cfg.nodes, 0),
      _up(cfg.nodes, false),
      _pending_up(cfg.nodes, false),
      _truth_idx(cfg.nodes, 0) {
    for (std::size_t i = 0; i < cfg.nodes; ++i) {
        _cmd[i].store(cmd_up);  // generation 0, up: every node starts with the engine
        _ack[i].store(0);
    }
}

inproc_set::~inproc_set() { stop(); }

base::result<void, std::string> inproc_set::start(signal_watch& sig) {
    if (!crypto::init()) return base::fail(std::string("libsodium failed to initialise"));
    for (std::size_t i = 0; i < _cfg.nodes; ++i) {
        if (auto r = check_port_free(addr(i)); !r) return r;
    }
    engine::config ec;
    ec.shards = _cfg.shards;
    ec.backend = _cfg.backend;
    ec.socket_buffer_bytes = 1 << 20;
    const auto cfg = _cfg;
    ec.private_binds = [cfg](base::shard_id s) {
        std::vector<base::endpoint> v;
        for (std::size_t i = s.value(); i < cfg.nodes; i += cfg.shards) {
            v.push_back(cfg.host.with_port(static_cast<std::uint16_t>(cfg.base_port + i)));
        }
        return v;
    };
    auto e = engine::engine::create(ec, [this](engine::shard& s) {
        std::vector<std::unique_ptr<engine::handler>> v;
        v.push_back(std::make_unique<shard_handler>(*this, s));
        return v;
    });
    if (!e) return base::fail(e.error());
    _engine = std::move(*e);
    if (auto r = _engine->start(); !r) return base::fail(r.error());
    // Every shard builds its nodes in on_start; wait for their acks.
    const auto deadline = base::mono_clock::now() + std::chrono::seconds(10);
    for (;;) {
        bool all = true;
        for (std::size_t i = 0; i < _cfg.nodes; ++i) all = all && _ack[i].load(std::memory_order_acquire) == cmd_up;
        if (all) break;
        if (base::mono_clock::now() > deadline) return base::fail(std::string("in-process nodes did not start"));
        if (sig.wait(std::chrono::milliseconds(5))) return base::fail(std::string("interrupted"));
    }
    const auto now = base::mono_clock::now();
    for (std::size_t i = 0; i < _cfg.nodes; ++i) {
        _truth_idx[i] = _truth.add(addr(i), now);
        _up[i] = true;
    }
    return {};
}

void inproc_set::command_up(std::size_t i, bool up) {
    ++_gen[i];
    _cmd[i].store((_gen[i] << 1) | (up ? cmd_up : 0), std::memory_order_release);
}

void inproc_set::kill(std::size_t i, base::mono_time now) {
    if (!_up[i]) return;
    command_up(i, false);
    _up[i] = false;
    _pending_up[i] = false;
    _truth.down(_truth_idx[i], now);  // from the moment it was asked: see truth.h
}

void inproc_set::restart(std::size_t i, base::mono_time) {
    if (_up[i] || _pending_up[i]) return;
    command_up(i, true);
    _pending_up[i] = true;
}

void inproc_set::poll(base::mono_time now) {
    for (std::size_t i = 0; i < _cfg.nodes; ++i) {
        if (!_pending_up[i]) continue;
        if (_ack[i].load(std::memory_order_acquire) != _cmd[i].load(std::memory_order_relaxed)) continue;
        _pending_up[i] = false;
        _up[i] = true;
        _truth.up(_truth_idx[i], now);  // from the moment the shard built it
    }
}

void inproc_set::stop() noexcept {
    if (!_engine) return;
    _engine->stop();
    _engine->join();
}

nlohmann::json inproc_set::counters() const {
    std::uint64_t tx = 0, rx = 0, down = 0, inc = 0;
    for (std::uint16_t s = 0; s < _cfg.shards; ++s) {
        tx += _ctr[s].injected_tx.get();
        rx += _ctr[s].injected_rx.get();
        down += _ctr[s].to_down_node.get();
        inc += _ctr[s].incarnations.get();
    }
    nlohmann::json j = {{"injected_drops_send", tx}, {"injected_drops_receive", rx}, {"to_down_node", down},
                        {"node_incarnations", inc}};
    if (_engine) {
        j["datagrams_sent"] = _engine->total(engine::ctr::tx_datagrams);
        j["datagrams_received"] = _engine->total(engine::ctr::rx_datagrams);
        j["send_queue_full"] = _engine->total(engine::ctr::send_queue_full);
        j["backend"] = engine::to_string(_engine->backend());
    }
    return j;
}

}  // namespace net
