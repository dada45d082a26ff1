// tools/net/svg_plot.h -- a latency CDF as a self-contained SVG document.
//
// Written by hand (no plotting library): a frame with a grid, labelled axes,
// the empirical CDF as a step curve and dashed markers at p50/p90/p99. The
// x axis is logarithmic when the samples span more than two decades (a few
// timed-out lookups would otherwise squash the curve against the y axis),
// linear otherwise. Thread safety: pure functions.
#pragma once

#include <string>
#include <vector>

namespace net {

struct cdf_plot {
    std::string title;
    std::string subtitle;          // e.g. the run's parameters and figures
    std::vector<double> values_ms; // sorted ascending, each >= 0
};

// The SVG text (UTF-8). Text is XML-escaped; an empty sample set gives the
// axes and a note instead of a curve.
[[nodiscard]] std::string render_cdf_svg(const cdf_plot& p);

// XML-escapes &, <, >, " and '.
[[nodiscard]] std::string xml_escape(const std::string& s);

}  // namespace net
