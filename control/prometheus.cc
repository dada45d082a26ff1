#include "control/prometheus.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

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

std::string sample_line(std::string_view name, const label_list& labels, double value) {
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
    f.lines.push_back(sample_line(fam, labels, value));
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
        f.lines.push_back(sample_line(bucket, l, static_cast<double>(cumulative)));
    }
    cumulative += overflow;
    label_list inf = labels;
    inf.emplace_back("le", "+Inf");
    f.lines.push_back(sample_line(bucket, inf, static_cast<double>(cumulative)));
    f.lines.push_back(sample_line(std::string(fam) + "_sum", labels, sum));
    f.lines.push_back(sample_line(std::string(fam) + "_count", labels, static_cast<double>(cumulative)));
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
                out += sample_line(f.name + "_bucket", l, static_cast<double>(cumulative)) + '\n';
            }
            out += sample_line(f.name + "_sum", s.labels, s.sum) + '\n';
            out += sample_line(f.name + "_count", s.labels, static_cast<double>(cumulative)) + '\n';
        }
    }
    return out;
}

}  // namespace control

namespace control {

namespace {

bool name_char(char c, bool first) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (!first && c >= '0' && c <= '9');
}

// Parses `{k="v",...}` at the start of s; advances s past it.
base::result<label_list, std::string> parse_labels(std::string_view& s) {
    label_list out;
    s.remove_prefix(1);  // '{'
    for (;;) {
        if (s.empty()) return base::fail(std::string("unterminated labels"));
        if (s.front() == '}') {
            s.remove_prefix(1);
            return out;
        }
        std::size_t n = 0;
        while (n < s.size() && name_char(s[n], n == 0)) ++n;
        if (n == 0 || n >= s.size() || s[n] != '=' || n + 1 >= s.size() || s[n + 1] != '"') {
            return base::fail(std::string("bad label"));
        }
        std::string key(s.substr(0, n)), value;
        s.remove_prefix(n + 2);
        for (;;) {
            if (s.empty()) return base::fail(std::string("unterminated label value"));
            const char c = s.front();
            s.remove_prefix(1);
            if (c == '"') break;
            if (c == '\\') {
                if (s.empty()) return base::fail(std::string("bad escape"));
                const char e = s.front();
                s.remove_prefix(1);
                value += e == 'n' ? '\n' : e;
            } else {
                value += c;
            }
        }
        if (out.size() == max_labels) return base::fail(std::string("too many labels"));
        out.emplace_back(std::move(key), std::move(value));
        if (!s.empty() && s.front() == ',') s.remove_prefix(1);
    }
}

base::result<double, std::string> parse_number(std::string_view s) {
    if (s == "+Inf") return 1.0 / 0.0;
    if (s == "-Inf") return -1.0 / 0.0;
    if (s == "NaN") return 0.0 / 0.0;
    const std::string z(s);
    char* end = nullptr;
    const double v = std::strtod(z.c_str(), &end);
    if (z.empty() || end != z.c_str() + z.size()) return base::fail("bad value '" + z + "'");
    return v;
}

}  // namespace

base::result<std::vector<sample>, std::string> parse_samples(std::string_view text) {
    if (text.size() > max_parse_bytes) return base::fail(std::string("larger than 8 MiB"));
    std::vector<sample> out;
    std::size_t line_no = 0;
    while (!text.empty()) {
        ++line_no;
        const auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        if (line.empty() || line.front() == '#') continue;
        const auto bad = [&](const std::string& why) {
            return base::fail("line " + std::to_string(line_no) + ": " + why);
        };
        std::size_t n = 0;
        while (n < line.size() && name_char(line[n], n == 0)) ++n;
        if (n == 0) return bad("no metric name");
        sample s;
        s.name = std::string(line.substr(0, n));
        line.remove_prefix(n);
        if (!line.empty() && line.front() == '{') {
            auto l = parse_labels(line);
            if (!l) return bad(l.error());
            s.labels = std::move(*l);
        }
        if (line.empty() || line.front() != ' ') return bad("no value");
        line.remove_prefix(1);
        const auto sp = line.find(' ');  // an optional timestamp follows
        auto v = parse_number(line.substr(0, sp));
        if (!v) return bad(v.error());
        s.value = *v;
        if (out.size() == max_samples) return base::fail(std::string("more than 200000 samples"));
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace control
