#include "base/metrics.h"

namespace base::metrics {
namespace {

bool snake(std::string_view s) noexcept {
    if (s.empty() || !(s[0] >= 'a' && s[0] <= 'z')) return false;
    for (char c : s) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    }
    return true;
}

bool ends_with(std::string_view s, std::string_view tail) noexcept {
    return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

std::string problem(const def& d, std::string_view what) {
    return std::string(d.name) + ": " + std::string(what);
}

}  // namespace

std::string check_table(std::span<const def> defs) {
    for (std::size_t i = 0; i < defs.size(); ++i) {
        const def& d = defs[i];
        if (!snake(d.name)) return problem(d, "name is not snake_case");
        if (!snake(d.family) || d.family.substr(0, 6) != "shoal_") return problem(d, "family is not shoal_snake_case");
        if (d.help.empty()) return problem(d, "no help text");
        const bool total = ends_with(d.family, "_total");
        const bool histogram = d.type == kind::bucket || d.type == kind::bucket_sum;
        if (d.type == kind::counter && !total) return problem(d, "a counter's family must end in _total");
        if (d.type != kind::counter && total) return problem(d, "only a counter's family ends in _total");
        if (!d.lbl.key.empty() && (!snake(d.lbl.key) || d.lbl.value.empty())) return problem(d, "bad label");
        if (d.type == kind::bucket && d.lbl.key != "le") return problem(d, "a bucket needs an le label");
        if (d.type == kind::bucket_sum && !d.lbl.key.empty()) return problem(d, "a bucket sum has no label");
        for (std::size_t j = 0; j < i; ++j) {
            const def& e = defs[j];
            if (e.name == d.name) return problem(d, "name used twice");
            if (e.family != d.family) continue;
            const bool same_kind = e.type == d.type || (histogram && (e.type == kind::bucket || e.type == kind::bucket_sum));
            if (!same_kind || e.help != d.help) return problem(d, "family members disagree on kind or help");
            if (e.type == d.type && e.lbl.key != d.lbl.key) return problem(d, "family members use different label keys");
            if (e.lbl.value == d.lbl.value) return problem(d, "family member repeats another's label");
        }
    }
    return {};
}

}  // namespace base::metrics
