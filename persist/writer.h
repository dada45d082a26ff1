// persist/writer.h -- keeps the record store on disk, off the packet path.
//
//   shard 0 ── store ─change─> shard_queue 0 ─┐
//   shard 1 ── store ─change─> shard_queue 1 ─┼─> writer thread ─(every flush ms)─> database (RocksDB)
//   ...                                       ┘
//
// Each shard's record_store reports its changes (store::change_sink) to that
// shard's shard_queue, which encodes each one as a fixed-size row into a
// preallocated SPSC ring: plain stores and one release store, no lock, no
// allocation, no atomic read-modify-write. A full ring drops the change and
// counts it (persist_dropped_full). One writer thread drains every ring into a
// batch every few ms and commits the batch at most every `flush` ms, so a
// kill -9 loses the changes of at most about `flush` ms plus one commit
// (docs/operations.md, "State directory").
//
// At start, open() reads the whole database and sorts the saved entries by
// the shard that owns them now (store::shard_of with this run's shard count),
// and each shard puts its own into its store (restore) before it serves.
//
// Thread safety: open/start/stop on the service's thread; shard_queue::on_change
// and set_wall_offset_ms on its shard; drain on the writer thread; collect on
// shard 0 (the engine's publish hook).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/metrics.h"
#include "base/result.h"
#include "base/spsc_ring.h"
#include "persist/database.h"
#include "persist/row.h"
#include "store/record_store.h"

namespace persist {

// Per shard: what its queue took and dropped.
enum class queue_metric : std::uint8_t { queued, dropped_full, dropped_too_large, count_ };
// The writer's figures (published through shard 0).
enum class writer_metric : std::uint8_t {
    commits, rows_written, commit_errors, last_commit_unix_ms, loaded,
    skipped_bad_key, skipped_bad_checksum, skipped_bad_field, skipped_expired, moved_aside, count_
};

namespace detail {
using base::metrics::kind;
inline constexpr std::string_view dropped_help = "Store changes not saved to the database, by reason.";
inline constexpr std::string_view skipped_help = "Saved rows skipped at load, by reason.";
inline constexpr std::array<base::metrics::def, 3> queue_defs{{
    {"persist_queued", "shoal_persist_changes_total", kind::counter, "Store changes queued for the database writer."},
    {"persist_dropped_full", "shoal_persist_dropped_changes_total", kind::counter, dropped_help, {"reason", "queue_full"}},
    {"persist_dropped_too_large", "shoal_persist_dropped_changes_total", kind::counter, dropped_help,
     {"reason", "too_large"}},
}};
inline constexpr std::array<base::metrics::def, 10> writer_defs{{
    {"persist_commits", "shoal_persist_commits_total", kind::counter, "Batches committed to the database."},
    {"persist_rows_written", "shoal_persist_rows_written_total", kind::counter, "Rows put or deleted in the database."},
    {"persist_commit_errors", "shoal_persist_commit_errors_total", kind::counter,
     "Batches the database refused (their changes are lost)."},
    {"persist_last_commit_unix_ms", "shoal_persist_last_commit_unix_ms", kind::gauge,
     "Wall-clock time of the last commit, in Unix milliseconds."},
    {"persist_loaded", "shoal_persist_loaded_total", kind::counter, "Saved entries read back at start."},
    {"persist_skipped_bad_key", "shoal_persist_skipped_rows_total", kind::counter, skipped_help, {"reason", "bad_key"}},
    {"persist_skipped_bad_checksum", "shoal_persist_skipped_rows_total", kind::counter, skipped_help,
     {"reason", "bad_checksum"}},
    {"persist_skipped_bad_field", "shoal_persist_skipped_rows_total", kind::counter, skipped_help,
     {"reason", "bad_field"}},
    {"persist_skipped_expired", "shoal_persist_skipped_rows_total", kind::counter, skipped_help, {"reason", "expired"}},
    {"persist_moved_aside", "shoal_persist_damaged_databases_total", kind::counter,
     "Damaged databases moved aside at start (the node started empty)."},
}};
}  // namespace detail
[[nodiscard]] constexpr std::span<const base::metrics::def> metric_defs(queue_metric) noexcept { return detail::queue_defs; }
[[nodiscard]] constexpr std::span<const base::metrics::def> metric_defs(writer_metric) noexcept { return detail::writer_defs; }

// One shard's end of the path to disk.
class shard_queue final : public store::change_sink {
public:
    // REQUIRES: capacity is a power of two >= 2. Allocates capacity rows (~2.2 KB each).
    explicit shard_queue(std::size_t capacity) : _ring(capacity) {}
    // Wall-clock ms minus the shard's monotonic ms, to convert expiry times.
    void set_wall_offset_ms(std::int64_t offset) noexcept { _wall_offset_ms = offset; }
    // store::change_sink: encodes the change into the next free row.
    void on_change(const store::change& c) noexcept override;
    [[nodiscard]] const base::metrics::counter_set<queue_metric>& metrics() const noexcept { return _ctr; }
    // Writer thread: calls f(const row&) for up to `max` queued rows.
    template <class F>
    std::size_t drain(F&& f, std::size_t max) noexcept {
        return _ring.consume([&](row& r) { f(static_cast<const row&>(r)); }, max);
    }

private:
    base::spsc_ring<row> _ring;
    std::int64_t _wall_offset_ms = 0;
    base::metrics::counter_set<queue_metric> _ctr;
};

struct writer_config {
    std::string dir;                        // the database directory, e.g. <state_dir>/store
    std::chrono::milliseconds flush{100};   // longest time between commits
    std::uint16_t shards = 1;
    std::size_t queue_capacity = 1024;      // rows per shard (a power of two)
};

// What the load found, for the log line and the metrics.
struct load_report {
    std::uint64_t loaded = 0;
    std::array<std::uint64_t, static_cast<std::size_t>(skip::count_)> skipped{};
    std::string damage, moved_aside;  // a damaged database: why, and where it went
    std::int64_t last_commit_unix_ms = 0;
    [[nodiscard]] std::string summary(const std::string& dir) const;
};

class writer {
public:
    // Opens (or creates) the database in cfg.dir, reads every saved entry and
    // sorts them by owning shard. A damaged database is moved aside and the
    // node starts empty (report().damage says why). Errors: the directory
    // cannot be used (in use by another process, not writable).
    [[nodiscard]] static base::result<std::unique_ptr<writer>, std::string> open(writer_config cfg);
    ~writer() { stop(); }
    writer(const writer&) = delete;
    writer& operator=(const writer&) = delete;

    [[nodiscard]] const load_report& report() const noexcept { return _report; }
    // The entries shard s owns; it takes them (restore) before it serves.
    [[nodiscard]] std::vector<entry>& loaded(std::uint16_t s) noexcept { return _loaded[s]; }
    [[nodiscard]] shard_queue& queue(std::uint16_t s) noexcept { return *_queues[s]; }

    // Starts the writer thread.
    void start();
    // After the shards stopped: drains what is left, commits it and joins. Idempotent.
    void stop() noexcept;

    // The writer's figures as of shard 0's last publish (collect).
    [[nodiscard]] const base::metrics::counter_set<writer_metric>& metrics() const noexcept { return _copy; }
    // The publish hook (shard 0): copies the writer thread's figures.
    static void collect(void* self) noexcept;

private:
    explicit writer(writer_config cfg) : _cfg(std::move(cfg)) {}
    void run() noexcept;
    std::size_t drain_all() noexcept;
    void commit() noexcept;
    void set(writer_metric m, std::uint64_t v) noexcept {
        _shared[static_cast<std::size_t>(m)].store(v, std::memory_order_relaxed);
    }
    void add(writer_metric m, std::uint64_t n) noexcept {  // the writer thread is the only writer: load + store
        auto& a = _shared[static_cast<std::size_t>(m)];
        a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }

    writer_config _cfg;
    std::unique_ptr<database> _db;
    std::vector<std::unique_ptr<shard_queue>> _queues;
    std::vector<std::vector<entry>> _loaded;
    load_report _report;
    std::thread _thread;
    std::atomic<bool> _stop{false};
    std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(writer_metric::count_)> _shared{};
    base::metrics::counter_set<writer_metric> _copy;
};

// Puts saved entries into a shard's store, each with its saved expiry
// (converted with `now` and `now_unix_ms`); consumes them. Returns how many
// the store kept (its limits may refuse some). Run before set_sink().
std::size_t restore(store::record_store& s, std::vector<entry>& entries, base::mono_time now, std::int64_t now_unix_ms);

// Wall-clock now, in Unix milliseconds.
[[nodiscard]] std::int64_t unix_ms() noexcept;

}  // namespace persist
