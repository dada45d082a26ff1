// base/metrics.h -- the one counter facility: what a layer counts, declared
// once, counted in plain integers, read from other threads through snapshots.
//
// A layer declares an enum of its metrics (ending in `count_`) and, next to
// it, a table that says what each one is (`def`: the short name used in logs,
// the Prometheus family, counter or gauge, help text, an optional label), and
// makes the table findable with an ADL function `metric_defs(E)`:
//
//     enum class ctr : std::uint8_t { rx, drop_short, count_ };
//     inline constexpr std::array<base::metrics::def, 2> ctr_defs{{
//         {"rx", "shoal_x_received_total", counter, "Datagrams received."},
//         {"drop_short", "shoal_x_dropped_total", counter, "Datagrams dropped.", {"reason", "short"}},
//     }};
//     constexpr std::span<const base::metrics::def> metric_defs(ctr) noexcept { return ctr_defs; }
//
// The owner (one shard) counts in a `counter_set<ctr>`: an array of plain
// integers, so an increment is an add with no lock prefix and no fence. Other
// threads never read that array. The shard that owns it copies it into a
// `published` block (relaxed atomic stores, one cache line apart from the live
// values) at points of its choosing -- the engine does it before it may sleep,
// at least every 50 ms while busy, and once more when it stops -- and readers
// load the copy. A reader therefore sees each value as of the last publish:
// never torn, never ahead of the owner, and exact after the owner stopped.
//
// Thread safety: counter_set is single-threaded (its shard). published::publish
// runs on the owner's thread; published::value and defs may be called from any
// thread.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace base::metrics {

enum class kind : std::uint8_t {
    counter,     // only grows; Prometheus family ends in _total
    gauge,       // a level that goes up and down (set, not added)
    bucket,      // one bucket of a histogram: samples in (the previous bucket's bound, this one's],
                 // label {"le", bound in the family's unit, or "+Inf" for the last}
    bucket_sum,  // the histogram's sum of samples, in millionths of the family's unit; no label
};

struct label {
    std::string_view key;    // e.g. "reason"; empty: no label
    std::string_view value;  // e.g. "too_short"
};

// What one metric is. A family (e.g. shoal_dht_dropped_requests_total) may
// span several metrics that differ only in their label value; they share
// kind and help.
struct def {
    std::string_view name;    // short snake_case name for logs, unique within its table
    std::string_view family;  // Prometheus metric name (shoal_<layer>_..., counters end in _total)
    kind type = kind::counter;
    std::string_view help;
    label lbl{};
};

// Counts for one enum's metrics, owned by one shard.
template <class E>
class counter_set {
public:
    static constexpr std::size_t size = static_cast<std::size_t>(E::count_);

    void inc(E c, std::uint64_t n = 1) noexcept { _v[index(c)] += n; }
    void set(E c, std::uint64_t v) noexcept { _v[index(c)] = v; }
    [[nodiscard]] std::uint64_t get(E c) const noexcept { return _v[index(c)]; }
    [[nodiscard]] const std::uint64_t* data() const noexcept { return _v.data(); }
    [[nodiscard]] static std::span<const def> defs() noexcept { return metric_defs(E{}); }
    [[nodiscard]] static std::string_view name(E c) noexcept { return defs()[index(c)].name; }
    [[nodiscard]] static constexpr std::size_t index(E c) noexcept { return static_cast<std::size_t>(c); }

private:
    static_assert(size > 0, "a metric enum ends in count_");
    std::array<std::uint64_t, size> _v{};
};

// The copy of a counter_set that other threads read.
class published {
public:
    // `live` must stay valid until detach(); `collect`, when set, runs on the
    // owner's thread just before each copy (e.g. to set gauges from sizes).
    using collect_fn = void (*)(void* ctx) noexcept;

    published(std::span<const def> defs, const std::uint64_t* live, collect_fn collect = nullptr,
              void* ctx = nullptr)
        : _defs(defs), _live(live), _collect(collect), _ctx(ctx),
          _values(std::make_unique<std::atomic<std::uint64_t>[]>(defs.size())) {}

    // Owner's thread. Copies the live values (after collecting, if asked).
    void publish() noexcept {
        if (_live == nullptr) return;
        if (_collect != nullptr) _collect(_ctx);
        for (std::size_t i = 0; i < _defs.size(); ++i) _values[i].store(_live[i], std::memory_order_relaxed);
    }
    // Owner's thread: a last publish, then forget the live values (their
    // owner is going away); the copy stays readable.
    void detach() noexcept {
        publish();
        _live = nullptr;
    }

    [[nodiscard]] std::span<const def> defs() const noexcept { return _defs; }
    [[nodiscard]] std::uint64_t value(std::size_t i) const noexcept {
        return i < _defs.size() ? _values[i].load(std::memory_order_relaxed) : 0;
    }
    // True when this block publishes the metrics of enum E.
    template <class E>
    [[nodiscard]] bool is() const noexcept {
        return _defs.data() == metric_defs(E{}).data();
    }

private:
    std::span<const def> _defs;
    const std::uint64_t* _live;
    collect_fn _collect;
    void* _ctx;
    std::unique_ptr<std::atomic<std::uint64_t>[]> _values;
};

// Checks a table the way tests/base/metrics_test.cc and every layer's test
// want it: names unique and snake_case, families named by Prometheus rules
// (shoal_ prefix, counters end in _total, gauges do not), and metrics of one
// family agree on kind and help and differ in their label. Returns the first
// problem (naming the metric), or an empty string.
[[nodiscard]] std::string check_table(std::span<const def> defs);

}  // namespace base::metrics
