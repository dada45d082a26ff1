#include "dht/nat_sampler.h"

namespace dht {

// Entries are shared by identical samples within the window, exactly as the
// reference shares one object; an entry's slot in _entries is free when no
// ring position refers to it and it is not a best candidate.
std::size_t nat_sampler::bump(const base::endpoint& addr, std::size_t kind) noexcept {
    // kind 0 = (host, port) lives at even ring positions, kind 1 = host at odd.
    const std::size_t inc = kind == 0 ? 2 : 1;
    for (std::size_t i = 0; i < 4; ++i) {
        const std::size_t j = (_top + window * 2 - inc - 2 * i) & (window - 1);
        if (j >= _filled) break;
        entry& e = _entries[_ring[j]];
        if (e.addr == addr) {
            ++e.hits;
            return _ring[j];
        }
    }
    // A fresh entry: find a pool slot nobody references.
    for (std::size_t k = 0; k < _entries.size(); ++k) {
        entry& e = _entries[k];
        if (e.used && (e.hits > 0 || k == _best_a || k == _best_b)) continue;
        bool referenced = false;
        for (std::size_t j = 0; j < _filled && !referenced; ++j) referenced = _ring[j] == k;
        if (referenced) continue;
        e = entry{addr, 1, true};
        return k;
    }
    return 0;  // unreachable: 64 slots for at most 32 referenced + 2 best
}

void nat_sampler::add(const base::endpoint& to) noexcept {
    const std::size_t a = bump(to, 0);
    const std::size_t b = bump(to.with_port(0), 1);
    if (_filled < window) {
        ++_size;
        _threshold = _size - (_size < 4 ? 0 : _size < 8 ? 1 : _size < 12 ? 2 : 3);
        _ring[_filled++] = a;
        _ring[_filled++] = b;
        _top += 2;
    } else {
        if (_top == window) _top = 0;
        std::size_t oa = _ring[_top];
        _ring[_top++] = a;
        --_entries[oa].hits;
        std::size_t ob = _ring[_top];
        _ring[_top++] = b;
        --_entries[ob].hits;
    }
    if (_best_a == SIZE_MAX || _entries[_best_a].hits < _entries[a].hits) _best_a = a;
    if (_best_b == SIZE_MAX || _entries[_best_b].hits < _entries[b].hits) _best_b = b;
    if (_entries[_best_a].hits >= _threshold) {
        _result = _entries[_best_a].addr;
    } else if (_entries[_best_b].hits >= _threshold) {
        _result = _entries[_best_b].addr;
    } else {
        _result.reset();
    }
}

}  // namespace dht
