// dht::node: keeping the other shards' routing-table replicas in step with
// the primary, and reporting what secondaries hear back to it.
//
// Deltas (table_add/table_remove, batched addr4 lists) follow every change;
// every replica_sync_ticks (1 min) and on every identity change the primary also sends
// a full sync that the replica builds aside and swaps in, so a delta lost to a
// full ring heals within a minute. The identity (persistent or not, firewalled,
// the id) goes out on every change, again at the next tick to a shard whose
// ring was full, and inside every full sync's first message: a replica never
// stays on a stale identity for more than a minute.
#include <array>
#include <cstring>
#include <vector>

#include "base/byte_reader.h"
#include "dht/detail/node_internal.h"
#include "dht/node.h"

namespace dht {

using namespace detail;

namespace {
constexpr std::size_t max_addrs_per_message = 300;  // 1800 bytes
constexpr std::size_t max_reported = 65536;

enum : std::uint8_t { sync_begin = 0, sync_chunk = 1, sync_end = 2 };
enum : std::uint8_t { seen_sample = 1, seen_has_id = 2 };
}  // namespace

void node::broadcast_table(std::uint32_t type, const base::endpoint& addr) noexcept {
    if (!primary() || _cfg.shards < 2) return;
    std::array<std::byte, 6> b;
    put_addr(b, addr);
    for (std::uint16_t s = 1; s < _cfg.shards; ++s) post(s, type, b);
}

// flags (1: persistent, 2: firewalled), then the table id.
std::array<std::byte, 33> node::identity_message() const noexcept {
    std::array<std::byte, 33> b;
    b[0] = std::byte((_ephemeral ? 0 : 1) | (_firewalled ? 2 : 0));
    std::memcpy(b.data() + 1, _table.self().data(), 32);
    return b;
}

void node::broadcast_identity() noexcept {
    if (!primary() || _cfg.shards < 2) return;
    send_identity();
    sync_replicas();
}

// The identity alone (33 bytes a shard): what the tick resends while a ring
// refused it, without a full table sync that would add to the back-pressure.
void node::send_identity() noexcept {
    const auto b = identity_message();
    _identity_resend = false;
    for (std::uint16_t s = 1; s < _cfg.shards; ++s) {
        if (!post(s, msg_identity, b)) _identity_resend = true;  // again at the next tick
    }
}

void node::apply_identity(std::span<const std::byte> payload) noexcept {
    base::byte_reader r(payload);
    auto flags = r.read_u8();
    auto id = r.read_array<32>();
    if (!flags || !id || primary()) return;
    _ephemeral = !(*flags & 1);
    _firewalled = (*flags & 2) != 0;
    if (!(node_id(*id) == _table.self())) {
        _table = routing_table(node_id(*id), _cfg.k);
        _staging.reset();
    }
}

void node::sync_replicas() noexcept {
    if (!primary() || _cfg.shards < 2) return;
    std::vector<std::byte> msg;
    msg.reserve(1 + 6 * max_addrs_per_message);
    auto flush = [&](std::uint8_t phase) {
        msg.insert(msg.begin(), std::byte(phase));
        for (std::uint16_t s = 1; s < _cfg.shards; ++s) post(s, msg_table_sync, msg);
        msg.clear();
    };
    const auto identity = identity_message();
    msg.insert(msg.end(), identity.begin(), identity.end());
    flush(sync_begin);
    _table.for_each([&](const table_entry& e) {
        std::array<std::byte, 6> b;
        put_addr(b, e.addr);
        msg.insert(msg.end(), b.begin(), b.end());
        if (msg.size() >= 6 * max_addrs_per_message) flush(sync_chunk);
    });
    if (!msg.empty()) flush(sync_chunk);
    flush(sync_end);
}

void node::report_to_primary(bool sample, const base::endpoint& from, bool has_id, const base::endpoint& to) noexcept {
    const std::uint64_t key = from.key();
    if (_reported.size() >= max_reported) return;
    if (!_reported.emplace(key, _tick).second) return;  // already reported this tick
    std::array<std::byte, 13> b;
    b[0] = std::byte((sample ? seen_sample : 0) | (has_id ? seen_has_id : 0));
    put_addr(std::span<std::byte, 6>(b.data() + 1, 6), from);
    put_addr(std::span<std::byte, 6>(b.data() + 7, 6), to);
    post(0, msg_node_seen, b);
}

void node::on_message(std::uint32_t type, std::span<const std::byte> payload, base::mono_time now) noexcept {
    _affinity.check();
    _now = now;
    _finished_queries.clear();
    base::byte_reader r(payload);
    switch (type) {
        case msg_node_seen: {
            auto flags = r.read_u8();
            auto from = ce::read_addr4(r);
            auto to = ce::read_addr4(r);
            if (!flags || !from || !to || !primary()) return;
            std::optional<node_id> id;
            if (*flags & seen_has_id) id = _ids.get(*from);  // the secondary verified it
            node_from_network((*flags & seen_sample) != 0, *from, id, *to);
            return;
        }
        case msg_down_hint: {
            auto suspect = ce::read_addr4(r);
            if (suspect && primary()) down_hinted(*suspect);
            return;
        }
        case msg_node_timeout: {
            auto addr = ce::read_addr4(r);
            if (addr && primary()) remove_table_node(_ids.get(*addr));
            return;
        }
        case msg_identity: apply_identity(payload); return;
        case msg_table_add:
        case msg_table_remove:
        case msg_table_sync: apply_table_message(type, payload); return;
        default:
            if (type >= msg_app_base && _app) _app->on_message(*this, type, payload);
            return;
    }
}

void node::apply_table_message(std::uint32_t type, std::span<const std::byte> payload) noexcept {
    if (primary()) return;
    base::byte_reader r(payload);
    std::uint8_t phase = sync_chunk;
    if (type == msg_table_sync) {
        auto p = r.read_u8();
        if (!p) return;
        phase = *p;
        if (phase == sync_begin) {
            apply_identity(r.read_rest());  // may start a new table: stage after it
            _staging = std::make_unique<routing_table>(_table.self(), _cfg.k);
            return;
        }
        if (phase == sync_end) {
            if (_staging) _table = std::move(*_staging);
            _staging.reset();
            return;
        }
    }
    while (r.remaining() >= 6) {
        auto addr = ce::read_addr4(r);
        if (!addr) return;
        const node_id id = _ids.get(*addr);
        if (type == msg_table_remove) {
            _table.remove(id);
            if (_staging) _staging->remove(id);
        } else if (type == msg_table_sync) {
            if (_staging) _staging->add(id, *addr, _tick);
        } else {
            _table.add(id, *addr, _tick);
            if (_staging) _staging->add(id, *addr, _tick);
        }
    }
}

}  // namespace dht
