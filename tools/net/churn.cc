#include "tools/net/churn.h"

#include <chrono>
#include <vector>

namespace net {

namespace {

base::nanoseconds seconds_to_ns(double s) {
    return std::chrono::duration_cast<base::nanoseconds>(std::chrono::duration<double>(s));
}

}  // namespace

churner::churner(double per_min, double down_s, std::uint64_t seed) noexcept
    : _on(per_min > 0), _rnd(seed ^ 0xC4u) {
    if (_on) _period = seconds_to_ns(60.0 / per_min);
    _down = seconds_to_ns(down_s);
}

void churner::begin(base::mono_time now) noexcept { _next_kill = now + _period / 2; }

void churner::step(node_set& nodes, base::mono_time now) {
    if (!_on) return;
    while (!_restart.empty() && _restart.front().first <= now) {
        nodes.restart(_restart.front().second, now);
        _restart.pop_front();
        ++_restarts;
    }
    while (_next_kill <= now) {
        _next_kill += _period;
        std::vector<std::size_t> up;
        for (std::size_t i = 1; i < nodes.size(); ++i) {
            if (nodes.up(i)) up.push_back(i);
        }
        if (up.empty()) continue;  // everyone else is already down
        const auto victim = up[_rnd.below(up.size())];
        nodes.kill(victim, now);
        _restart.emplace_back(now + _down, victim);
        ++_kills;
    }
}

}  // namespace net
