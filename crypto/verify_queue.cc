#include "crypto/verify_queue.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace crypto {

verify_queue::verify_queue(const verify_queue_config& cfg) : _cfg(cfg), _keys(cfg.key_cache_entries) {
    _cfg.max_batch = std::max<std::size_t>(_cfg.max_batch, 1);
    _pending.reserve(_cfg.max_batch);
    _jobs.reserve(_cfg.max_batch);
    _verdicts.reserve(_cfg.max_batch);
    _ok = std::make_unique<bool[]>(_cfg.max_batch);
}

std::optional<base::mono_time> verify_queue::next_deadline() const noexcept {
    if (_pending.empty()) return std::nullopt;
    return _oldest + _cfg.max_delay;
}

bool verify_queue::deadline_passed(base::mono_time now) const noexcept {
    return !_pending.empty() && _oldest + _cfg.max_delay <= now;
}

void verify_queue::record(std::uint64_t cookie, bool ok) noexcept {
    _stats.inc(ok ? verify_ctr::accepted : verify_ctr::rejected);
    _verdicts.push_back(verdict{cookie, ok});
}

void verify_queue::count_batch(std::size_t size) noexcept {
    _stats.inc(verify_ctr::batches);
    const std::size_t bucket = std::bit_width(size) - 1;  // size >= 1 (bit_width is int or size_t by library version)
    _stats.inc(size_bucket(bucket));
}

void verify_queue::enqueue(std::uint64_t cookie, std::span<const std::byte> msg, const public_key& pk,
                           const signature& sig, base::mono_time now) noexcept {
    _stats.inc(verify_ctr::items);
    if (msg.size() > _cfg.max_message_bytes) {
        // Not worth holding (and the arena stays small): verify it now, alone.
        _stats.inc(verify_ctr::single_items);
        record(cookie, crypto::verify(sig, msg, pk));
    } else {
        if (_pending.empty()) _oldest = now;
        _pending.push_back(pending_check{cookie, _arena.size(), msg.size(), pk, sig});
        _arena.insert(_arena.end(), msg.begin(), msg.end());
    }
    if (_pending.size() >= _cfg.max_batch) {
        flush_now(flush_reason::full);
    } else if (deadline_passed(now)) {
        flush_now(flush_reason::deadline);
    }
}

void verify_queue::flush_now(flush_reason why) noexcept {
    _stats.inc(why == flush_reason::full       ? verify_ctr::flush_full
               : why == flush_reason::deadline ? verify_ctr::flush_deadline
                                               : verify_ctr::flush_forced);
    if (_cfg.single) {
        for (const pending_check& c : _pending) {
            _stats.inc(verify_ctr::single_items);
            record(c.cookie, crypto::verify(c.sig, std::span(_arena).subspan(c.msg_offset, c.msg_size), c.pk));
        }
    } else {
        _jobs.clear();
        for (const pending_check& c : _pending) {
            _jobs.push_back(verify_job{std::span(_arena).subspan(c.msg_offset, c.msg_size), c.pk, c.sig});
        }
        const std::uint64_t lookups = _keys.stats().lookups;
        const batch_summary sum = verify_batch(_jobs, std::span<bool>(_ok.get(), _jobs.size()), _keys);
        _stats.inc(verify_ctr::key_lookups, _keys.stats().lookups - lookups);
        _stats.inc(verify_ctr::key_hits, sum.key_cache_hits);
        count_batch(_jobs.size());
        if (sum.fell_back) _stats.inc(verify_ctr::fallbacks);
        for (std::size_t i = 0; i < _pending.size(); ++i) record(_pending[i].cookie, _ok[i]);
    }
    _pending.clear();
    _arena.clear();
}

}  // namespace crypto
