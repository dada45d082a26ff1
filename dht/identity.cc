// dht::identity: bootstrap, NAT sampling, the firewall test and the
// persistence state machine (the states and transitions are in identity.h).
#include "dht/identity.h"

#include <algorithm>
#include <memory>

#include "dht/detail/node_internal.h"
#include "dht/outgoing.h"
#include "dht/replication.h"
#include "dht/table_keeper.h"

namespace dht {

using namespace detail;

identity::identity(node_core& c) noexcept : _c(c), _ctr(c._ctr) {
    _stable_ticks = _c.cfg.mode == persistence::adaptive ? stable_ticks : 0;
    if (_c.cfg.mode == persistence::public_address && _c.cfg.public_address) _state = reachability::persistent;
}

void identity::start() noexcept {
    if (!_c.primary()) {
        _boot = bootstrap_state::done;  // secondaries follow the primary's table
        return;
    }
    _c.repl->broadcast_identity();
    if (_c.cfg.known_nodes.empty()) {
        bootstrap_round();
        return;
    }
    _boot = bootstrap_state::revalidating;
    const std::size_t n = std::min(_c.cfg.known_nodes.size(), max_known_nodes);
    _known_waiting = n;
    for (std::size_t i = 0; i < n; ++i) {
        _ctr.inc(ctr::known_pinged);
        _c.rpcs->send_ping(_c.cfg.known_nodes[i], [this](bool ok, const rpc_reply*) {
            // An answer carrying its id added the node to the table already (outgoing).
            if (ok) _ctr.inc(ctr::known_answered);
            if (--_known_waiting == 0 && _boot == bootstrap_state::revalidating) bootstrap_round();
        }, request_socket());
    }
}

base::addr_scope identity::network_scope() const noexcept {
    for (const auto& a : {_c.cfg.public_address, _c.nat.address(), _c.cfg.bind_address}) {
        if (a && a->with_port(1).scope() != base::addr_scope::unusable) return a->with_port(1).scope();
    }
    return base::addr_scope::global;
}

void identity::adopt(std::uint8_t flags, const node_id&) noexcept {
    // The primary never sends persistent and firewalled together.
    if (flags & 1) {
        _state = reachability::persistent;
    } else {
        _state = (flags & 2) ? reachability::firewalled : reachability::open;
    }
}

void identity::sample_bootstrap_maybe(const base::endpoint& from, const base::endpoint& to) noexcept {
    if (_idless_samples.size() >= std::max<std::size_t>(1, _c.cfg.bootstrap.size())) return;
    const std::uint64_t key = from.key();
    if (std::find(_idless_samples.begin(), _idless_samples.end(), key) != _idless_samples.end()) return;
    _idless_samples.push_back(key);
    nat_add(to);
}

void identity::on_tick() noexcept {
    if (adaptive() && !persistent() && --_stable_ticks <= 0) {
        auto host = _c.nat.address();
        if (host && _last_host && host->same_host(*_last_host)) {
            _stable_ticks = more_stable_ticks;  // do not recheck the same network
        } else {
            update_network_state(false, [](bool) {});
        }
    }
}

void identity::on_wakeup() noexcept {
    _stable_ticks = more_stable_ticks;
    _last_host.reset();
    if (adaptive() && persistent() && _c.primary()) {
        _state = reachability::open;  // persistent -> open: our address may have changed
        _c.repl->broadcast_identity();
    }
}

// --- bootstrap -----------------------------------------------------------

void identity::bootstrap_round() noexcept {
    ++_bootstrap_round;
    _boot = bootstrap_state::walking;
    if (_bootstrap_round == 1 && firewalled() && _c.cfg.quick_firewall && !force_persistent()) {
        _probe = quick_probe::pending;
    } else if (_probe == quick_probe::pending) {
        _probe = quick_probe::off;
    }
    _c.rpcs->background_query(
        to_target(_c.table.self()),
        [this](const query_reply& r) {
            // Quick firewall heuristic: one PING_NAT to the first responder. If
            // it comes back before the walk ends, run the full firewall test.
            if (_probe != quick_probe::pending) return;
            _probe = quick_probe::sent;
            _c.rpcs->send_ping(r.from, [this](bool ok, const rpc_reply*) {
                if (ok) _probe = quick_probe::answered;
            }, request_socket(), true, _c.cfg.server_port);
        },
        [this](const query_result&) { bootstrap_round_done(); });
}

void identity::bootstrap_round_done() noexcept {
    if (bootstrapped() || (_probe != quick_probe::answered && !force_persistent()) || _bootstrap_round >= 2) {
        finish_bootstrap();
        return;
    }
    _boot = bootstrap_state::testing;
    update_network_state(!force_persistent(), [this](bool ok) {
        if (ok) {
            bootstrap_round();
        } else {
            finish_bootstrap();
        }
    });
}

void identity::finish_bootstrap() noexcept {
    if (bootstrapped()) return;
    _boot = bootstrap_state::done;
    if (_c.cfg.mode == persistence::at_bootstrap && !persistent()) _stable_ticks = stable_ticks;  // retry adaptively
}

// Tries to leave the firewalled and (unless only_firewall) ephemeral state:
// needs a consistent public host and port and, when firewalled, a passed
// firewall test. On success the node takes id = H(public ip:port).
void identity::update_network_state(bool only_firewall, std::function<void(bool)> done) noexcept {
    // A `never` node may still learn that it is not firewalled, but never takes an id.
    if (persistent() || (only_firewall && !firewalled()) || _network_check_running ||
        (!only_firewall && _c.cfg.mode == persistence::never)) {
        done(false);
        return;
    }
    const auto addr = _c.nat.address();
    if (!only_firewall) {
        _stable_ticks = more_stable_ticks;
        _last_host = addr;
    }
    if (!addr || addr->port() == 0) {
        done(false);
        return;
    }
    auto conclude = [this, only_firewall, addr, done](bool fw, const nat_sampler& sampler) {
        if (fw) {
            done(false);
            return;
        }
        if (firewalled()) _state = reachability::open;
        const auto now_addr = _c.nat.address();
        if (persistent() || !now_addr || !(*now_addr == *addr)) {
            _c.repl->broadcast_identity();
            done(false);
            return;
        }
        const auto seen = sampler.address();
        if (!seen || !seen->same_host(*addr) || seen->port() == 0) {
            _c.repl->broadcast_identity();
            done(false);
            return;
        }
        const bool persist = !only_firewall;
        if (&sampler != &_c.nat) {
            _c.nat = sampler;
            _idless_samples.clear();
        }
        become(id_of(*seen), persist);
        done(true);
    };
    if (firewalled()) {
        _network_check_running = true;
        check_if_firewalled([this, conclude](bool fw, nat_sampler fresh) {
            _network_check_running = false;
            conclude(fw, fresh);
        });
    } else {
        conclude(false, _c.nat);
    }
}

// The firewall test (docs/protocol.md §2.10): PING_NAT, carrying our server port, to up
// to 5 recent nodes (topped up from the bootstrap list). A reply reaches us
// only if that port accepts unsolicited datagrams: it is sent to the server
// socket while our request left from the client socket. So only replies that
// arrived on the server socket count: one sent back to the client socket
// (where the NAT lets it through) proves nothing, whatever its `to` says.
void identity::check_if_firewalled(std::function<void(bool firewalled, nat_sampler)> done) noexcept {
    std::vector<base::endpoint> nodes;
    const routing_table& table = _c.table;
    for (std::uint32_t s = table.latest(); s != no_slot && nodes.size() < 5; s = table.at(s).prev) {
        nodes.push_back(table.at(s).addr);
    }
    if (nodes.size() < 5) {
        for (const auto& b : _c.cfg.bootstrap) nodes.push_back(b);
    }
    if (nodes.empty()) {
        done(true, nat_sampler{});
        return;
    }
    struct state {
        std::size_t missing;
        std::size_t count = 0;
        std::size_t asked;
        nat_sampler sampler;
        std::function<void(bool, nat_sampler)> done;
    };
    auto st = std::make_shared<state>();
    st->missing = nodes.size();
    st->asked = nodes.size();
    st->done = std::move(done);
    for (const auto& n : nodes) {
        _c.rpcs->send_ping(n, [this, st](bool ok, const rpc_reply* r) {
            if (ok && r && r->socket == 0 && r->res.to.is_v4()) {
                ++st->count;
                st->sampler.add(r->res.to);
            }
            if (--st->missing > 0) return;
            const bool too_few = st->count < (st->asked >= 5 ? 3u : 1u);
            const auto ours = _c.nat.address();
            const auto seen = st->sampler.address();
            const bool fw = too_few || !seen || !ours || !seen->same_host(*ours) || seen->port() == 0 ||
                            seen->port() != _c.cfg.server_port;
            st->done(fw, st->sampler);
        }, request_socket(), true, _c.cfg.server_port);
    }
}

void identity::become(const node_id& id, bool persist) noexcept {
    if (persist) _state = reachability::persistent;
    if (!(id == _c.table.self())) {
        for (const auto& dropped : _c.table.rekey(id)) {
            (void)dropped;
            _ctr.inc(ctr::table_removed);
        }
        _c.repl->broadcast_identity();
        if (bootstrapped()) _c.keeper->refresh();
    } else {
        _c.repl->broadcast_identity();
    }
}

}  // namespace dht
