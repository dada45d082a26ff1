// dht/detail/node_core.h -- what the parts of one dht::node share: the
// configuration, the shard's clock reading, timer wheel, random stream,
// counters, id cache, token keeper, routing table (authoritative on the
// primary, a replica elsewhere) and NAT sampler, plus a pointer to each part
// so that one part can ask another for its one job.
//
// The node (dht/node.h) owns the core and the parts and sets the pointers
// once, before any entry point runs. Thread safety: one shard's, like the node.
#pragma once

#include <cstdint>
#include <span>

#include "base/random.h"
#include "base/time.h"
#include "base/timer_wheel.h"
#include "dht/counters.h"
#include "dht/host.h"
#include "dht/ids.h"
#include "dht/nat_sampler.h"
#include "dht/node_types.h"
#include "dht/routing_table.h"
#include "dht/tokens.h"

namespace dht {

class identity;
class outgoing;
class replication;
class request_server;
class table_keeper;

namespace detail {

struct node_core {
    node_core(node_config c, host& o, node& n, base::mono_time t)
        : cfg(std::move(c)), out(o), self(n), now(t), wheel(t), rnd(cfg.seed), tokens(cfg.token_master) {}

    [[nodiscard]] bool primary() const noexcept { return cfg.shard == 0; }
    // Posts to another shard; false (and counted) when its ring was full.
    bool post(std::uint16_t to, std::uint32_t type, std::span<const std::byte> payload) noexcept {
        if (to == cfg.shard || to >= cfg.shards) return false;
        if (!out.post(to, type, payload)) {
            _ctr.inc(ctr::shard_messages_dropped);
            return false;
        }
        _ctr.inc(ctr::shard_messages_out);
        return true;
    }

    node_config cfg;
    host& out;
    node& self;  // what app_handler callbacks are given
    base::mono_time now;
    base::timer_wheel wheel;
    base::prng rnd;
    dht::counters _ctr;  // named as in every part: `_ctr.inc(ctr::x)`
    id_cache ids;
    token_keeper tokens;
    routing_table table{node_id(), cfg.k};
    nat_sampler nat;
    app_handler* app = nullptr;
    std::uint64_t tick = 0;

    // The parts (set by the node's constructor).
    dht::identity* ident = nullptr;
    dht::table_keeper* keeper = nullptr;
    dht::replication* repl = nullptr;
    dht::outgoing* rpcs = nullptr;
    dht::request_server* server = nullptr;
};

}  // namespace detail
}  // namespace dht
