#include "persist/writer.h"

#include <algorithm>
#include <cstdio>

namespace persist {

std::int64_t unix_ms() noexcept {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// --- shard side (packet path) ---------------------------------------------------

void shard_queue::on_change(const store::change& c) noexcept {
    row* r = _ring.reserve();
    if (r == nullptr) {
        _ctr.inc(queue_metric::dropped_full);
        return;
    }
    const std::int64_t expires = base::to_ms(c.expires.time_since_epoch()) + _wall_offset_ms;
    if (!encode(c, expires, *r)) {
        _ctr.inc(queue_metric::dropped_too_large);
        return;
    }
    _ring.commit();
    _ring.publish();
    _ctr.inc(queue_metric::queued);
}

// --- load -------------------------------------------------------------------------

std::string load_report::summary(const std::string& dir) const {
    std::string s = "store database " + dir + ": loaded " + std::to_string(loaded) + " entries";
    std::uint64_t skipped_total = 0;
    std::string why;
    for (std::size_t i = 0; i < skipped.size(); ++i) {
        if (skipped[i] == 0) continue;
        skipped_total += skipped[i];
        why += (why.empty() ? "" : ", ") + std::to_string(skipped[i]) + " " + to_string(static_cast<skip>(i));
    }
    if (skipped_total) s += ", skipped " + std::to_string(skipped_total) + " (" + why + ")";
    if (last_commit_unix_ms) s += ", last commit at " + std::to_string(last_commit_unix_ms) + " (unix ms)";
    if (!damage.empty()) s += "; the database was damaged (" + damage + "), moved to " + moved_aside + ", starting empty";
    return s;
}

base::result<std::unique_ptr<writer>, std::string> writer::open(writer_config cfg) {
    if (cfg.shards == 0 || cfg.queue_capacity < 2 || (cfg.queue_capacity & (cfg.queue_capacity - 1)) != 0) {
        return base::fail(std::string("persist: shards >= 1 and a power-of-two queue capacity are required"));
    }
    std::unique_ptr<writer> w(new writer(std::move(cfg)));
    database::open_report rep;
    auto db = database::open(w->_cfg.dir, rep);
    if (!db) return base::fail(db.error());
    w->_db = std::move(*db);
    w->_report.damage = rep.damage;
    w->_report.moved_aside = rep.moved_aside;
    w->_loaded.resize(w->_cfg.shards);
    const std::int64_t now = unix_ms();
    std::vector<std::string> stale;  // rows to delete: expired or undecodable
    auto read = [&](std::span<const std::byte> k, std::span<const std::byte> v) {
        auto e = decode(k, v, now);
        if (!e) {
            ++w->_report.skipped[static_cast<std::size_t>(e.error())];
            stale.emplace_back(reinterpret_cast<const char*>(k.data()), k.size());
            return;
        }
        ++w->_report.loaded;
        w->_loaded[store::shard_of(e->k, w->_cfg.shards)].push_back(std::move(*e));
    };
    if (auto s = w->_db->scan(read); !s) {
        // Damage found part-way: the node starts empty, like a database that failed to open.
        w->_db.reset();
        for (auto& v : w->_loaded) v.clear();
        w->_report = load_report{};
        w->_report.damage = s.error();
        auto moved = database::move_aside(w->_cfg.dir);
        if (!moved) return base::fail(moved.error());
        w->_report.moved_aside = *moved;
        auto fresh = database::open(w->_cfg.dir, rep);
        if (!fresh) return base::fail(fresh.error());
        w->_db = std::move(*fresh);
        stale.clear();
    }
    w->_report.last_commit_unix_ms = w->_db->last_commit_unix_ms();
    for (const auto& k : stale) w->_db->del({reinterpret_cast<const std::byte*>(k.data()), k.size()});
    if (!stale.empty()) (void)w->_db->commit(now);
    for (std::uint16_t s = 0; s < w->_cfg.shards; ++s) w->_queues.push_back(std::make_unique<shard_queue>(w->_cfg.queue_capacity));
    w->set(writer_metric::loaded, w->_report.loaded);
    w->set(writer_metric::skipped_bad_key, w->_report.skipped[static_cast<std::size_t>(skip::bad_key)]);
    w->set(writer_metric::skipped_bad_checksum, w->_report.skipped[static_cast<std::size_t>(skip::bad_checksum)]);
    w->set(writer_metric::skipped_bad_field, w->_report.skipped[static_cast<std::size_t>(skip::bad_field)]);
    w->set(writer_metric::skipped_expired, w->_report.skipped[static_cast<std::size_t>(skip::expired)]);
    w->set(writer_metric::moved_aside, w->_report.damage.empty() ? 0 : 1);
    w->set(writer_metric::last_commit_unix_ms, static_cast<std::uint64_t>(w->_report.last_commit_unix_ms));
    return w;
}

std::size_t restore(store::record_store& s, std::vector<entry>& entries, base::mono_time now, std::int64_t now_unix_ms) {
    std::size_t kept = 0;
    for (entry& e : entries) {
        const base::mono_time at = now + base::milliseconds(e.expires_unix_ms - now_unix_ms);
        const crypto::public_key* pk = nullptr;
        switch (e.kind) {
            case store::entry_kind::record:
                s.put_record(e.k, e.record, now);
                pk = &e.record.pk;
                break;
            case store::entry_kind::route: s.put_route(e.k, store::route{e.relay, e.record}, now); break;
            case store::entry_kind::refresh:
                s.put_refresh(e.k, store::refresh_link{e.link_target, e.record, e.announce_self}, now);
                break;
            case store::entry_kind::value:
                if (e.is_mutable) {
                    (void)s.put_mutable(e.k, e.seq, e.bytes, e.value_offset, e.value_len, now);
                } else {
                    (void)s.put_immutable(e.k, e.bytes, now);
                }
                break;
        }
        if (s.limit_expiry(e.kind, e.k, pk, at)) ++kept;
    }
    entries.clear();
    entries.shrink_to_fit();
    return kept;
}

// --- writer thread --------------------------------------------------------------

void writer::start() {
    if (_thread.joinable()) return;
    _thread = std::thread([this] { run(); });
}

void writer::stop() noexcept {
    if (!_thread.joinable()) return;
    _stop.store(true, std::memory_order_release);
    _thread.join();
}

std::size_t writer::drain_all() noexcept {
    std::size_t n = 0;
    for (auto& q : _queues) {
        n += q->drain(
            [&](const row& r) {
                try {
                    if (r.del) {
                        _db->del(r.key_bytes());
                    } else {
                        _db->put(r.key_bytes(), r.value_bytes());
                    }
                } catch (...) {
                    // Out of memory in the batch: the row is lost, as a failed commit's are.
                    add(writer_metric::commit_errors, 1);
                }
            },
            SIZE_MAX);
    }
    return n;
}

void writer::commit() noexcept {
    const std::size_t rows = _db->pending();
    if (rows == 0) return;
    const std::int64_t now = unix_ms();
    try {
        if (auto r = _db->commit(now); !r) {
            add(writer_metric::commit_errors, 1);
            std::fprintf(stderr, "persist: commit of %zu rows failed: %s\n", rows, r.error().c_str());
            return;
        }
    } catch (...) {
        add(writer_metric::commit_errors, 1);
        return;
    }
    add(writer_metric::commits, 1);
    add(writer_metric::rows_written, rows);
    set(writer_metric::last_commit_unix_ms, static_cast<std::uint64_t>(now));
}

// Drains every few ms (so the rings, sized for bursts, rarely fill) and
// commits at most every flush interval.
void writer::run() noexcept {
    using clock = std::chrono::steady_clock;
    const auto period = std::clamp(_cfg.flush / 10, std::chrono::milliseconds(1), std::chrono::milliseconds(10));
    auto next_commit = clock::now() + _cfg.flush;
    while (!_stop.load(std::memory_order_acquire)) {
        drain_all();
        if (clock::now() >= next_commit) {
            commit();
            next_commit = clock::now() + _cfg.flush;
        }
        std::this_thread::sleep_for(period);
    }
    drain_all();
    commit();
}

void writer::collect(void* self) noexcept {
    auto* w = static_cast<writer*>(self);
    for (std::size_t i = 0; i < w->_shared.size(); ++i) {
        w->_copy.set(static_cast<writer_metric>(i), w->_shared[i].load(std::memory_order_relaxed));
    }
}

}  // namespace persist
