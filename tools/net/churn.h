// tools/net/churn.h -- kills nodes at a steady rate and restarts each after
// a fixed down time.
//
// Kills are evenly spaced (period 60 s / rate, the first half a period after
// begin()), so a short run sees the rate it asked for rather than a Poisson
// draw. The victim is drawn uniformly (seeded) from the nodes that are up,
// never node 0: it is everyone's bootstrap node, and the client's.
// Thread safety: main thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <utility>

#include "base/random.h"
#include "base/time.h"
#include "tools/net/node_set.h"

namespace net {

class churner {
public:
    churner(double per_min, double down_s, std::uint64_t seed) noexcept;
    // Arms the first kill.
    void begin(base::mono_time now) noexcept;
    // Does every kill and restart due by `now`.
    void step(node_set& nodes, base::mono_time now);
    [[nodiscard]] std::size_t kills() const noexcept { return _kills; }
    [[nodiscard]] std::size_t restarts() const noexcept { return _restarts; }

private:
    bool _on;
    base::nanoseconds _period{0}, _down{0};
    base::prng _rnd;
    base::mono_time _next_kill{};
    std::deque<std::pair<base::mono_time, std::size_t>> _restart;  // in time order (constant down time)
    std::size_t _kills = 0, _restarts = 0;
};

}  // namespace net
