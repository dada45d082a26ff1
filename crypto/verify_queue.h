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

struct verify_queue_stats {
    static constexpr std::size_t hist_buckets = 10;
    std::uint64_t items = 0;           // checks pushed
    std::uint64_t accepted = 0;
    std::uint64_t rejected = 0;
    std::uint64_t batches = 0;         // verify_batch calls
    std::uint64_t single_items = 0;    // checks verified alone (single mode, oversized messages)
    std::uint64_t fallbacks = 0;       // batches whose equation failed, so bisection ran
    std::uint64_t flush_full = 0;      // flushes because max_batch was reached
    std::uint64_t flush_deadline = 0;  // flushes because max_delay passed
    std::uint64_t flush_forced = 0;    // flush() calls that found work
    std::uint64_t key_lookups = 0;     // public keys looked up in the key cache (batched checks)
    std::uint64_t key_hits = 0;        // ... and found there
    // Sizes of verify_batch calls: bucket b counts sizes in [2^b, 2^(b+1)), the last bucket everything above.
    std::array<std::uint64_t, hist_buckets> batch_size_hist{};
};

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
