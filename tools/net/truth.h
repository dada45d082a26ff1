// tools/net/truth.h -- the ground truth a lookup is judged against.
//
// Every member of the network (C++ node or JS node) has the id
// H(addr4(host:port)) and a history of the intervals in which it was up.
// A lookup that ran from `start` to `end` succeeded when its closest reply is
// a member at least as close to the target as every member that was up for
// the whole of [start, end]. A node that came up or went down during the
// lookup is not required, but may be found (it did answer).
//
// Times are base::mono_time (steady_clock): the lookup driver stamps lookups
// with its node's loop time, the churn controller stamps transitions with
// the same clock. Thread safety: owned by the main thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/endpoint.h"
#include "base/time.h"
#include "dht/ids.h"

namespace net {

class liveness {
public:
    // Adds a member that is up from `since`. Returns its index.
    std::size_t add(const base::endpoint& addr, base::mono_time since);
    // Marks member i down at t (no-op if it is already down).
    void down(std::size_t i, base::mono_time t);
    // Marks member i up at t (no-op if it is already up).
    void up(std::size_t i, base::mono_time t);

    [[nodiscard]] std::size_t size() const noexcept { return _members.size(); }
    [[nodiscard]] bool is_up(std::size_t i) const noexcept { return _members[i].up_now; }
    [[nodiscard]] const base::endpoint& addr(std::size_t i) const noexcept { return _members[i].addr; }
    [[nodiscard]] const dht::node_id& id(std::size_t i) const noexcept { return _members[i].id; }
    // Member index of `addr`, or nullopt.
    [[nodiscard]] std::optional<std::size_t> find(const base::endpoint& addr) const noexcept;
    // True when member i was up during all of [a, b].
    [[nodiscard]] bool up_throughout(std::size_t i, base::mono_time a, base::mono_time b) const noexcept;
    // The member closest to t among those up during all of [a, b], or nullopt.
    [[nodiscard]] std::optional<std::size_t> closest_up(const dht::target& t, base::mono_time a,
                                                        base::mono_time b) const noexcept;

private:
    struct member {
        base::endpoint addr;
        dht::node_id id;
        std::vector<std::pair<base::mono_time, base::mono_time>> up;  // [from, to); to = max while up
        bool up_now = true;
    };
    std::vector<member> _members;
};

// One FIND_NODE lookup as the client saw it.
struct lookup_record {
    dht::target tgt;
    base::mono_time start, end;
    bool finished = false;                 // on_done ran before the run ended
    std::optional<base::endpoint> closest; // the closest reply (nearest first), if any
    int hops = 0;                          // closest reply's depth + 1
    std::size_t replies = 0;
    std::string error;                     // the query's own error, if it failed
};

// The verdict on one lookup. `expected` is the member the ground truth
// demands (nullopt when no member was up throughout, which cannot happen
// while node 0 is never killed).
struct verdict {
    bool success = false;
    std::optional<std::size_t> expected;
    std::optional<std::size_t> found;
    // 1 + the number of members up throughout the lookup that are closer to
    // the target than `found` (1: the right node); 0 when nothing was found.
    std::size_t rank = 0;
};

[[nodiscard]] verdict judge(const liveness& truth, const lookup_record& r) noexcept;

}  // namespace net
