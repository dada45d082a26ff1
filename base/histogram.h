// base/histogram.h -- a log-linear latency histogram (HDR-style).
//
// Values (e.g. nanoseconds) below 64 are counted exactly; above that each
// power of two is split into 32 sub-buckets, so the relative error is under
// 1/32 (3%). Recording is two shifts and an increment; histograms of
// the same shape merge by adding counts, so each shard records alone and the
// reporter sums. Thread safety: one writer; merge() into a private copy.
#pragma once

#include <array>
#include <bit>
#include <cstdint>

namespace base {

class histogram {
public:
    static constexpr int sub_bits = 6;
    static constexpr std::uint64_t sub_count = std::uint64_t{1} << sub_bits;  // 64
    static constexpr int bucket_count = 64 - sub_bits + 1;

    void record(std::uint64_t v, std::uint64_t n = 1) noexcept {
        _counts[index_of(v)] += n;
        _total += n;
        if (v > _max) _max = v;
        if (v < _min) _min = v;
        _sum += v * n;
    }
    void merge(const histogram& o) noexcept {
        for (std::size_t i = 0; i < _counts.size(); ++i) _counts[i] += o._counts[i];
        _total += o._total;
        _sum += o._sum;
        if (o._max > _max) _max = o._max;
        if (o._min < _min) _min = o._min;
    }
    [[nodiscard]] std::uint64_t count() const noexcept { return _total; }
    [[nodiscard]] std::uint64_t max() const noexcept { return _total ? _max : 0; }
    [[nodiscard]] std::uint64_t min() const noexcept { return _total ? _min : 0; }
    [[nodiscard]] double mean() const noexcept { return _total ? static_cast<double>(_sum) / static_cast<double>(_total) : 0; }

    // The smallest recorded bucket value v such that a fraction q of the
    // samples are <= v (reported as the bucket's upper edge, capped at max()).
    [[nodiscard]] std::uint64_t quantile(double q) const noexcept {
        if (_total == 0) return 0;
        auto want = static_cast<std::uint64_t>(q * static_cast<double>(_total));
        if (want >= _total) want = _total - 1;
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < _counts.size(); ++i) {
            seen += _counts[i];
            if (seen > want) {
                std::uint64_t hi = upper_edge(i);
                return hi < _max ? hi : _max;
            }
        }
        return _max;
    }

    [[nodiscard]] static std::size_t index_of(std::uint64_t v) noexcept {
        if (v < sub_count) return static_cast<std::size_t>(v);
        const int msb = 63 - std::countl_zero(v);      // >= sub_bits
        const int shift = msb - sub_bits + 1;          // keep sub_bits-1 bits below the msb... plus msb
        const std::uint64_t sub = v >> shift;          // in [sub_count/2, sub_count)
        return static_cast<std::size_t>(static_cast<std::uint64_t>(shift) * (sub_count / 2) + sub);
    }
    [[nodiscard]] static std::uint64_t upper_edge(std::size_t i) noexcept {
        if (i < sub_count) return i;
        const std::uint64_t shift = (i - sub_count / 2) / (sub_count / 2);
        const std::uint64_t sub = i - shift * (sub_count / 2);
        return ((sub + 1) << shift) - 1;
    }

private:
    std::array<std::uint64_t, (bucket_count + 1) * (sub_count / 2) + sub_count> _counts{};
    std::uint64_t _total = 0, _sum = 0, _max = 0, _min = UINT64_MAX;
};

}  // namespace base
