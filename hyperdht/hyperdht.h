// hyperdht/hyperdht.h -- the HyperDHT commands a node serves (docs/protocol.md §3.4, §3.6.3-4).
//
// Storage: FIND_PEER, LOOKUP, ANNOUNCE, UNANNOUNCE, MUTABLE_PUT/GET,
// IMMUTABLE_PUT/GET (only while the node is persistent; otherwise the node
// answers UNKNOWN_COMMAND, as the reference does), and PLUGIN (no plugins:
// no reply). Relay: PEER_HANDSHAKE (FROM_CLIENT, FROM_RELAY, FROM_SERVER) and
// PEER_HOLEPUNCH (FROM_CLIENT, FROM_SERVER), with the client's tid kept and
// no token added.
//
// Each shard owns the keys store::shard_of() gives it. A request whose target
// another shard owns is forwarded there once, with its decoded view
// (node::forward; the node already checked its token and id, and admit() its
// needs), handled there by on_owned_request without a second decode, and
// answered from that shard's socket, which shares the node's address.
//
// Writes (ANNOUNCE, UNANNOUNCE, MUTABLE_PUT) run decode -> cheap checks ->
// signature check -> apply + reply; the signature check goes through
// `verifier`, which may defer it (batched verification) -- the request's
// bytes are copied into a pending write, so nothing borrowed outlives the
// datagram.
//
// FROM_SERVER and the forwards make this node send datagrams to addresses a
// peer chose, so every forward and every redirected reply is charged to a
// token bucket per source IP (the reference has none).
//
// Thread safety: one instance per shard, called on that shard only.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "base/random.h"
#include "crypto/sign.h"
#include "crypto/verify_queue.h"
#include "hyperdht/hyper_messages.h"
#include "dht/node.h"
#include "store/record_store.h"

namespace dht {

enum class hctr : std::uint8_t {
    find_peer,
    lookup,
    announce,
    unannounce,
    announce_refresh,       // a refresh-only ANNOUNCE re-applied a stored announce
    mutable_put,
    mutable_get,
    immutable_put,
    immutable_get,
    handshake_from_client,  // forwarded to the server's relay as FROM_RELAY
    handshake_from_relay,   // forwarded to the server as FROM_SECOND_RELAY
    handshake_from_server,  // answered to the client as REPLY
    holepunch_from_client,  // forwarded as FROM_RELAY
    holepunch_from_server,  // answered to the client as REPLY
    forwarded_to_owner,     // sent to the shard that owns the target
    drop_no_target,
    drop_no_token,
    drop_bad_value,         // the value did not decode or failed a cheap check
    drop_bad_signature,
    drop_unknown_refresh,   // a refresh-only ANNOUNCE whose hash is not a stored link
    drop_not_persistent,    // answered UNKNOWN_COMMAND
    drop_relay_no_route,    // nowhere to forward a handshake/holepunch
    drop_relay_rate_limited,
    drop_relay_destination, // a relay or redirect to an address outside the node's reach (docs/wire_format.md)
    drop_relay_wrong_mode,  // a valid mode only a server or client acts on (FROM_SECOND_RELAY, REPLY, holepunch FROM_RELAY)
    drop_forward_ring_full, // the owning shard's ring was full: the request is lost (the client retries)
    drop_plugin,            // no plugin registered
    seq_reused,
    seq_too_low,
    store_full,
    verify_deferred,        // signature checks handed to a batch verifier
    bump_ignored,           // an announce's bump lay beyond the drift allowed; the announce was stored
    count_
};
inline constexpr std::size_t hctr_count = static_cast<std::size_t>(hctr::count_);

namespace detail {
using base::metrics::kind;
inline constexpr std::string_view hreq_help = "HyperDHT requests served, by command.";
inline constexpr std::string_view relay_help = "Handshakes and holepunches relayed or answered, by message and mode.";
inline constexpr std::string_view hdrop_help = "HyperDHT requests dropped, by reason.";
inline constexpr std::string_view refused_help = "Writes refused with an error reply, by reason.";
inline constexpr std::array<base::metrics::def, hctr_count> hctr_defs{{
    {"find_peer", "shoal_hyperdht_requests_total", kind::counter, hreq_help, {"command", "find_peer"}},
    {"lookup", "shoal_hyperdht_requests_total", kind::counter, hreq_help, {"command", "lookup"}},
    {"announce", "shoal_hyperdht_requests_total", kind::counter, hreq_help, {"command", "announce"}},
    {"unannounce", "shoal_hyperdht_requests_total", kind::counter, hreq_help, {"command", "unannounce"}},
    {"announce_refresh", "shoal_hyperdht_announce_refreshes_total", kind::counter,
     "Refresh-only ANNOUNCEs that re-applied a stored announce."},
    {"mutable_put", "shoal_hyperdht_requests_total", kind::counter, hreq_help, {"command", "mutable_put"}},
    {"mutable_get", "shoal_hyperdht_requests_total", kind::counter, hreq_help, {"command", "mutable_get"}},
    {"immutable_put", "shoal_hyperdht_requests_total", kind::counter, hreq_help, {"command", "immutable_put"}},
    {"immutable_get", "shoal_hyperdht_requests_total", kind::counter, hreq_help, {"command", "immutable_get"}},
    {"handshake_from_client", "shoal_hyperdht_relayed_total", kind::counter, relay_help, {"mode", "handshake_from_client"}},
    {"handshake_from_relay", "shoal_hyperdht_relayed_total", kind::counter, relay_help, {"mode", "handshake_from_relay"}},
    {"handshake_from_server", "shoal_hyperdht_relayed_total", kind::counter, relay_help, {"mode", "handshake_from_server"}},
    {"holepunch_from_client", "shoal_hyperdht_relayed_total", kind::counter, relay_help, {"mode", "holepunch_from_client"}},
    {"holepunch_from_server", "shoal_hyperdht_relayed_total", kind::counter, relay_help, {"mode", "holepunch_from_server"}},
    {"forwarded_to_owner", "shoal_hyperdht_forwarded_total", kind::counter,
     "Requests passed to the shard that owns their target."},
    {"drop_no_target", "shoal_hyperdht_dropped_requests_total", kind::counter, hdrop_help, {"reason", "no_target"}},
    {"drop_no_token", "shoal_hyperdht_dropped_requests_total", kind::counter, hdrop_help, {"reason", "no_token"}},
    {"drop_bad_value", "shoal_hyperdht_dropped_requests_total", kind::counter, hdrop_help, {"reason", "bad_value"}},
    {"drop_bad_signature", "shoal_hyperdht_dropped_requests_total", kind::counter, hdrop_help, {"reason", "bad_signature"}},
    {"drop_unknown_refresh", "shoal_hyperdht_dropped_requests_total", kind::counter, hdrop_help, {"reason", "unknown_refresh"}},
    {"drop_not_persistent", "shoal_hyperdht_dropped_requests_total", kind::counter, hdrop_help, {"reason", "not_persistent"}},
    {"drop_relay_no_route", "shoal_hyperdht_dropped_requests_total", kind::counter, hdrop_help, {"reason", "relay_no_route"}},
    {"drop_relay_rate_limited", "shoal_hyperdht_dropped_requests_total", kind::counter, hdrop_help,
     {"reason", "relay_rate_limited"}},
    {"drop_relay_destination", "shoal_hyperdht_dropped_requests_total", kind::counter, hdrop_help,
     {"reason", "relay_destination"}},
    {"drop_relay_wrong_mode", "shoal_hyperdht_dropped_requests_total", kind::counter, hdrop_help,
     {"reason", "relay_wrong_mode"}},
    {"drop_forward_ring_full", "shoal_hyperdht_dropped_requests_total", kind::counter, hdrop_help,
     {"reason", "forward_ring_full"}},
    {"drop_plugin", "shoal_hyperdht_dropped_requests_total", kind::counter, hdrop_help, {"reason", "plugin"}},
    {"seq_reused", "shoal_hyperdht_refused_writes_total", kind::counter, refused_help, {"reason", "seq_reused"}},
    {"seq_too_low", "shoal_hyperdht_refused_writes_total", kind::counter, refused_help, {"reason", "seq_too_low"}},
    {"store_full", "shoal_hyperdht_refused_writes_total", kind::counter, refused_help, {"reason", "store_full"}},
    {"verify_deferred", "shoal_hyperdht_verify_deferred_total", kind::counter,
     "Signature checks handed to the batch verifier."},
    {"bump_ignored", "shoal_hyperdht_bumps_ignored_total", kind::counter,
     "Announces stored without their bump, which lay beyond the allowed clock drift."},
}};
}  // namespace detail
[[nodiscard]] constexpr std::span<const base::metrics::def> metric_defs(hctr) noexcept { return detail::hctr_defs; }

struct hyperdht_config {
    store::limits limits;
    // Signature checks (ANNOUNCE, UNANNOUNCE, MUTABLE_PUT) are batched: at
    // most verify_batch per batch, none waiting longer than verify_delay.
    // batch_verify = false checks each one alone with libsodium.
    bool batch_verify = true;
    std::size_t verify_batch = 64;
    base::microseconds verify_delay{500};
    double relay_per_second = 200;   // per source IP, per shard
    double relay_burst = 400;
    std::size_t relay_sources = 65536;  // source IPs tracked; oldest forgotten first
};

// A signature check. `done(ok)` may run now or later (batched).
struct verify_job {
    crypto::public_key pk;
    crypto::signature sig;
    std::array<std::byte, 64> msg;
};
using verifier = std::function<void(const verify_job&, std::function<void(bool)> done)>;

class hyperdht final : public app_handler {
public:
    hyperdht(node& n, hyperdht_config cfg);

    bool on_request(node& n, const incoming& in) noexcept override;
    bool on_owned_request(node& n, const incoming& in) noexcept override;
    void on_message(node& n, std::uint32_t type, std::span<const std::byte> payload) noexcept override;
    void on_timer(node& n, std::uint64_t cookie, base::mono_time now) noexcept override;

    // This shard's counters (its thread only; other threads read the engine's published copy).
    [[nodiscard]] std::uint64_t count(hctr c) const noexcept { return _ctr.get(c); }
    [[nodiscard]] const base::metrics::counter_set<hctr>& counters() const noexcept { return _ctr; }
    // The batch queue's counters (batches, sizes, fallbacks), or null in single mode.
    [[nodiscard]] const crypto::verify_queue_stats* verify_stats() const noexcept {
        return _queue ? &_queue->stats() : nullptr;
    }
    [[nodiscard]] const store::record_store& records() const noexcept { return _store; }
    // Direct access to this shard's store (preloading, tests). Shard thread only.
    [[nodiscard]] store::record_store& records() noexcept { return _store; }
    // The store's expiry sweep (the control plane's "expiry" routine): on or
    // off, and how often (default every second). Shard thread only.
    void set_expiry(bool enabled, base::nanoseconds every) noexcept {
        _expire_on = enabled;
        _expire_every = every;
    }
    // When the sweep last ran (the shard's clock); nullopt before the first.
    [[nodiscard]] std::optional<base::mono_time> expired_at() const noexcept { return _expired_at; }

private:
    struct pending_write;
    struct bucket {
        double tokens;
        base::mono_time at;
    };

    void bump(hctr c) noexcept { _ctr.inc(c); }
    // Checks a request against its command's declared needs (hyperdht.cc,
    // command_rules): unknown (answer UNKNOWN_COMMAND), dropped (counted) or admitted.
    enum class admission : std::uint8_t { unknown, dropped, admitted };
    [[nodiscard]] admission admit(const incoming& in) noexcept;
    bool handle(const incoming& in) noexcept;
    void find_peer(const incoming& in) noexcept;
    void lookup(const incoming& in) noexcept;
    void announce(const incoming& in, bool unannounce) noexcept;
    void refresh(const incoming& in, const crypto::hash32& r) noexcept;
    void mutable_put(const incoming& in) noexcept;
    void mutable_get(const incoming& in) noexcept;
    void immutable_put(const incoming& in) noexcept;
    void immutable_get(const incoming& in) noexcept;
    void handshake(const incoming& in) noexcept;
    void holepunch(const incoming& in) noexcept;
    void apply(const pending_write& w) noexcept;
    void raise_bump(const store::key& k, std::uint64_t v, base::mono_time now) noexcept;
    void queue_verify(const verify_job& j, std::function<void(bool)> done);
    void deliver_verdicts() noexcept;
    void arm_verify_timer() noexcept;
    [[nodiscard]] bool charge_relay(const base::endpoint& source) noexcept;
    [[nodiscard]] bool may_send_to(const base::endpoint& to) noexcept;
    [[nodiscard]] store::key key(const target& t) const noexcept { return store::key(t.array()); }

    node& _node;
    hyperdht_config _cfg;
    store::record_store _store;
    bool _expire_on = true;
    base::nanoseconds _expire_every = base::seconds(1);
    std::optional<base::mono_time> _expired_at;
    base::prng _rnd;
    verifier _verify;
    std::unique_ptr<crypto::verify_queue> _queue;
    std::unordered_map<std::uint64_t, std::function<void(bool)>> _waiting;  // cookie -> continuation
    std::uint64_t _next_cookie = 1;
    std::optional<base::mono_time> _verify_timer_at;
    std::unordered_map<std::uint32_t, bucket> _buckets;  // source IPv4 -> relay allowance
    base::metrics::counter_set<hctr> _ctr;
};

}  // namespace dht
