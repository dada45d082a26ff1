// crypto/verify_queue.h -- collects a shard's signature checks into batches (sans-I/O).
//
// The shard pushes (cookie, message, public key, signature) as packets arrive.
// The queue verifies what it holds with crypto::verify_batch when `max_batch`
// checks are waiting, when the oldest has waited `max_delay`, or when the
// owner flushes it, and reports each verdict as on_result(cookie, ok). It
// never reads a clock: callers pass `now` (base/time.h), and arm a timer for
// next_deadline() so that poll() runs when a lone check has waited long enough.
//
// Every verdict is exactly libsodium's crypto_sign_verify_detached verdict
// (crypto/batch_verify.h). The queue keeps a key_cache of decoded public keys
// across batches (its size is part of the config). With `single` set the queue keeps the same triggers
// but verifies each check with libsodium on its own (for comparison, or when
// batches keep failing).
//
// The queue copies each message, so the caller's buffer (a borrowed receive
// buffer, say) may be recycled as soon as push() returns.
//
// Thread safety: owned by one shard; no member may be called concurrently.
// Callbacks run on the caller's thread, inside push/poll/flush; a callback may
// push again (the results being delivered were taken out of the queue first).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "base/metrics.h"
#include "base/time.h"
#include "crypto/batch_verify.h"
#include "crypto/key_cache.h"
#include "crypto/sign.h"

namespace crypto {

struct verify_queue_config {
    std::size_t max_batch = 64;                   // flush at this many queued checks (0 is taken as 1)
    base::microseconds max_delay{500};            // flush once the oldest check has waited this long
    bool single = false;                          // libsodium per check instead of verify_batch
    std::size_t max_message_bytes = 64 * 1024;    // longer messages are verified at once, alone
    // Decoded public keys kept across batches (crypto/key_cache.h; 112 bytes
    // each; 0: none). Announcers re-sign with the same key every few minutes.
    std::size_t key_cache_entries = 16384;
};

// What a verify_queue counts (base/metrics.h): plain integers, its shard's alone.
enum class verify_ctr : std::uint8_t {
    items,           // checks pushed
    accepted,
    rejected,
    batches,         // verify_batch calls
    single_items,    // checks verified alone (single mode, oversized messages)
    fallbacks,       // batches whose equation failed, so bisection ran
    flush_full,      // flushes because max_batch was reached
    flush_deadline,  // flushes because max_delay passed
    flush_forced,    // flush() calls that found work
    key_lookups,     // public keys looked up in the key cache (batched checks)
    key_hits,        // ... and found there
    // Sizes of verify_batch calls: one bucket per power of two, [2^b, 2^(b+1)),
    // the last one everything from 512 up (size_bucket(b) names bucket b).
    batch_size_1,
    batch_size_2,
    batch_size_4,
    batch_size_8,
    batch_size_16,
    batch_size_32,
    batch_size_64,
    batch_size_128,
    batch_size_256,
    batch_size_512,
    count_
};
inline constexpr std::size_t batch_size_buckets = 10;
[[nodiscard]] constexpr verify_ctr size_bucket(std::size_t b) noexcept {
    return static_cast<verify_ctr>(static_cast<std::size_t>(verify_ctr::batch_size_1) +
                                   (b < batch_size_buckets ? b : batch_size_buckets - 1));
}

namespace detail {
using base::metrics::kind;
inline constexpr std::string_view flushes_help = "Batches the verify queue started, by what started them.";
inline constexpr std::string_view sizes_help =
    "Batch verifications by batch size, in power-of-two buckets named by their smallest size.";
inline constexpr std::array<base::metrics::def, static_cast<std::size_t>(verify_ctr::count_)> verify_ctr_defs{{
    {"verify_items", "shoal_verify_signatures_total", kind::counter, "Signature checks pushed to the verify queue."},
    {"verify_accepted", "shoal_verify_accepted_total", kind::counter, "Signatures found valid."},
    {"verify_rejected", "shoal_verify_rejected_total", kind::counter, "Signatures found invalid."},
    {"verify_batches", "shoal_verify_batches_total", kind::counter, "Batch verifications run."},
    {"verify_single_items", "shoal_verify_single_total", kind::counter,
     "Signatures checked alone (single mode or an oversized message)."},
    {"verify_fallbacks", "shoal_verify_fallbacks_total", kind::counter,
     "Batches whose combined equation failed, so the bad signatures were searched for."},
    {"verify_flush_full", "shoal_verify_flushes_total", kind::counter, flushes_help, {"reason", "full"}},
    {"verify_flush_deadline", "shoal_verify_flushes_total", kind::counter, flushes_help, {"reason", "deadline"}},
    {"verify_flush_forced", "shoal_verify_flushes_total", kind::counter, flushes_help, {"reason", "forced"}},
    {"verify_key_lookups", "shoal_verify_key_lookups_total", kind::counter,
     "Public keys looked up in the decoded-key cache."},
    {"verify_key_hits", "shoal_verify_key_hits_total", kind::counter, "Public keys found in the decoded-key cache."},
    {"verify_batch_size_1", "shoal_verify_batch_sizes_total", kind::counter, sizes_help, {"size_from", "1"}},
    {"verify_batch_size_2", "shoal_verify_batch_sizes_total", kind::counter, sizes_help, {"size_from", "2"}},
    {"verify_batch_size_4", "shoal_verify_batch_sizes_total", kind::counter, sizes_help, {"size_from", "4"}},
    {"verify_batch_size_8", "shoal_verify_batch_sizes_total", kind::counter, sizes_help, {"size_from", "8"}},
    {"verify_batch_size_16", "shoal_verify_batch_sizes_total", kind::counter, sizes_help, {"size_from", "16"}},
    {"verify_batch_size_32", "shoal_verify_batch_sizes_total", kind::counter, sizes_help, {"size_from", "32"}},
    {"verify_batch_size_64", "shoal_verify_batch_sizes_total", kind::counter, sizes_help, {"size_from", "64"}},
    {"verify_batch_size_128", "shoal_verify_batch_sizes_total", kind::counter, sizes_help, {"size_from", "128"}},
    {"verify_batch_size_256", "shoal_verify_batch_sizes_total", kind::counter, sizes_help, {"size_from", "256"}},
    {"verify_batch_size_512", "shoal_verify_batch_sizes_total", kind::counter, sizes_help, {"size_from", "512"}},
}};
}  // namespace detail
[[nodiscard]] constexpr std::span<const base::metrics::def> metric_defs(verify_ctr) noexcept {
    return detail::verify_ctr_defs;
}

using verify_queue_stats = base::metrics::counter_set<verify_ctr>;

class verify_queue {
public:
    // Allocates room for max_batch checks up front.
    explicit verify_queue(const verify_queue_config& cfg);

    // Queues one check (copying msg). If that fills the queue, or the oldest
    // check's deadline is at or before `now`, verifies the queue and calls
    // on_result(cookie, ok) for each check before returning.
    template <class F>
    void push(std::uint64_t cookie, std::span<const std::byte> msg, const public_key& pk, const signature& sig,
              base::mono_time now, F&& on_result) noexcept {
        enqueue(cookie, msg, pk, sig, now);
        deliver(on_result);
    }

    // Verifies the queue if the oldest check's deadline is at or before `now`.
    template <class F>
    void poll(base::mono_time now, F&& on_result) noexcept {
        if (deadline_passed(now)) flush_now(flush_reason::deadline);
        deliver(on_result);
    }

    // Verifies everything queued, whatever its age.
    template <class F>
    void flush(F&& on_result) noexcept {
        if (!_pending.empty()) flush_now(flush_reason::forced);
        deliver(on_result);
    }

    // When poll() should next run: the oldest check's arrival + max_delay, or
    // nullopt when the queue is empty.
    [[nodiscard]] std::optional<base::mono_time> next_deadline() const noexcept;
    [[nodiscard]] std::size_t size() const noexcept { return _pending.size(); }
    [[nodiscard]] const verify_queue_stats& stats() const noexcept { return _stats; }
    [[nodiscard]] bool single() const noexcept { return _cfg.single; }
    // Takes effect at the next flush.
    void set_single(bool on) noexcept { _cfg.single = on; }

private:
    enum class flush_reason : std::uint8_t { full, deadline, forced };
    struct pending_check {
        std::uint64_t cookie;
        std::size_t msg_offset;
        std::size_t msg_size;
        public_key pk;
        signature sig;
    };
    struct verdict {
        std::uint64_t cookie;
        bool ok;
    };

    void enqueue(std::uint64_t cookie, std::span<const std::byte> msg, const public_key& pk, const signature& sig,
                 base::mono_time now) noexcept;
    [[nodiscard]] bool deadline_passed(base::mono_time now) const noexcept;
    void flush_now(flush_reason why) noexcept;
    void record(std::uint64_t cookie, bool ok) noexcept;
    void count_batch(std::size_t size) noexcept;

    // Hands the collected verdicts to the callback. They are moved out first,
    // so a callback that pushes (and flushes) again cannot disturb the loop.
    template <class F>
    void deliver(F& on_result) noexcept {
        if (_verdicts.empty()) return;
        std::vector<verdict> out;
        out.swap(_verdicts);
        for (const verdict& v : out) on_result(v.cookie, v.ok);
        out.clear();
        if (_verdicts.empty()) _verdicts.swap(out);  // keep the capacity
    }

    verify_queue_config _cfg;
    std::vector<pending_check> _pending;
    std::vector<std::byte> _arena;  // the queued messages, back to back
    base::mono_time _oldest{};      // arrival of _pending.front()
    std::vector<verify_job> _jobs;
    std::unique_ptr<bool[]> _ok;
    std::vector<verdict> _verdicts;
    key_cache _keys;
    verify_queue_stats _stats;
};

}  // namespace crypto
