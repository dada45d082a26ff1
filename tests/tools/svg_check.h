// A small well-formedness check for the SVG shoal-net writes: one root <svg>
// element, every tag closed in order, attribute values quoted, no raw '&'
// outside an entity. Enough for what render_cdf_svg emits; not a general
// XML parser.
#pragma once

#include <string>
#include <vector>

namespace test {

// Empty when well-formed, else what is wrong.
inline std::string svg_problem(const std::string& doc) {
    std::vector<std::string> open;
    bool saw_root = false;
    std::size_t i = 0;
    while (i < doc.size()) {
        if (doc[i] == '&') {
            const auto semi = doc.find(';', i);
            if (semi == std::string::npos || semi - i > 6) return "a bare '&' at " + std::to_string(i);
            i = semi + 1;
            continue;
        }
        if (doc[i] != '<') {
            if (open.empty() && doc[i] != '\n' && doc[i] != ' ') return "text outside the root at " + std::to_string(i);
            ++i;
            continue;
        }
        const auto end = doc.find('>', i);
        if (end == std::string::npos) return "an unterminated tag at " + std::to_string(i);
        std::string tag = doc.substr(i + 1, end - i - 1);
        i = end + 1;
        if (tag.starts_with("?")) continue;  // the XML declaration
        if (tag.starts_with("/")) {
            const auto name = tag.substr(1);
            if (open.empty() || open.back() != name) return "</" + name + "> closes nothing open";
            open.pop_back();
            continue;
        }
        const bool self_closing = tag.ends_with("/");
        const auto name = tag.substr(0, tag.find_first_of(" /\n"));
        std::size_t quotes = 0;
        for (char c : tag) quotes += c == '"';
        if (quotes % 2) return "unbalanced quotes in <" + name + ">";
        if (open.empty()) {
            if (saw_root) return "a second root element <" + name + ">";
            if (name != "svg") return "the root is <" + name + ">, not <svg>";
            saw_root = true;
        }
        if (!self_closing) open.push_back(name);
    }
    if (!saw_root) return "no <svg> element";
    if (!open.empty()) return "<" + open.back() + "> is never closed";
    return {};
}

}  // namespace test
