// tools/load/populate.h -- choosing fake nodes that fill a target's routing table.
//
// A node adds a peer when a request from it carries id = H(its address). Rows
// of the target's table (the first bit where a peer's id differs from the
// target's) fill from row 0, which half of all ids land in, to deep rows that
// few do; we hash candidate addresses 127.200-255.x.y:20000 and keep those
// whose row still has room, k per row. Shallow rows fill first (half of all
// ids land in row 0), so `count` fake nodes fill about the first count/k rows.
// Needs the target to be persistent (its id known).
#pragma once

#include <cstddef>
#include <vector>

#include "base/endpoint.h"

namespace load {

// Up to `count` addresses whose ids fill rows 0, 1, ... of target's table.
[[nodiscard]] std::vector<base::endpoint> plan_fake_nodes(const base::endpoint& target, std::size_t count,
                                                          std::size_t k = 20);

}  // namespace load
