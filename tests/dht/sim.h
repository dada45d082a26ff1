// A deterministic network simulator for dht::node (ngtcp2 examples/sim.h,
// libtorrent simulation/): N nodes in one process, a virtual clock, and a
// fake network with seeded loss and uniformly random delay. Events (packet
// deliveries and node deadlines) run in time order; ties by insertion order.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <queue>
#include <unordered_map>
#include <vector>

#include "base/random.h"
#include "dht/node.h"

namespace test {

class sim {
public:
    struct options {
        std::uint64_t seed = 1;
        double loss = 0.0;
        base::milliseconds min_delay{1};
        base::milliseconds max_delay{20};
    };

    explicit sim(options o) : _opt(o), _rnd(o.seed), _now(base::from_ns(1'000'000'000'000)) {}

    // Adds (and starts) a node listening at `addr`.
    dht::node& add(const base::endpoint& addr, dht::node_config cfg) {
        auto e = std::make_unique<entry>(*this, addr);
        cfg.server_port = addr.port();
        e->n = std::make_unique<dht::node>(std::move(cfg), *e, _now);
        const std::size_t idx = _nodes.size();
        _by_addr[addr.key()] = idx;
        _nodes.push_back(std::move(e));
        _nodes[idx]->n->start(_now);
        reschedule(idx);
        return *_nodes[idx]->n;
    }
    // Takes a node off the network (it stops answering; its state is kept).
    void kill(std::size_t i) { _nodes[i]->down = true; }
    [[nodiscard]] bool alive(std::size_t i) const { return !_nodes[i]->down; }

    [[nodiscard]] dht::node& node(std::size_t i) { return *_nodes[i]->n; }
    [[nodiscard]] const base::endpoint& addr(std::size_t i) const { return _nodes[i]->addr; }
    [[nodiscard]] std::size_t size() const { return _nodes.size(); }
    [[nodiscard]] base::mono_time now() const { return _now; }
    [[nodiscard]] std::uint64_t delivered() const { return _delivered; }
    [[nodiscard]] std::uint64_t dropped() const { return _dropped; }

    // Runs every event up to now + d.
    void run_for(base::nanoseconds d) { run_until(_now + d); }
    void run_until(base::mono_time end) {
        while (!_events.empty() && _events.top().at <= end) {
            event ev = _events.top();
            _events.pop();
            _now = ev.at;
            auto& e = *_nodes[ev.node];
            if (ev.kind == event::timer) {
                if (ev.at != e.scheduled) continue;  // superseded
                e.scheduled = base::mono_time::max();
                if (e.down) continue;  // a dead node's clock stops
                e.n->on_timer(_now);
            } else {
                if (e.down) continue;
                ++_delivered;
                e.n->on_datagram(ev.data, ev.from, 0, _now);
            }
            reschedule(ev.node);
        }
        _now = end;
    }
    // Runs until pred() holds or `limit` passes; returns pred().
    bool run_until(const std::function<bool()>& pred, base::nanoseconds limit, base::nanoseconds step = base::milliseconds(50)) {
        const auto end = _now + limit;
        while (!pred() && _now < end) run_until(std::min(end, _now + step));
        return pred();
    }
    // After calling into a node from a test, let its new deadline be scheduled.
    void touched(std::size_t i) { reschedule(i); }
    std::size_t index_of(const base::endpoint& a) const { return _by_addr.at(a.key()); }

private:
    struct entry final : dht::host {
        entry(sim& s, base::endpoint a) : owner(s), addr(a) {}
        void send(const base::endpoint& to, std::span<const std::byte> d, std::uint16_t) noexcept override {
            owner.enqueue(addr, to, d);
        }
        bool post(std::uint16_t, std::uint32_t, std::span<const std::byte>) noexcept override { return false; }
        sim& owner;
        base::endpoint addr;
        std::unique_ptr<dht::node> n;
        base::mono_time scheduled = base::mono_time::max();
        bool down = false;
    };
    struct event {
        base::mono_time at;
        std::uint64_t seq;
        enum kind_t : std::uint8_t { packet, timer } kind;
        std::size_t node;
        base::endpoint from;
        std::vector<std::byte> data;
        bool operator>(const event& o) const { return at != o.at ? at > o.at : seq > o.seq; }
    };

    void enqueue(const base::endpoint& from, const base::endpoint& to, std::span<const std::byte> d) {
        auto it = _by_addr.find(to.key());
        if (it == _by_addr.end() || _rnd.chance(_opt.loss)) {
            ++_dropped;
            return;
        }
        auto span = static_cast<std::uint64_t>((_opt.max_delay - _opt.min_delay).count());
        auto delay = _opt.min_delay + base::milliseconds(span ? _rnd.below(span + 1) : 0);
        _events.push({_now + delay, _seq++, event::packet, it->second, from, {d.begin(), d.end()}});
    }
    void reschedule(std::size_t i) {
        auto& e = *_nodes[i];
        auto next = e.n->next_deadline();
        if (!next) return;
        auto at = std::max(*next, _now);
        if (at >= e.scheduled) return;
        e.scheduled = at;
        _events.push({at, _seq++, event::timer, i, {}, {}});
    }

    options _opt;
    base::prng _rnd;
    base::mono_time _now;
    std::uint64_t _seq = 0, _delivered = 0, _dropped = 0;
    std::vector<std::unique_ptr<entry>> _nodes;
    std::unordered_map<std::uint64_t, std::size_t> _by_addr;
    std::priority_queue<event, std::vector<event>, std::greater<>> _events;
};

}  // namespace test
