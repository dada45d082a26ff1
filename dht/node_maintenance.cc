// dht::node: the routing table's upkeep, NAT sampling, the periodic tick,
// bootstrap and the ephemeral -> persistent state machine (docs/protocol.md §2.8-§2.11).
#include <algorithm>

#include "dht/detail/node_internal.h"
#include "dht/node.h"

namespace dht {

using namespace detail;

void node::start(base::mono_time now) {
    if (_started) return;
    _started = true;
    _now = now;
    _last_tick = now;
    _wheel.schedule(now + tick_interval, make_timer_cookie(timer_kind::tick, 0));
    _wheel.schedule(now + drain_interval, make_timer_cookie(timer_kind::drain, 0));
    if (primary()) {
        broadcast_identity();
        bootstrap_round();
    } else {
        _bootstrapped = true;  // secondaries follow the primary's table
    }
}

void node::add_node(const base::endpoint& addr) {
    if (!addr.is_v4()) return;
    if (!primary()) return;
    add_table_node(_ids.get(addr), addr, std::nullopt);
}

// --- learning from traffic ----------------------------------------------

void node::node_from_network(bool sample, const base::endpoint& from, const std::optional<node_id>& id,
                             const base::endpoint& to) noexcept {
    if (!primary()) {
        report_to_primary(sample, from, id.has_value(), to);
        return;
    }
    if (!id) {
        sample_bootstrap_maybe(from, to);
        return;
    }
    std::uint32_t slot = _table.find(*id);
    if (slot != no_slot) {
        table_entry& e = _table.at(slot);
        if (sample && (e.sampled == 0 || _tick - e.sampled >= old_node)) {
            e.sampled = _tick;
            nat_add(to);
        }
        e.pinged = e.seen = _tick;
        e.heard = ++_heard_seq;
        e.addr = from;
        _table.touch(slot);
        return;
    }
    add_table_node(*id, from, to);
}

void node::add_table_node(const node_id& id, const base::endpoint& addr, std::optional<base::endpoint> to) {
    if (id == _table.self()) return;
    std::uint32_t slot = no_slot;
    switch (_table.add(id, addr, _tick, &slot)) {
        case routing_table::add_result::added: {
            _ctr.inc(ctr::table_added);
            table_entry& e = _table.at(slot);
            e.heard = ++_heard_seq;
            if (to && e.sampled == 0) {
                e.sampled = _tick;
                nat_add(*to);
            }
            broadcast_table(msg_table_add, addr);
            break;
        }
        case routing_table::add_result::exists: {
            table_entry& e = _table.at(slot);
            e.pinged = e.seen = _tick;
            e.heard = ++_heard_seq;
            _table.touch(slot);
            break;
        }
        case routing_table::add_result::row_full: on_row_full(id, addr); break;
        case routing_table::add_result::is_self: break;
    }
}

void node::remove_table_node(const node_id& id) noexcept {
    std::uint32_t slot = _table.find(id);
    if (slot == no_slot) return;
    const base::endpoint addr = _table.at(slot).addr;
    _table.remove(id);
    _ctr.inc(ctr::table_removed);
    broadcast_table(msg_table_remove, addr);
}

// A full row: ping its least recently pinged node and swap the newcomer in if
// that node is gone -- unless it is old and was heard from recently.
void node::on_row_full(const node_id& id, const base::endpoint& addr) {
    if (!_bootstrapped || _repinging >= max_repinging) return;
    std::uint32_t oldest = no_slot;
    for (auto s : _table.row(_table.row_of(id))) {
        const table_entry& e = _table.at(s);
        if (e.pinged == _tick) continue;
        if (oldest == no_slot || _table.at(oldest).pinged > e.pinged ||
            (_table.at(oldest).pinged == e.pinged && _table.at(oldest).added > e.added)) {
            oldest = s;
        }
    }
    if (oldest == no_slot) return;
    const table_entry& old = _table.at(oldest);
    if (_tick - old.pinged < recent_node && _tick - old.added > old_node) return;

    const node_id old_id = old.id;
    const std::uint64_t last_heard = old.heard;
    _table.at(oldest).pinged = _tick;
    ++_repinging;
    send_ping(old.addr, [this, old_id, last_heard, id, addr](bool ok, const rpc_reply*) {
        --_repinging;
        std::uint32_t s = _table.find(old_id);
        if (ok && s != no_slot && _table.at(s).heard > last_heard) return;  // alive: keep it
        remove_table_node(old_id);
        add_table_node(id, addr, std::nullopt);
    }, request_socket());
}

// Pings a table node; removes it if it does not answer, or answers without
// being heard from as a verified node (someone else now has that address).
void node::check(std::uint32_t slot) noexcept {
    table_entry& e = _table.at(slot);
    e.pinged = _tick;
    const node_id id = e.id;
    const std::uint64_t last_heard = e.heard;
    ++_checks;
    send_ping(e.addr, [this, id, last_heard](bool ok, const rpc_reply*) {
        --_checks;
        std::uint32_t s = _table.find(id);
        if (s == no_slot) return;
        if (!ok || _table.at(s).heard <= last_heard) remove_table_node(id);
    }, request_socket());
}

void node::down_hinted(const base::endpoint& suspect) noexcept {
    if (_checks >= max_checks) return;
    std::uint32_t s = _table.find(_ids.get(suspect));
    if (s == no_slot) return;
    table_entry& e = _table.at(s);
    if (e.pinged < _tick || e.down_hints == 0) {
        ++e.down_hints;
        check(s);
    }
}

void node::nat_add(const base::endpoint& to) noexcept { _nat.add(to); }

// Id-less responders (e.g. an ephemeral bootstrap node) may report our
// address too, but only the first max(1, #bootstrap) distinct ones count.
void node::sample_bootstrap_maybe(const base::endpoint& from, const base::endpoint& to) noexcept {
    if (_idless_samples.size() >= std::max<std::size_t>(1, _cfg.bootstrap.size())) return;
    const std::uint64_t key = from.key();
    if (std::find(_idless_samples.begin(), _idless_samples.end(), key) != _idless_samples.end()) return;
    _idless_samples.push_back(key);
    nat_add(to);
}

// --- the tick ------------------------------------------------------------

void node::on_tick() noexcept {
    if (_now - _last_tick > sleeping_interval) {
        on_wakeup();
    } else {
        ++_tick;
    }
    _last_tick = _now;
    _down_hints_this_tick = 0;
    _reported.clear();
    if (primary() && _identity_resend) send_identity();  // a ring was full last time
    if (!primary() || !_bootstrapped) return;
    if (adaptive() && _ephemeral && --_stable_ticks <= 0) {
        auto host = _nat.address();
        if (host && _last_host && host->same_host(*_last_host)) {
            _stable_ticks = more_stable_ticks;  // do not recheck the same network
        } else {
            update_network_state(false, [](bool) {});
        }
    }
    if ((_tick & 7) == 0) ping_some();
    if (_tick % replica_sync_ticks == 0) sync_replicas();
    if (((_tick & 63) == 0 && _table.size() < _cfg.k) || --_refresh_ticks <= 0) refresh();
}

void node::on_wakeup() noexcept {
    _tick += 2 * old_node;              // everything now looks old
    _tick += 8 - (_tick & 7) - 2;       // pings start in two ticks
    _stable_ticks = more_stable_ticks;
    _refresh_ticks = 1;
    _last_host.reset();
    if (adaptive() && !_ephemeral && primary()) {
        _ephemeral = true;
        broadcast_identity();
    }
}

void node::ping_some() noexcept {
    int cnt = _rpc.inflight() > 2 ? 3 : 5;
    std::uint32_t oldest = _table.oldest();
    if (oldest == no_slot) {
        refresh();
        return;
    }
    if (_tick - _table.at(oldest).pinged < recent_node) cnt = 2;
    while (cnt-- > 0) {
        if (oldest == no_slot || _tick == _table.at(oldest).pinged) continue;
        std::uint32_t next = _table.at(oldest).next;
        check(oldest);
        oldest = next;
    }
}

void node::refresh() noexcept {
    std::uint32_t s = _table.random(_rnd);
    const target t = to_target(s == no_slot ? _table.self() : _table.at(s).id);
    background_query(t, nullptr, nullptr);
}

std::uint64_t node::background_query(const target& t, std::function<void(const query_reply&)> on_reply,
                                     std::function<void(const query_result&)> on_done) {
    query_spec spec;
    spec.tgt = t;
    spec.internal = true;
    spec.command = static_cast<std::uint64_t>(internal_cmd::find_node);
    spec.full_concurrency = _cfg.concurrency;
    spec.concurrency = std::min(_cfg.concurrency, std::max<std::size_t>(2, _cfg.concurrency / 8));
    spec.background = true;
    spec.on_reply = std::move(on_reply);
    spec.on_done = std::move(on_done);
    return start_query(std::move(spec));
}

// --- bootstrap -----------------------------------------------------------

void node::bootstrap_round() noexcept {
    ++_bootstrap_round;
    _quick_probe_pending = _bootstrap_round == 1 && _firewalled && _cfg.quick_firewall && !force_persistent();
    background_query(
        to_target(_table.self()),
        [this](const query_reply& r) {
            // Quick firewall heuristic: one PING_NAT to the first responder. If
            // it comes back before the walk ends, run the full firewall test.
            if (!_quick_probe_pending) return;
            _quick_probe_pending = false;
            send_ping(r.from, [this](bool ok, const rpc_reply*) { if (ok) _test_nat = true; }, request_socket(), true,
                      _cfg.server_port);
        },
        [this](const query_result&) { bootstrap_round_done(); });
}

void node::bootstrap_round_done() noexcept {
    if (_bootstrapped || (!_test_nat && !force_persistent()) || _bootstrap_round >= 2) {
        finish_bootstrap();
        return;
    }
    update_network_state(!force_persistent(), [this](bool ok) {
        if (ok) {
            bootstrap_round();
        } else {
            finish_bootstrap();
        }
    });
}

void node::finish_bootstrap() noexcept {
    if (_bootstrapped) return;
    _bootstrapped = true;
    if (_cfg.mode == persistence::at_bootstrap && _ephemeral) _stable_ticks = stable_ticks;  // retry adaptively
}

// Tries to leave the firewalled and (unless only_firewall) ephemeral state:
// needs a consistent public host and port and, when firewalled, a passed
// firewall test. On success the node takes id = H(public ip:port).
void node::update_network_state(bool only_firewall, std::function<void(bool)> done) noexcept {
    // A `never` node may still learn that it is not firewalled, but never takes an id.
    if (!_ephemeral || (only_firewall && !_firewalled) || _network_check_running ||
        (!only_firewall && _cfg.mode == persistence::never)) {
        done(false);
        return;
    }
    const auto addr = _nat.address();
    if (!only_firewall) {
        _stable_ticks = more_stable_ticks;
        _last_host = addr;
    }
    if (!addr || addr->port() == 0) {
        done(false);
        return;
    }
    auto conclude = [this, only_firewall, addr, done](bool firewalled, const nat_sampler& sampler) {
        if (firewalled) {
            done(false);
            return;
        }
        _firewalled = false;
        const auto now_addr = _nat.address();
        if (!_ephemeral || !now_addr || !(*now_addr == *addr)) {
            broadcast_identity();
            done(false);
            return;
        }
        const auto seen = sampler.address();
        if (!seen || !seen->same_host(*addr) || seen->port() == 0) {
            broadcast_identity();
            done(false);
            return;
        }
        const bool persistent = !only_firewall;
        if (&sampler != &_nat) {
            _nat = sampler;
            _idless_samples.clear();
        }
        become(id_of(*seen), persistent);
        done(true);
    };
    if (_firewalled) {
        _network_check_running = true;
        check_if_firewalled([this, conclude](bool fw, nat_sampler fresh) {
            _network_check_running = false;
            conclude(fw, fresh);
        });
    } else {
        conclude(false, _nat);
    }
}

// The firewall test (docs/protocol.md §2.10): PING_NAT, carrying our server port, to up
// to 5 recent nodes (topped up from the bootstrap list). A reply reaches us
// only if that port accepts unsolicited datagrams: it is sent to the server
// socket while our request left from the client socket. So only replies that
// arrived on the server socket count: one sent back to the client socket
// (where the NAT lets it through) proves nothing, whatever its `to` says.
void node::check_if_firewalled(std::function<void(bool firewalled, nat_sampler)> done) noexcept {
    std::vector<base::endpoint> nodes;
    for (std::uint32_t s = _table.latest(); s != no_slot && nodes.size() < 5; s = _table.at(s).prev) {
        nodes.push_back(_table.at(s).addr);
    }
    if (nodes.size() < 5) {
        for (const auto& b : _cfg.bootstrap) nodes.push_back(b);
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
        send_ping(n, [this, st](bool ok, const rpc_reply* r) {
            if (ok && r && r->socket == 0 && r->res.to.is_v4()) {
                ++st->count;
                st->sampler.add(r->res.to);
            }
            if (--st->missing > 0) return;
            const bool too_few = st->count < (st->asked >= 5 ? 3u : 1u);
            const auto ours = _nat.address();
            const auto seen = st->sampler.address();
            const bool fw = too_few || !seen || !ours || !seen->same_host(*ours) || seen->port() == 0 ||
                            seen->port() != _cfg.server_port;
            st->done(fw, st->sampler);
        }, request_socket(), true, _cfg.server_port);
    }
}

void node::become(const node_id& id, bool persistent) noexcept {
    if (persistent) _ephemeral = false;
    if (!(id == _table.self())) {
        for (const auto& dropped : _table.rekey(id)) {
            (void)dropped;
            _ctr.inc(ctr::table_removed);
        }
        broadcast_identity();
        if (_bootstrapped) refresh();
    } else {
        broadcast_identity();
    }
}

}  // namespace dht
