// store/record_store.h -- one shard's part of the HyperDHT record store.
//
// Five kinds of entry, each keyed by 32 bytes (docs/protocol.md §3.4):
//   topic records   target -> up to max_records_per_topic peer records {pk, <= 3 relays}
//   routes          target (= H(pk)) -> {relay address, peer record}: "announce self"
//   refresh links   refresh value -> {target, peer record, announce self?}
//   mutable values  target (= H(pk)) -> {seq, encoded mutableGetResponse}
//   immutable       target (= H(value)) -> value
// plus a bump counter per topic. Every entry expires a fixed time after its
// last write, to within an eighth of that (records, routes and refresh links 20 min, values 48 h by default; a read of a
// value pushes its expiry out again, at most once per half lifetime, like the
// reference's promote-on-get). Each kind has an entry cap and values a byte
// cap; when full, the entry closest to expiry is evicted first.
//
// Every operation is O(1) or O(log n) in the records of one topic. Memory per
// stored topic record is about 76 bytes in large topics and 140 in a topic of
// one (docs/store_format.md; measured by scripts/bench.sh store).
//
// Keys belong to shards (shard_of); a store only ever sees its own keys.
// Thread safety: owned by one shard.
#pragma once

#include <array>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "base/endpoint.h"
#include "base/random.h"
#include "base/shard.h"
#include "base/slab.h"
#include "base/metrics.h"
#include "base/time.h"
#include "base/fixed_bytes.h"
#include "crypto/sign.h"
#include "store/detail/expiry_wheel.h"
#include "store/detail/index.h"

namespace store {

// A 32-byte key: a topic, H(public key) or H(value). The DHT converts its
// targets; the store depends on nothing above it.
struct key_tag {};
using key = base::fixed_bytes<32, key_tag>;
using target = key;

struct limits {
    base::seconds record_ttl{20 * 60};
    base::seconds route_ttl{20 * 60};
    base::seconds value_ttl{48 * 3600};
    std::size_t max_records = 1'000'000;
    std::size_t max_records_per_topic = 100'000;
    std::size_t max_routes = 250'000;
    std::size_t max_refreshes = 65'536;  // refresh-chain links (~184 B each); they live as long as records
    std::size_t max_values = 250'000;
    std::size_t max_value_bytes = std::size_t{256} << 20;
};

// Which shard owns a key: the same on every shard of a process.
[[nodiscard]] std::uint16_t shard_of(const target& t, std::uint16_t shards) noexcept;

// A stored peer record: a public key and up to 3 relay addresses.
struct peer_record {
    crypto::public_key pk;
    std::array<base::endpoint, 3> relays;
    std::uint8_t relay_count = 0;
    [[nodiscard]] std::span<const base::endpoint> relay_span() const noexcept { return {relays.data(), relay_count}; }
};

struct route {
    base::endpoint relay;  // where PEER_HANDSHAKE for this target is forwarded
    peer_record record;
};

// What a refresh value stands for (docs/protocol.md §3.4, "refresh-only ANNOUNCE"): the
// announce to apply again when the value's preimage is revealed.
struct refresh_link {
    key target;
    peer_record record;
    bool announce_self = false;
};

// --- change reports -----------------------------------------------------
// What a store tells a listener about each change of its entries, so the
// listener can keep a copy (persist/ writes them to disk). The store calls
// on_change() right after an entry is written (put) or removed (remove,
// unannounce, eviction, expiry), with views that live only for the call. A
// value read that pushes its expiry out (promote on get) and a topic's bump
// are not reported. The call is on the store's shard, on the packet path: an
// implementation takes no lock and makes no allocation and no atomic
// read-modify-write.
enum class entry_kind : std::uint8_t { record = 1, route = 2, value = 3, refresh = 4 };

struct change {
    entry_kind kind = entry_kind::record;
    bool removed = false;                    // the entry is gone: only `k` (and `pk` for a record) is set
    const key* k = nullptr;                  // the target; a refresh link: its refresh value r
    const crypto::public_key* pk = nullptr;  // record: the announcer's key
    const peer_record* record = nullptr;     // record, route, refresh link (put)
    base::endpoint relay;                    // route (put): where handshakes are forwarded
    const key* link_target = nullptr;        // refresh link (put): the announce's target
    bool announce_self = false;              // refresh link (put)
    bool is_mutable = false;                 // value (put)
    std::uint64_t seq = 0;                   // mutable value (put)
    std::span<const std::byte> bytes;        // value (put): the encoded mutableGetResponse, or the immutable value
    std::uint16_t value_offset = 0, value_len = 0;  // mutable value (put): the value inside `bytes`
    base::mono_time expires{};               // put: when the store will expire the entry
};

class change_sink {
public:
    virtual void on_change(const change& c) noexcept = 0;

protected:
    ~change_sink() = default;
};

enum class put_mutable_result : std::uint8_t { stored, seq_reused, seq_too_low, full };

struct store_stats {
    std::size_t topics = 0, records = 0, routes = 0, refreshes = 0, mutables = 0, immutables = 0, value_bytes = 0;
    std::uint64_t evicted = 0, expired = 0;
    std::size_t queued_expiries = 0;  // entries linked in the expiry wheels: always the live entries
};

// What a record_store reports (base/metrics.h): its sizes as gauges, set by
// collect_metrics() when the engine publishes, and what it evicted and expired.
enum class metric : std::uint8_t {
    topics, records, routes, refreshes, mutables, immutables, value_bytes, evicted, expired, count_
};

namespace detail {
using base::metrics::kind;
inline constexpr std::string_view entries_help = "Entries the store holds, by kind.";
inline constexpr std::array<base::metrics::def, static_cast<std::size_t>(metric::count_)> metric_defs_table{{
    {"store_topics", "shoal_store_topics", kind::gauge, "Topics with at least one announced record."},
    {"store_records", "shoal_store_entries", kind::gauge, entries_help, {"kind", "record"}},
    {"store_routes", "shoal_store_entries", kind::gauge, entries_help, {"kind", "route"}},
    {"store_refreshes", "shoal_store_entries", kind::gauge, entries_help, {"kind", "refresh_link"}},
    {"store_mutables", "shoal_store_entries", kind::gauge, entries_help, {"kind", "mutable"}},
    {"store_immutables", "shoal_store_entries", kind::gauge, entries_help, {"kind", "immutable"}},
    {"store_value_bytes", "shoal_store_value_bytes", kind::gauge, "Bytes of stored mutable and immutable values."},
    {"store_evicted", "shoal_store_evicted_total", kind::counter, "Entries evicted to make room (or refused by a full topic)."},
    {"store_expired", "shoal_store_expired_total", kind::counter, "Entries that expired."},
}};
}  // namespace detail
[[nodiscard]] constexpr std::span<const base::metrics::def> metric_defs(metric) noexcept {
    return detail::metric_defs_table;
}

class record_store {
public:
    record_store(limits l, base::mono_time now, std::uint64_t seed);

    // --- topic records ---------------------------------------------------
    // Adds or refreshes (target, pk); a refresh replaces the relay list.
    void put_record(const target& t, const peer_record& r, base::mono_time now);
    bool remove_record(const target& t, const crypto::public_key& pk) noexcept;
    // Up to `max` records of t, a uniformly random subset when there are
    // more, in two steps, so a caller can do other work while the sampled
    // records (one cache miss each) are on their way: sample() picks them and
    // starts loading them, write_sample() copies them out in wire form: each
    // record as the HyperDHT peer encoding, pk[32] | relay count (1 byte) |
    // count x (ip4[4] | port u16le), one after another. The plan also
    // carries the topic's bump, so a LOOKUP finds its topic once.
    // A plan is valid until the store is next modified.
    static constexpr std::size_t max_wire_record = 32 + 1 + 3 * 6;
    struct sample_plan {
        std::array<std::uint32_t, 64> ids{};
        std::size_t count = 0;
        std::uint64_t bump = 0;
    };
    [[nodiscard]] sample_plan sample(const target& t, std::size_t max, base::prng& rnd) const;
    // Writes the plan's records (out needs count * max_wire_record bytes); returns the bytes used.
    std::size_t write_sample(const sample_plan& plan, std::span<std::byte> out) const noexcept;
    [[nodiscard]] std::uint64_t bump(const target& t) const noexcept;
    // Raises the topic's bump to v (only upward; no effect without a topic).
    void raise_bump(const target& t, std::uint64_t v) noexcept;

    // --- routes (announce self) ------------------------------------------
    void put_route(const target& t, const route& r, base::mono_time now);
    [[nodiscard]] const route* get_route(const target& t) const noexcept;
    bool remove_route(const target& t) noexcept;

    // --- refresh chains ------------------------------------------------------
    // An ANNOUNCE carrying a refresh value r is remembered under r (a second
    // one with the same r replaces it). A later ANNOUNCE without a peer that
    // reveals r' with H(r') == r takes the link stored under r, re-applies it
    // and stores it again under r'. Links expire like records.
    void put_refresh(const key& r, const refresh_link& l, base::mono_time now);
    // Removes the link stored under r and returns it.
    [[nodiscard]] std::optional<refresh_link> take_refresh(const key& r) noexcept;
    // Moves the link stored under `from` to `to` (replacing any link there)
    // and renews it; returns it, or nothing when there is none under `from`.
    [[nodiscard]] std::optional<refresh_link> move_refresh(const key& from, const key& to, base::mono_time now);

    // --- values ------------------------------------------------------------
    // Stores an encoded mutableGetResponse, whose value is
    // encoded[value_offset, value_offset + value_len), unless the stored seq
    // forbids it (equal seq with another value: seq_reused; lower: seq_too_low).
    // An equal seq with an equal value refreshes the entry.
    put_mutable_result put_mutable(const target& t, std::uint64_t seq, std::span<const std::byte> encoded,
                                   std::size_t value_offset, std::size_t value_len, base::mono_time now);
    // The stored encoded response and its seq.
    struct mutable_view {
        std::uint64_t seq;
        std::span<const std::byte> encoded;
    };
    [[nodiscard]] std::optional<mutable_view> get_mutable(const target& t, base::mono_time now);
    bool put_immutable(const target& t, std::span<const std::byte> value, base::mono_time now);
    [[nodiscard]] std::optional<std::span<const std::byte>> get_immutable(const target& t, base::mono_time now);

    // Drops what has expired (cheap when nothing has).
    void expire(base::mono_time now);
    [[nodiscard]] store_stats stats() const noexcept;
    // The store's metrics, as of the last collect_metrics().
    [[nodiscard]] const base::metrics::counter_set<metric>& metrics() const noexcept { return _metrics; }
    void collect_metrics() noexcept;
    // collect_metrics() on a record_store passed as `self` (the engine's publish hook).
    static void collect(void* self) noexcept { static_cast<record_store*>(self)->collect_metrics(); }
    [[nodiscard]] const limits& config() const noexcept { return _lim; }

    // Reports every later change to `sink` (null: to nobody). The sink must
    // outlive the store or be replaced first.
    void set_sink(change_sink* sink) noexcept { _sink = sink; }
    // Loading saved entries: brings the expiry of an entry written just now
    // forward to `at` (never later; an entry whose `at` has passed expires at
    // the next expire()). A record is named by (target, pk); the rest by key.
    // False when there is no such entry.
    bool limit_expiry(entry_kind kind, const key& k, const crypto::public_key* pk, base::mono_time at);

private:
    // One cache line each: a LOOKUP reads 20 records at random, and a record
    // that straddled two lines would cost two misses instead of one.
    // pk, relay_count and relays are adjacent and in wire order, so a
    // record's first 33 + 6 * relay_count bytes are its peer encoding.
    struct alignas(64) record {
        crypto::public_key pk;
        std::uint8_t relay_count = 0;
        std::array<std::uint8_t, 18> relays{};  // up to 3 addr4: ip4, port u16le
        std::uint32_t expiry = 0;               // seconds since _epoch
        std::uint32_t topic = 0;
    };
    // A topic's record ids sorted by public key, each with the key's first 8
    // bytes (big-endian) beside it, so a search compares contiguous prefixes
    // and touches a record only on a prefix tie. One entry is kept inline;
    // more go to the heap (grown by 1.5x), prefixes first, then ids.
    class id_list {
    public:
        id_list() noexcept = default;
        id_list(const id_list&) = delete;
        id_list& operator=(const id_list&) = delete;
        id_list(id_list&& o) noexcept { *this = std::move(o); }
        id_list& operator=(id_list&& o) noexcept;
        ~id_list() { std::free(_heap); }
        [[nodiscard]] std::uint32_t* data() noexcept { return _cap ? ids() : &_inline_id; }
        [[nodiscard]] const std::uint32_t* data() const noexcept { return _cap ? ids() : &_inline_id; }
        [[nodiscard]] const std::uint64_t* prefixes() const noexcept { return _cap ? _heap : &_inline_prefix; }
        [[nodiscard]] std::uint32_t size() const noexcept { return _size; }
        void insert(std::size_t pos, std::uint32_t id, std::uint64_t prefix);
        void erase(std::size_t pos) noexcept;

    private:
        [[nodiscard]] std::uint32_t* ids() const noexcept { return reinterpret_cast<std::uint32_t*>(_heap + _cap); }
        std::uint64_t* _heap = nullptr;
        std::uint64_t _inline_prefix = 0;
        std::uint32_t _size = 0, _cap = 0;
        std::uint32_t _inline_id = 0;
    };
    struct topic {
        target key;
        id_list ids;
    };
    struct route_entry {
        target key;
        route r;
        std::uint32_t expiry = 0;
    };
    struct refresh_entry {
        key r;
        refresh_link link;
        std::uint32_t expiry = 0;
    };
    struct value_entry {
        target key;
        std::uint64_t seq = 0;
        std::vector<std::byte> bytes;  // mutable: encoded response; immutable: the value
        std::uint32_t expiry = 0;
        std::uint16_t value_offset = 0, value_len = 0;  // mutable: the value inside `bytes`
        bool is_mutable = false;
    };
    [[nodiscard]] std::uint64_t hash(const target& t) const noexcept;
    [[nodiscard]] std::uint32_t secs(base::mono_time now) const noexcept;
    [[nodiscard]] std::uint32_t find_topic(const target& t) const noexcept;
    void drop_topic_if_empty(std::uint32_t tid) noexcept;
    void remove_record_id(std::uint32_t rid) noexcept;
    [[nodiscard]] std::size_t list_search(const id_list& l, const crypto::public_key& pk, bool& found) const noexcept;
    [[nodiscard]] std::uint32_t find_value(const target& t) const noexcept;
    void remove_value_id(std::uint32_t vid) noexcept;
    void remove_refresh_id(std::uint32_t id) noexcept;
    void touch_value(std::uint32_t vid, std::uint32_t now_s);
    bool make_room_for_value(std::size_t bytes);
    [[nodiscard]] base::mono_time time_of(std::uint32_t expiry_s) const noexcept;
    void report(const change& c) const noexcept {
        if (_sink != nullptr) _sink->on_change(c);
    }
    void report_record(std::uint32_t rid, const peer_record& r) const noexcept;
    void report_route(std::uint32_t id) const noexcept;
    void report_refresh(std::uint32_t id) const noexcept;
    void report_value(std::uint32_t vid) const noexcept;

    limits _lim;
    base::mono_time _epoch;
    std::uint64_t _seed;
    base::slab<record> _records;
    base::slab<topic> _topics;
    base::slab<route_entry> _routes;
    base::slab<value_entry> _values;
    base::slab<refresh_entry> _refreshes;
    detail::id_index _topic_index, _route_index, _value_index, _refresh_index;
    detail::expiry_wheel _record_exp, _route_exp, _value_exp, _refresh_exp;
    std::size_t _value_bytes = 0;
    std::size_t _mutable_count = 0;
    // Bumps are rare (an optional announce field): kept aside, not in every topic.
    std::unordered_map<std::uint32_t, std::uint64_t> _bumps;
    std::uint64_t _evicted = 0, _expired = 0;
    base::metrics::counter_set<metric> _metrics;
    change_sink* _sink = nullptr;
    base::shard_affinity _affinity;  // debug builds: writes and expiry run on the owning shard
};

}  // namespace store
