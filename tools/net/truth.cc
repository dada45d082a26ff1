#include "tools/net/truth.h"

namespace net {

std::size_t liveness::add(const base::endpoint& addr, base::mono_time since) {
    member m;
    m.addr = addr;
    m.id = dht::id_of(addr);
    m.up.emplace_back(since, base::mono_time::max());
    _members.push_back(std::move(m));
    return _members.size() - 1;
}

void liveness::down(std::size_t i, base::mono_time t) {
    auto& m = _members.at(i);
    if (!m.up_now) return;
    m.up.back().second = t;
    m.up_now = false;
}

void liveness::up(std::size_t i, base::mono_time t) {
    auto& m = _members.at(i);
    if (m.up_now) return;
    m.up.emplace_back(t, base::mono_time::max());
    m.up_now = true;
}

std::optional<std::size_t> liveness::find(const base::endpoint& addr) const noexcept {
    for (std::size_t i = 0; i < _members.size(); ++i) {
        if (_members[i].addr == addr) return i;
    }
    return std::nullopt;
}

bool liveness::up_throughout(std::size_t i, base::mono_time a, base::mono_time b) const noexcept {
    for (const auto& [from, to] : _members[i].up) {
        if (from <= a && b < to) return true;
    }
    return false;
}

std::optional<std::size_t> liveness::closest_up(const dht::target& t, base::mono_time a,
                                                base::mono_time b) const noexcept {
    std::optional<std::size_t> best;
    for (std::size_t i = 0; i < _members.size(); ++i) {
        if (!up_throughout(i, a, b)) continue;
        if (!best || dht::compare_distance(t, _members[i].id, _members[*best].id) < 0) best = i;
    }
    return best;
}

verdict judge(const liveness& truth, const lookup_record& r) noexcept {
    verdict v;
    v.expected = truth.closest_up(r.tgt, r.start, r.end);
    if (!r.finished || !r.closest) return v;
    v.found = truth.find(*r.closest);
    if (!v.found) return v;  // a reply from outside the network never counts
    v.success = !v.expected || dht::compare_distance(r.tgt, truth.id(*v.found), truth.id(*v.expected)) <= 0;
    v.rank = 1;
    for (std::size_t i = 0; i < truth.size(); ++i) {
        if (truth.up_throughout(i, r.start, r.end) && dht::compare_distance(r.tgt, truth.id(i), truth.id(*v.found)) < 0) {
            ++v.rank;
        }
    }
    return v;
}

}  // namespace net
