#include "dht/routing_table.h"

#include <algorithm>

namespace dht {

routing_table::routing_table(const node_id& self, std::size_t k) : _self(self), _k(k) { _scratch.reserve(64); }

std::size_t routing_table::row_search(const std::vector<std::uint32_t>& row, const node_id& id, bool& found) const noexcept {
    std::size_t lo = 0, hi = row.size();
    while (lo < hi) {
        std::size_t mid = (lo + hi) / 2;
        auto c = _slab[row[mid]].id <=> id;
        if (c == 0) {
            found = true;
            return mid;
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    found = false;
    return lo;
}

routing_table::add_result routing_table::add(const node_id& id, const base::endpoint& addr, std::uint64_t tick,
                                             std::uint32_t* slot_out) {
    if (id == _self) return add_result::is_self;
    const int r = row_of(id);
    auto& row = _rows[static_cast<std::size_t>(r)];
    bool found = false;
    std::size_t pos = row_search(row, id, found);
    if (found) {
        _slab[row[pos]].addr = addr;
        if (slot_out) *slot_out = row[pos];
        return add_result::exists;
    }
    if (row.size() >= _k) return add_result::row_full;
    const std::uint32_t slot = _slab.alloc();
    table_entry& e = _slab[slot];
    e.id = id;
    e.addr = addr;
    e.prefix = id_prefix(id);
    e.added = e.seen = e.pinged = tick;
    e.live = true;
    row.insert(row.begin() + static_cast<std::ptrdiff_t>(pos), slot);
    _nonempty[static_cast<std::size_t>(r) >> 6] |= std::uint64_t{1} << (r & 63);
    list_push_latest(slot);
    ++_size;
    if (slot_out) *slot_out = slot;
    return add_result::added;
}

std::uint32_t routing_table::find(const node_id& id) const noexcept {
    const auto& row = _rows[static_cast<std::size_t>(row_of(id))];
    bool found = false;
    std::size_t pos = row_search(row, id, found);
    return found ? row[pos] : no_slot;
}

bool routing_table::remove(const node_id& id) noexcept {
    const int r = row_of(id);
    auto& row = _rows[static_cast<std::size_t>(r)];
    bool found = false;
    std::size_t pos = row_search(row, id, found);
    if (!found) return false;
    std::uint32_t slot = row[pos];
    row.erase(row.begin() + static_cast<std::ptrdiff_t>(pos));
    if (row.empty()) _nonempty[static_cast<std::size_t>(r) >> 6] &= ~(std::uint64_t{1} << (r & 63));
    list_unlink(slot);
    _slab.free(slot);
    --_size;
    return true;
}

void routing_table::list_unlink(std::uint32_t s) noexcept {
    table_entry& e = _slab[s];
    if (e.prev != no_slot) {
        _slab[e.prev].next = e.next;
    } else if (_oldest == s) {
        _oldest = e.next;
    }
    if (e.next != no_slot) {
        _slab[e.next].prev = e.prev;
    } else if (_latest == s) {
        _latest = e.prev;
    }
    e.prev = e.next = no_slot;
}

void routing_table::list_push_latest(std::uint32_t s) noexcept {
    table_entry& e = _slab[s];
    e.prev = _latest;
    e.next = no_slot;
    if (_latest != no_slot) {
        _slab[_latest].next = s;
    } else {
        _oldest = s;
    }
    _latest = s;
}

void routing_table::touch(std::uint32_t s) noexcept {
    if (_latest == s) return;
    list_unlink(s);
    list_push_latest(s);
}

void routing_table::collect_sorted(const target& t, std::uint64_t tprefix, const std::vector<std::uint32_t>& from,
                                   std::vector<std::pair<std::uint64_t, std::uint32_t>>& into) const {
    const std::size_t first = into.size();
    for (auto s : from) into.emplace_back(_slab[s].prefix ^ tprefix, s);
    std::sort(into.begin() + static_cast<std::ptrdiff_t>(first), into.end(), [&](const auto& a, const auto& b) {
        if (a.first != b.first) return a.first < b.first;
        return compare_distance(t, _slab[a.second].id, _slab[b.second].id) < 0;
    });
}

// Order of rows by distance to t, with d = first_diff_bit(t, self):
//   1. row d: its nodes agree with t on bits [0, d], the most any node can;
//   2. rows r > d agree with self (so differ from t) at bit d. Row r's nodes
//      equal self on bits (d, r) and differ from it at r: if t also differs
//      from self at r they match t there and are closer than every deeper
//      row, otherwise they are farther. So rows r > d with bit r of t != self
//      come in ascending r, then those with bit r of t == self in descending r;
//   3. rows r < d in descending r (a node in row r first differs from t at r).
// Each row is sorted on its own (at most k nodes), and the walk stops once
// `out` is full, so a lookup never sorts more than a row.
std::size_t routing_table::closest(const target& t, std::span<std::uint32_t> out) const noexcept {
    const std::size_t want = out.size();
    if (want == 0 || _size == 0) return 0;
    const int d = first_diff_bit(t, _self);
    const std::uint64_t tp = id_prefix(t);
    auto& buf = _scratch;
    std::size_t n = 0;
    auto take = [&](int r) {
        buf.clear();
        collect_sorted(t, tp, _rows[static_cast<std::size_t>(r)], buf);
        for (std::size_t i = 0; i < buf.size() && n < want; ++i) out[n++] = buf[i].second;
    };
    auto t_differs_at = [&](int r) {
        const auto byte = static_cast<std::size_t>(r >> 3);
        return ((t[byte] ^ _self[byte]) >> (7 - (r & 7))) & 1;
    };
    take(d);
    // Rows d+1..255 that hold nodes, ascending.
    auto next_row = [&](int from) {
        for (int w = from >> 6; w < 4; ++w) {
            std::uint64_t bits = _nonempty[static_cast<std::size_t>(w)];
            if (w == from >> 6) bits &= ~std::uint64_t{0} << (from & 63);
            if (bits) return w * 64 + __builtin_ctzll(bits);
        }
        return row_count;
    };
    // Rows at or below `from` that hold nodes, descending (-1 when none).
    auto prev_row = [&](int from) {
        for (int w = from >> 6; w >= 0; --w) {
            std::uint64_t bits = _nonempty[static_cast<std::size_t>(w)];
            if (w == from >> 6 && (from & 63) != 63) bits &= (std::uint64_t{1} << ((from & 63) + 1)) - 1;
            if (bits) return w * 64 + 63 - __builtin_clzll(bits);
        }
        return -1;
    };
    if (d < row_count - 1) {
        for (int r = next_row(d + 1); r < row_count && n < want; r = r + 1 < row_count ? next_row(r + 1) : row_count) {
            if (t_differs_at(r)) take(r);
        }
        for (int r = prev_row(row_count - 1); r > d && n < want; r = prev_row(r - 1)) {
            if (!t_differs_at(r)) take(r);
        }
    }
    for (int r = d > 0 ? prev_row(d - 1) : -1; r >= 0 && n < want; r = r > 0 ? prev_row(r - 1) : -1) take(r);
    return n;
}

std::uint32_t routing_table::random(base::prng& rnd) const noexcept {
    if (_size == 0) return no_slot;
    std::uint64_t i = rnd.below(_size);
    for (const auto& r : _rows) {
        if (i < r.size()) return r[i];
        i -= r.size();
    }
    return no_slot;
}

std::vector<node_id> routing_table::rekey(const node_id& new_self) {
    std::vector<table_entry> old;
    old.reserve(_size);
    // Keep recency order: walk from oldest so re-insertion rebuilds the list.
    for (std::uint32_t s = _oldest; s != no_slot; s = _slab[s].next) old.push_back(_slab[s]);
    *this = routing_table(new_self, _k);
    std::vector<node_id> dropped;
    for (const auto& e : old) {
        std::uint32_t slot;
        if (add(e.id, e.addr, e.added, &slot) != add_result::added) {
            dropped.push_back(e.id);
            continue;
        }
        table_entry& n = _slab[slot];
        n.seen = e.seen;
        n.pinged = e.pinged;
        n.sampled = e.sampled;
        n.heard = e.heard;
        n.reached = e.reached;
        n.down_hints = e.down_hints;
    }
    return dropped;
}

}  // namespace dht
