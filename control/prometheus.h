// control/prometheus.h -- the Prometheus text exposition format (version
// 0.0.4), written from the counter tables of base/metrics.h.
//
// Samples are added in any order; `text()` writes each family once, with its
// HELP and TYPE lines, its samples in the order they were added. Labels are
// escaped as the format requires. Histograms come from bucket counts that are
// NOT cumulative (each bucket counts its own interval), as the counter tables
// keep them; `text()` accumulates them and adds +Inf, _sum and _count.
//
// Thread safety: one exposition per thread (the control listener builds one
// per scrape).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/metrics.h"
#include "base/result.h"

namespace control {

using label_list = std::vector<std::pair<std::string, std::string>>;

class exposition {
public:
    // A counter or gauge sample of family `family`.
    void add(std::string_view family, base::metrics::kind k, std::string_view help, label_list labels, double value);
    // A metric of a counter table (its family, kind, help and label) with
    // extra labels (e.g. shard). Buckets (kind::bucket, in the order of their
    // bounds) and the sum (kind::bucket_sum, in millionths) of one family and
    // extra labels become one histogram series.
    void add(const base::metrics::def& d, const label_list& extra, std::uint64_t value);
    // A histogram: `upper` are the buckets' upper bounds (ascending), `counts`
    // the samples in each bucket alone (same size), `overflow` those above the
    // last bound, `sum` the sum of all samples (in the family's unit).
    void add_histogram(std::string_view family, std::string_view help, label_list labels,
                       std::span<const double> upper, std::span<const std::uint64_t> counts, std::uint64_t overflow,
                       double sum);

    // The exposition text. Content type: "text/plain; version=0.0.4; charset=utf-8".
    [[nodiscard]] std::string text() const;

private:
    struct series {  // one histogram series, rendered by text()
        label_list labels;
        std::vector<std::pair<std::string, std::uint64_t>> buckets;  // (le, count in that bucket alone)
        double sum = 0;
    };
    struct family_data {
        std::string name, help, type;
        std::vector<std::string> lines;  // sample lines, complete
        std::vector<series> histogram;
    };
    family_data& family(std::string_view name, std::string_view type, std::string_view help);
    std::vector<family_data> _families;
};

inline constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

// One sample read back from exposition text.
struct sample {
    std::string name;  // with its _bucket/_sum/_count suffix, if any
    label_list labels;
    double value = 0;
};
// Limits of parse_samples (the text comes from the network).
inline constexpr std::size_t max_parse_bytes = 8 << 20;
inline constexpr std::size_t max_samples = 200'000;
inline constexpr std::size_t max_labels = 16;
// Reads the samples of a text exposition (comments skipped). Error: the
// first line that is not a sample (1-based) and why, or a limit exceeded.
[[nodiscard]] base::result<std::vector<sample>, std::string> parse_samples(std::string_view text);

// A sample value as the format writes it (integers without a fraction, +Inf, NaN).
[[nodiscard]] std::string format_value(double v);

}  // namespace control
