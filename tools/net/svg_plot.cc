#include "tools/net/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace net {

namespace {

// Canvas and plot area, in SVG user units.
constexpr double width = 760, height = 460;
constexpr double left = 80, right = 30, top = 64, bottom = 64;
constexpr double plot_w = width - left - right, plot_h = height - top - bottom;

struct tick {
    double value;
    std::string label;  // empty: a minor grid line only
};

struct axis {
    bool log = false;
    double lo = 0, hi = 1;
    std::vector<tick> ticks;

    [[nodiscard]] double frac(double v) const noexcept {
        if (log) {
            v = std::max(v, lo);
            return (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
        }
        return (v - lo) / (hi - lo);
    }
    [[nodiscard]] double x(double v) const noexcept { return left + plot_w * std::clamp(frac(v), 0.0, 1.0); }
};

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

// A latency for a label: 3 significant digits below 100 ms, whole ms above.
std::string ms_label(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, v < 10 ? "%.2f ms" : v < 100 ? "%.1f ms" : "%.0f ms", v);
    return buf;
}

std::string coord(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

// 1, 2 or 5 times a power of ten, at least `raw`.
double nice_step(double raw) {
    const double p = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0}) {
        if (m * p >= raw) return m * p;
    }
    return 10.0 * p;
}

axis linear_axis(double max) {
    axis a;
    if (max <= 0) max = 1;
    const double step = nice_step(max / 5.0);
    a.hi = std::ceil(max / step) * step;
    for (int i = 0; i * step <= a.hi + step / 2; ++i) a.ticks.push_back({i * step, num(i * step)});
    return a;
}

// 1, 2 or 5 times a power of ten: the largest <= v (down) or the smallest >= v.
double nice_125(double v, bool down) {
    const double p = std::pow(10.0, std::floor(std::log10(v)));
    if (down) return v >= 5 * p ? 5 * p : v >= 2 * p ? 2 * p : p;
    return v <= p ? p : v <= 2 * p ? 2 * p : v <= 5 * p ? 5 * p : 10 * p;
}

axis log_axis(double min, double max) {
    axis a;
    a.log = true;
    a.lo = nice_125(min, true);
    a.hi = nice_125(max, false);
    if (a.hi <= a.lo) a.hi = a.lo * 10;
    // A grid line at every m * 10^d inside the range; labels at 1, 2 and 5.
    for (double d = std::pow(10.0, std::floor(std::log10(a.lo))); d <= a.hi; d *= 10) {
        for (int m = 1; m <= 9; ++m) {
            const double v = d * m;
            if (v < a.lo * 0.999 || v > a.hi * 1.001) continue;
            a.ticks.push_back({v, m == 1 || m == 2 || m == 5 ? num(v) : std::string()});
        }
    }
    return a;
}

axis x_axis_for(const std::vector<double>& v) {
    if (v.empty()) return linear_axis(1);
    const double min = v.front(), max = v.back();
    if (min > 0 && max / min > 100.0) return log_axis(min, max);
    return linear_axis(max);
}

double y_of(double fraction) { return top + plot_h * (1.0 - fraction); }

void text(std::string& out, double x, double y, const std::string& s, const char* extra = "") {
    out += "<text x=\"" + coord(x) + "\" y=\"" + coord(y) + "\"" + extra + ">" + xml_escape(s) + "</text>\n";
}

void line(std::string& out, double x1, double y1, double x2, double y2, const char* style) {
    out += "<line x1=\"" + coord(x1) + "\" y1=\"" + coord(y1) + "\" x2=\"" + coord(x2) + "\" y2=\"" + coord(y2) + "\" " +
           style + "/>\n";
}

void grid_and_axes(std::string& out, const axis& ax) {
    for (int pct = 0; pct <= 100; pct += 20) {
        const double y = y_of(pct / 100.0);
        line(out, left, y, left + plot_w, y, "stroke=\"#dddddd\"");
        text(out, left - 8, y + 4, std::to_string(pct) + "%", " text-anchor=\"end\"");
    }
    for (const auto& t : ax.ticks) {
        const double x = ax.x(t.value);
        line(out, x, top, x, top + plot_h, t.label.empty() ? "stroke=\"#f0f0f0\"" : "stroke=\"#dddddd\"");
        if (!t.label.empty()) text(out, x, top + plot_h + 18, t.label, " text-anchor=\"middle\"");
    }
    out += "<rect x=\"" + coord(left) + "\" y=\"" + coord(top) + "\" width=\"" + coord(plot_w) + "\" height=\"" +
           coord(plot_h) + "\" fill=\"none\" stroke=\"#333333\"/>\n";
    text(out, left + plot_w / 2, height - 18,
         std::string("lookup latency (ms") + (ax.log ? ", log scale)" : ")"), " text-anchor=\"middle\"");
    const std::string ylab = "lookups finished within x";
    out += "<text transform=\"translate(20 " + coord(top + plot_h / 2) + ") rotate(-90)\" text-anchor=\"middle\">" +
           xml_escape(ylab) + "</text>\n";
}

// The empirical CDF as a step curve: at each sample the curve rises by 1/n.
void curve(std::string& out, const axis& ax, const std::vector<double>& v) {
    const double n = static_cast<double>(v.size());
    std::string pts = coord(ax.x(v.front())) + "," + coord(y_of(0));
    for (std::size_t i = 0; i < v.size(); ++i) {
        const double x = ax.x(v[i]);
        pts += " " + coord(x) + "," + coord(y_of(static_cast<double>(i) / n));
        pts += " " + coord(x) + "," + coord(y_of(static_cast<double>(i + 1) / n));
    }
    pts += " " + coord(left + plot_w) + "," + coord(y_of(1));
    out += "<polyline fill=\"none\" stroke=\"#1f6fb4\" stroke-width=\"2\" points=\"" + pts + "\"/>\n";
}

void markers(std::string& out, const axis& ax, const std::vector<double>& v) {
    const double n = static_cast<double>(v.size());
    const std::pair<double, const char*> qs[] = {{0.5, "p50"}, {0.9, "p90"}, {0.99, "p99"}};
    for (const auto& [q, name] : qs) {
        auto rank = static_cast<std::size_t>(std::ceil(q * n));
        rank = std::clamp<std::size_t>(rank, 1, v.size());
        const double val = v[rank - 1], x = ax.x(val), y = y_of(q);
        line(out, x, y, x, top + plot_h, "stroke=\"#c0392b\" stroke-dasharray=\"4 3\"");
        // Labels near the right edge go to the left of their line; none above the frame.
        const bool flip = x > left + 0.75 * plot_w;
        text(out, flip ? x - 4 : x + 4, std::max(y - 4, top + 14),
             std::string(name) + " " + ms_label(val),
             flip ? " fill=\"#c0392b\" font-size=\"11\" text-anchor=\"end\"" : " fill=\"#c0392b\" font-size=\"11\"");
    }
}

}  // namespace

std::string xml_escape(const std::string& s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string render_cdf_svg(const cdf_plot& p) {
    const axis ax = x_axis_for(p.values_ms);
    std::string out;
    out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + coord(width) + "\" height=\"" + coord(height) +
           "\" viewBox=\"0 0 " + coord(width) + " " + coord(height) +
           "\" font-family=\"sans-serif\" font-size=\"12\">\n";
    out += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
    text(out, width / 2, 24, p.title, " text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\"");
    text(out, width / 2, 44, p.subtitle, " text-anchor=\"middle\" fill=\"#555555\"");
    grid_and_axes(out, ax);
    if (p.values_ms.empty()) {
        text(out, left + plot_w / 2, top + plot_h / 2, "no finished lookups", " text-anchor=\"middle\"");
    } else {
        curve(out, ax, p.values_ms);
        markers(out, ax, p.values_ms);
    }
    out += "</svg>\n";
    return out;
}

}  // namespace net
