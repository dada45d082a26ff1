// dht::replication: the routing-table replicas and the identity on the other
// shards, and the reports secondaries send the primary (replication.h).
#include "dht/replication.h"

#include <cstring>
#include <vector>

#include "base/byte_reader.h"
#include "dht/detail/node_internal.h"
#include "dht/identity.h"
#include "dht/table_keeper.h"

namespace dht {

using namespace detail;

namespace {
constexpr std::size_t max_addrs_per_message = 300;  // 1800 bytes
constexpr std::size_t max_reported = 65536;

enum : std::uint8_t { sync_begin = 0, sync_chunk = 1, sync_end = 2 };
enum : std::uint8_t { seen_sample = 1, seen_has_id = 2 };
}  // namespace

void replication::broadcast_table(std::uint32_t type, const base::endpoint& addr) noexcept {
    if (!_c.primary() || _c.cfg.shards < 2) return;
    std::array<std::byte, 6> b;
    put_addr(b, addr);
    for (std::uint16_t s = 1; s < _c.cfg.shards; ++s) _c.post(s, type, b);
}

// flags (1: persistent, 2: firewalled), then the table id.
std::array<std::byte, 33> replication::identity_message() const noexcept {
    std::array<std::byte, 33> b;
    b[0] = std::byte(_c.ident->flags());
    std::memcpy(b.data() + 1, _c.table.self().data(), 32);
    return b;
}

void replication::broadcast_identity() noexcept {
    if (!_c.primary() || _c.cfg.shards < 2) return;
    send_identity();
    sync_replicas();
}

// The identity alone (33 bytes a shard): what the tick resends while a ring
// refused it, without a full table sync that would add to the back-pressure.
void replication::send_identity() noexcept {
    const auto b = identity_message();
    _identity_resend = false;
    for (std::uint16_t s = 1; s < _c.cfg.shards; ++s) {
        if (!_c.post(s, msg_identity, b)) _identity_resend = true;  // again at the next tick
    }
}

void replication::new_tick() noexcept {
    _reported.clear();
    if (_c.primary() && _identity_resend) send_identity();  // a ring was full last time
}

void replication::apply_identity(std::span<const std::byte> payload) noexcept {
    base::byte_reader r(payload);
    auto flags = r.read_u8();
    auto id = r.read_array<32>();
    if (!flags || !id || _c.primary()) return;
    _c.ident->adopt(*flags, node_id(*id));
    if (!(node_id(*id) == _c.table.self())) {
        _c.table = routing_table(node_id(*id), _c.cfg.k);
        _staging.reset();
    }
}

void replication::sync_due() noexcept {
    if (_c.tick % replica_sync_ticks == 0) sync_replicas();
}

void replication::sync_replicas() noexcept {
    if (!_c.primary() || _c.cfg.shards < 2) return;
    std::vector<std::byte> msg;
    msg.reserve(1 + 6 * max_addrs_per_message);
    auto flush = [&](std::uint8_t phase) {
        msg.insert(msg.begin(), std::byte(phase));
        for (std::uint16_t s = 1; s < _c.cfg.shards; ++s) _c.post(s, msg_table_sync, msg);
        msg.clear();
    };
    const auto ident = identity_message();
    msg.insert(msg.end(), ident.begin(), ident.end());
    flush(sync_begin);
    _c.table.for_each([&](const table_entry& e) {
        std::array<std::byte, 6> b;
        put_addr(b, e.addr);
        msg.insert(msg.end(), b.begin(), b.end());
        if (msg.size() >= 6 * max_addrs_per_message) flush(sync_chunk);
    });
    if (!msg.empty()) flush(sync_chunk);
    flush(sync_end);
}

void replication::report_to_primary(bool sample, const base::endpoint& from, bool has_id,
                                    const base::endpoint& to) noexcept {
    const std::uint64_t key = from.key();
    if (_reported.size() >= max_reported) return;
    if (!_reported.emplace(key, _c.tick).second) return;  // already reported this tick
    std::array<std::byte, 13> b;
    b[0] = std::byte((sample ? seen_sample : 0) | (has_id ? seen_has_id : 0));
    put_addr(std::span<std::byte, 6>(b.data() + 1, 6), from);
    put_addr(std::span<std::byte, 6>(b.data() + 7, 6), to);
    _c.post(0, msg_node_seen, b);
}

bool replication::on_message(std::uint32_t type, std::span<const std::byte> payload) noexcept {
    base::byte_reader r(payload);
    switch (type) {
        case msg_node_seen: {
            auto flags = r.read_u8();
            auto from = ce::read_addr4(r);
            auto to = ce::read_addr4(r);
            if (!flags || !from || !to || !_c.primary()) return true;
            std::optional<node_id> id;
            if (*flags & seen_has_id) id = _c.ids.get(*from);  // the secondary verified it
            _c.keeper->node_from_network((*flags & seen_sample) != 0, *from, id, *to);
            return true;
        }
        case msg_down_hint: {
            auto suspect = ce::read_addr4(r);
            if (suspect && _c.primary()) _c.keeper->down_hinted(*suspect);
            return true;
        }
        case msg_node_timeout: {
            auto addr = ce::read_addr4(r);
            if (addr && _c.primary()) _c.keeper->remove_table_node(_c.ids.get(*addr));
            return true;
        }
        case msg_identity: apply_identity(payload); return true;
        case msg_table_add:
        case msg_table_remove:
        case msg_table_sync: apply_table_message(type, payload); return true;
        default: return false;
    }
}

void replication::apply_table_message(std::uint32_t type, std::span<const std::byte> payload) noexcept {
    if (_c.primary()) return;
    base::byte_reader r(payload);
    std::uint8_t phase = sync_chunk;
    if (type == msg_table_sync) {
        auto p = r.read_u8();
        if (!p) return;
        phase = *p;
        if (phase == sync_begin) {
            apply_identity(r.read_rest());  // may start a new table: stage after it
            _staging = std::make_unique<routing_table>(_c.table.self(), _c.cfg.k);
            return;
        }
        if (phase == sync_end) {
            if (_staging) _c.table = std::move(*_staging);
            _staging.reset();
            return;
        }
    }
    while (r.remaining() >= 6) {
        auto addr = ce::read_addr4(r);
        if (!addr) return;
        const node_id id = _c.ids.get(*addr);
        if (type == msg_table_remove) {
            _c.table.remove(id);
            if (_staging) _staging->remove(id);
        } else if (type == msg_table_sync) {
            if (_staging) _staging->add(id, *addr, _c.tick);
        } else {
            _c.table.add(id, *addr, _c.tick);
            if (_staging) _staging->add(id, *addr, _c.tick);
        }
    }
}

}  // namespace dht
