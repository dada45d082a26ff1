// dht::table_keeper: learning nodes from traffic, replacing dead ones, the
// liveness checks and the refresh (docs/protocol.md §2.8-§2.9).
#include "dht/table_keeper.h"

#include <algorithm>
#include <array>

#include "dht/detail/node_internal.h"
#include "dht/identity.h"
#include "dht/outgoing.h"
#include "dht/replication.h"

namespace dht {

using namespace detail;

void table_keeper::add_node(const base::endpoint& addr) {
    if (!addr.is_v4()) return;
    if (!_c.primary()) return;
    add_table_node(_c.ids.get(addr), addr, std::nullopt);
}

void table_keeper::node_from_network(bool sample, const base::endpoint& from, const std::optional<node_id>& id,
                                     const base::endpoint& to) noexcept {
    if (!_c.primary()) {
        _c.repl->report_to_primary(sample, from, id.has_value(), to);
        return;
    }
    if (!id) {
        _c.ident->sample_bootstrap_maybe(from, to);
        return;
    }
    routing_table& table = _c.table;
    std::uint32_t slot = table.find(*id);
    if (slot != no_slot) {
        table_entry& e = table.at(slot);
        if (sample && (e.sampled == 0 || _c.tick - e.sampled >= old_node)) {
            e.sampled = _c.tick;
            _c.ident->nat_add(to);
        }
        e.pinged = e.seen = e.reached = _c.tick;
        e.heard = ++_heard_seq;
        e.addr = from;
        table.touch(slot);
        return;
    }
    add_table_node(*id, from, to);
    if (slot = table.find(*id); slot != no_slot) table.at(slot).reached = _c.tick;
}

std::size_t table_keeper::reached_recently() const noexcept {
    std::size_t n = 0;
    _c.table.for_each([&](const table_entry& e) { n += e.reached != 0 && _c.tick - e.reached < recent_node; });
    return n;
}

void table_keeper::add_table_node(const node_id& id, const base::endpoint& addr, std::optional<base::endpoint> to) {
    routing_table& table = _c.table;
    if (id == table.self()) return;
    std::uint32_t slot = no_slot;
    switch (table.add(id, addr, _c.tick, &slot)) {
        case routing_table::add_result::added: {
            _ctr.inc(ctr::table_added);
            table_entry& e = table.at(slot);
            e.heard = ++_heard_seq;
            if (to && e.sampled == 0) {
                e.sampled = _c.tick;
                _c.ident->nat_add(*to);
            }
            _c.repl->broadcast_table(msg_table_add, addr);
            break;
        }
        case routing_table::add_result::exists: {
            table_entry& e = table.at(slot);
            e.pinged = e.seen = _c.tick;
            e.heard = ++_heard_seq;
            table.touch(slot);
            break;
        }
        case routing_table::add_result::row_full: on_row_full(id, addr); break;
        case routing_table::add_result::is_self: break;
    }
}

void table_keeper::remove_table_node(const node_id& id) noexcept {
    std::uint32_t slot = _c.table.find(id);
    if (slot == no_slot) return;
    const base::endpoint addr = _c.table.at(slot).addr;
    _c.table.remove(id);
    _ctr.inc(ctr::table_removed);
    _c.repl->broadcast_table(msg_table_remove, addr);
}

// A full row: ping its least recently pinged node and swap the newcomer in if
// that node is gone -- unless it is old and was heard from recently.
void table_keeper::on_row_full(const node_id& id, const base::endpoint& addr) {
    if (!_c.ident->bootstrapped() || _repinging >= max_repinging) return;
    routing_table& table = _c.table;
    std::uint32_t oldest = no_slot;
    for (auto s : table.row(table.row_of(id))) {
        const table_entry& e = table.at(s);
        if (e.pinged == _c.tick) continue;
        if (oldest == no_slot || table.at(oldest).pinged > e.pinged ||
            (table.at(oldest).pinged == e.pinged && table.at(oldest).added > e.added)) {
            oldest = s;
        }
    }
    if (oldest == no_slot) return;
    const table_entry& old = table.at(oldest);
    if (_c.tick - old.pinged < recent_node && _c.tick - old.added > old_node) return;

    const node_id old_id = old.id;
    const std::uint64_t last_heard = old.heard;
    table.at(oldest).pinged = _c.tick;
    ++_repinging;
    _c.rpcs->send_ping(old.addr, [this, old_id, last_heard, id, addr](bool ok, const rpc_reply*) {
        --_repinging;
        std::uint32_t s = _c.table.find(old_id);
        if (ok && s != no_slot && _c.table.at(s).heard > last_heard) return;  // alive: keep it
        remove_table_node(old_id);
        add_table_node(id, addr, std::nullopt);
    }, _c.ident->request_socket());
}

// Pings a table node; removes it if it does not answer, or answers without
// being heard from as a verified node (someone else now has that address).
void table_keeper::check(std::uint32_t slot) noexcept {
    table_entry& e = _c.table.at(slot);
    e.pinged = _c.tick;
    const node_id id = e.id;
    const std::uint64_t last_heard = e.heard;
    ++_checks;
    _c.rpcs->send_ping(e.addr, [this, id, last_heard](bool ok, const rpc_reply*) {
        --_checks;
        std::uint32_t s = _c.table.find(id);
        if (s == no_slot) return;
        if (!ok || _c.table.at(s).heard <= last_heard) remove_table_node(id);
    }, _c.ident->request_socket());
}

void table_keeper::down_hinted(const base::endpoint& suspect) noexcept {
    if (_checks >= max_checks) return;
    std::uint32_t s = _c.table.find(_c.ids.get(suspect));
    if (s == no_slot) return;
    table_entry& e = _c.table.at(s);
    if (e.pinged < _c.tick || e.down_hints == 0) {
        ++e.down_hints;
        check(s);
    }
}

std::size_t table_keeper::closest_nodes(const target& t, std::span<base::endpoint> out) noexcept {
    std::array<std::uint32_t, 64> slots;
    const std::size_t want = std::min(out.size(), slots.size());
    const std::size_t n = _c.table.closest(t, std::span(slots).first(want));
    for (std::size_t i = 0; i < n; ++i) out[i] = _c.table.at(slots[i]).addr;
    return n;
}

void table_keeper::ping_due() noexcept {
    const routine_setting s = routine_of(routine::pings);
    if (!s.enabled || _c.tick % (s.every_ticks ? s.every_ticks : default_ping_ticks) != 0) return;
    _ran[static_cast<std::size_t>(routine::pings)] = _c.tick;
    ping_some();
}

void table_keeper::refresh_due() noexcept {
    if (!routine_of(routine::refresh).enabled) return;
    if (((_c.tick & 63) == 0 && _c.table.size() < _c.cfg.k) || --_refresh_ticks <= 0) refresh();
}

void table_keeper::ping_some() noexcept {
    int cnt = _c.rpcs->inflight() > 2 ? 3 : 5;
    std::uint32_t oldest = _c.table.oldest();
    if (oldest == no_slot) {
        refresh();
        return;
    }
    if (_c.tick - _c.table.at(oldest).pinged < recent_node) cnt = 2;
    while (cnt-- > 0) {
        if (oldest == no_slot || _c.tick == _c.table.at(oldest).pinged) continue;
        std::uint32_t next = _c.table.at(oldest).next;
        check(oldest);
        oldest = next;
    }
}

void table_keeper::refresh() noexcept {
    _ran[static_cast<std::size_t>(routine::refresh)] = _c.tick;
    _refresh_ticks = refresh_period();
    std::uint32_t s = _c.table.random(_c.rnd);
    const target t = to_target(s == no_slot ? _c.table.self() : _c.table.at(s).id);
    _c.rpcs->background_query(t, nullptr, nullptr);
}

}  // namespace dht
