// dht/identity.h -- who this node is on the network: bootstrap, NAT
// sampling, the firewall test and the ephemeral -> persistent state machine
// (docs/protocol.md §2.8-§2.11).
//
// Its one job is to decide the node's identity -- firewalled or not,
// persistent (id = H(public ip:port)) or not -- and to tell the other parts
// and shards when it changes. The primary runs the machine; a secondary only
// adopts what the primary's replication messages say.
//
// Identity (reachability):
//
//   firewalled --(firewall test passed)--> open --(consistent public address)--> persistent
//        \_____________________(both, in one network check)______________________/^
//   persistent --(slept for > 3 ticks, adaptive modes)--> open
//   public_address mode starts persistent; `never` stops at open.
//   A secondary jumps to whatever msg_identity says.
//
// Bootstrap:
//
//   not_started --start()--> walking --(query done)--> testing --(check passed)--> walking (round 2)
//        (secondary: --start()--> done)  \--(no test wanted, round 2, failed)--> done
//   not_started --start() with known nodes--> revalidating --(every ping answered or failed)--> walking
//
// `revalidating` pings the nodes of a saved routing table (node_config::known_nodes);
// those that answer enter the table like any node we hear from, so the walk
// starts from live nodes even when no bootstrap node is reachable.
//
// While round 1 walks, the quick firewall probe runs alongside it:
//   off --(round 1, firewalled, quick_firewall)--> pending --(first responder)--> sent --(PING_NAT reply)--> answered
// and `answered` at the end of round 1 is what asks for the full firewall test.
//
// Thread safety: one shard's; every call comes from the node's entry points.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "base/endpoint.h"
#include "dht/detail/node_core.h"
#include "dht/ids.h"
#include "dht/nat_sampler.h"

namespace dht {

enum class reachability : std::uint8_t {
    firewalled,  // ephemeral; unsolicited datagrams may not reach us (the start)
    open,        // ephemeral, but the firewall test passed
    persistent,  // open, and holding id = H(public ip:port); stores records
};

enum class bootstrap_state : std::uint8_t {
    not_started,  // start() not called yet
    revalidating, // pinging the known nodes of a previous run; the walk waits for them
    walking,      // a bootstrap query towards our own id is in flight (round 1 or 2)
    testing,      // round 1 ended wanting the network check; it is in flight
    done,         // bootstrapped (a secondary is done at start)
};

enum class quick_probe : std::uint8_t { off, pending, sent, answered };

class identity {
public:
    explicit identity(detail::node_core& c) noexcept;

    // Starts the machine (primary: tell the replicas, walk; secondary: done).
    void start() noexcept;
    // Once a tick on a bootstrapped primary: the adaptive persistence check.
    void on_tick() noexcept;
    // The shard slept through several ticks: addresses may have changed.
    void on_wakeup() noexcept;
    // A secondary takes the primary's identity (flags as in msg_identity).
    void adopt(std::uint8_t flags, const node_id& id) noexcept;

    [[nodiscard]] reachability state() const noexcept { return _state; }
    [[nodiscard]] bool started() const noexcept { return _boot != bootstrap_state::not_started; }
    [[nodiscard]] bool bootstrapped() const noexcept { return _boot == bootstrap_state::done; }
    [[nodiscard]] bool persistent() const noexcept { return _state == reachability::persistent; }
    [[nodiscard]] bool firewalled() const noexcept { return _state == reachability::firewalled; }
    // msg_identity's flags: 1 persistent, 2 firewalled.
    [[nodiscard]] std::uint8_t flags() const noexcept { return (persistent() ? 1 : 0) | (firewalled() ? 2 : 0); }
    // The socket requests leave from: the client socket while firewalled.
    [[nodiscard]] std::uint16_t request_socket() const noexcept {
        return firewalled() && _c.cfg.client_socket ? 1 : 0;
    }
    // The id a frame sent from `socket` carries: ours when persistent and it
    // leaves from the server socket, else none.
    [[nodiscard]] const node_id* frame_id(std::uint16_t socket) const noexcept {
        return persistent() && socket == 0 ? &_c.table.self() : nullptr;
    }
    [[nodiscard]] base::addr_scope network_scope() const noexcept;

    // NAT sampling: a verified node told us our address.
    void nat_add(const base::endpoint& to) noexcept { _c.nat.add(to); }
    // Id-less responders count, but only the first max(1, #bootstrap) distinct ones.
    void sample_bootstrap_maybe(const base::endpoint& from, const base::endpoint& to) noexcept;

private:
    [[nodiscard]] bool force_persistent() const noexcept {
        return _c.cfg.mode == persistence::at_bootstrap || _c.cfg.mode == persistence::public_address;
    }
    [[nodiscard]] bool adaptive() const noexcept {
        return _c.cfg.mode == persistence::adaptive || _c.cfg.mode == persistence::at_bootstrap;
    }
    void bootstrap_round() noexcept;
    void bootstrap_round_done() noexcept;
    void finish_bootstrap() noexcept;
    void update_network_state(bool only_firewall, std::function<void(bool)> done) noexcept;
    void check_if_firewalled(std::function<void(bool firewalled, nat_sampler)> done) noexcept;
    void become(const node_id& id, bool persistent) noexcept;

    detail::node_core& _c;
    dht::counters& _ctr;
    reachability _state = reachability::firewalled;
    bootstrap_state _boot = bootstrap_state::not_started;
    std::size_t _known_waiting = 0;  // revalidating: pings not yet answered or failed
    quick_probe _probe = quick_probe::off;
    int _bootstrap_round = 0;
    bool _network_check_running = false;  // a firewall test is in flight: do not start another
    std::int64_t _stable_ticks = 0;
    std::optional<base::endpoint> _last_host;
    std::vector<std::uint64_t> _idless_samples;  // endpoint keys (sample_bootstrap_maybe)
};

}  // namespace dht
