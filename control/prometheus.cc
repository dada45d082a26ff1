#include "control/prometheus.h"

#include <cmath>
#include <cstdio>

namespace control {

namespace {

std::string escape_label(std::string_view v) {
    std::string out;
    for (char c : v) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string escape_help(std::string_view v) {
    std::string out;
    for (char c : v) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string sample(std::string_view name, const label_list& labels, double value) {
    std::string s(name);
    if (!labels.empty()) {
        s += '{';
        for (std::size_t i = 0; i < labels.size(); ++i) {
            if (i) s += ',';
            s += labels[i].first + "=\"" + escape_label(labels[i].second) + '"';
        }
        s += '}';
    }
    s += ' ';
    s += format_value(value);
    return s;
}

}  // namespace

std::string format_value(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    char buf[64];
    if (v == std::floor(v) && std::fabs(v) < 1e18) {
        std::snprintf(buf, sizeof buf, "%.0f", v);
    } else {
        std::snprintf(buf, sizeof buf, "%.9g", v);
    }
    return buf;
}

exposition::family_data& exposition::family(std::string_view name, std::string_view type, std::string_view help) {
    for (auto& f : _families) {
        if (f.name == name) return f;
    }
    _families.push_back({std::string(name), std::string(help), std::string(type), {}});
    return _families.back();
}

void exposition::add(std::string_view fam, base::metrics::kind k, std::string_view help, label_list labels,
                     double value) {
    auto& f = family(fam, k == base::metrics::kind::counter ? "counter" : "gauge", help);
    f.lines.push_back(sample(fam, labels, value));
}

void exposition::add(const base::metrics::def& d, const label_list& extra, std::uint64_t value) {
    if (d.type == base::metrics::kind::bucket || d.type == base::metrics::kind::bucket_sum) {
        auto& f = family(d.family, "histogram", d.help);
        series* s = nullptr;
        for (auto& x : f.histogram) {
            if (x.labels == extra) s = &x;
        }
        if (s == nullptr) s = &f.histogram.emplace_back(series{extra, {}, 0});
        if (d.type == base::metrics::kind::bucket) {
            s->buckets.emplace_back(std::string(d.lbl.value), value);
        } else {
            s->sum = static_cast<double>(value) / 1e6;
        }
        return;
    }
    label_list labels = extra;
    if (!d.lbl.key.empty()) labels.emplace_back(std::string(d.lbl.key), std::string(d.lbl.value));
    add(d.family, d.type, d.help, std::move(labels), static_cast<double>(value));
}

void exposition::add_histogram(std::string_view fam, std::string_view help, label_list labels,
                               std::span<const double> upper, std::span<const std::uint64_t> counts,
                               std::uint64_t overflow, double sum) {
    auto& f = family(fam, "histogram", help);
    const std::string bucket = std::string(fam) + "_bucket";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < upper.size() && i < counts.size(); ++i) {
        cumulative += counts[i];
        label_list l = labels;
        l.emplace_back("le", format_value(upper[i]));
        f.lines.push_back(sample(bucket, l, static_cast<double>(cumulative)));
    }
    cumulative += overflow;
    label_list inf = labels;
    inf.emplace_back("le", "+Inf");
    f.lines.push_back(sample(bucket, inf, static_cast<double>(cumulative)));
    f.lines.push_back(sample(std::string(fam) + "_sum", labels, sum));
    f.lines.push_back(sample(std::string(fam) + "_count", labels, static_cast<double>(cumulative)));
}

std::string exposition::text() const {
    std::string out;
    for (const auto& f : _families) {
        out += "# HELP " + f.name + ' ' + escape_help(f.help) + '\n';
        out += "# TYPE " + f.name + ' ' + f.type + '\n';
        for (const auto& l : f.lines) {
            out += l;
            out += '\n';
        }
        for (const auto& s : f.histogram) {
            std::uint64_t cumulative = 0;
            for (const auto& [le, n] : s.buckets) {
                cumulative += n;
                label_list l = s.labels;
                l.emplace_back("le", le);
                out += sample(f.name + "_bucket", l, static_cast<double>(cumulative)) + '\n';
            }
            out += sample(f.name + "_sum", s.labels, s.sum) + '\n';
            out += sample(f.name + "_count", s.labels, static_cast<double>(cumulative)) + '\n';
        }
    }
    return out;
}

}  // namespace control
