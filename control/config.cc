#include "control/config.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#define TOML_ENABLE_FORMATTERS 0
#include <toml++/toml.h>

namespace control {

namespace {

// The largest configuration file read; a bigger one is not a config file.
constexpr std::size_t max_file_bytes = 1 << 20;

std::string_view type_words(detail::type t) {
    using detail::type;
    switch (t) {
        case type::string: return "a string";
        case type::boolean: return "true or false";
        case type::integer: return "an integer";
        case type::real: return "a number";
        case type::string_list: return "an array of strings";
        case type::int_list: return "an array of integers";
    }
    return "?";
}

std::string_view raw_words(const detail::raw& r) {
    switch (r.v.index()) {
        case 0: return "a string";
        case 1: return "a boolean";
        case 2: return "an integer";
        case 3: return "a number";
        case 4: return "an array of strings";
        default: return "an array of numbers";
    }
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::vector<std::string_view> split_commas(std::string_view s) {
    std::vector<std::string_view> out;
    if (trim(s).empty()) return out;
    for (;;) {
        const auto c = s.find(',');
        out.push_back(trim(s.substr(0, c)));
        if (c == std::string_view::npos) break;
        s.remove_prefix(c + 1);
    }
    return out;
}

base::result<std::int64_t, std::string> parse_int(std::string_view s) {
    std::int64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size()) {
        return base::fail("'" + std::string(s) + "' is not an integer");
    }
    return v;
}

base::result<double, std::string> parse_real(std::string_view s) {
    const std::string z(s);
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(z.c_str(), &end);
    if (z.empty() || end != z.c_str() + z.size() || errno != 0 || !std::isfinite(v)) {
        return base::fail("'" + z + "' is not a number");
    }
    return v;
}

std::string range_words(const detail::key_view& k) {
    return "from " + detail::number_text(k.min) + " to " + detail::number_text(k.max);
}

base::result<void, std::string> in_range(const detail::key_view& k, double v) {
    if (k.min == k.max || (v >= k.min && v <= k.max)) return {};
    return base::fail(detail::number_text(v) + " is out of range (" + range_words(k) + ")");
}

std::string where_of(const std::string& path, const toml::source_region& r) {
    return path + ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column);
}

// A TOML node as a raw value; arrays must hold one type (strings, integers or numbers).
base::result<detail::raw, std::string> raw_of(const toml::node& n) {
    if (auto s = n.value_exact<std::string>()) return detail::raw{*s};
    if (auto b = n.value_exact<bool>()) return detail::raw{*b};
    if (auto i = n.value_exact<std::int64_t>()) return detail::raw{*i};
    if (auto d = n.value_exact<double>()) return detail::raw{*d};
    if (const toml::array* a = n.as_array()) {
        if (a->empty()) return detail::raw{std::vector<std::string>{}};
        if (a->is_homogeneous<std::string>()) {
            std::vector<std::string> v;
            for (const auto& e : *a) v.push_back(*e.value_exact<std::string>());
            return detail::raw{std::move(v)};
        }
        if (a->is_homogeneous<std::int64_t>()) {
            std::vector<std::int64_t> v;
            for (const auto& e : *a) v.push_back(*e.value_exact<std::int64_t>());
            return detail::raw{std::move(v)};
        }
        return base::fail(std::string("an array must hold only strings or only integers"));
    }
    if (n.is_table()) return base::fail(std::string("tables are not used: every key is at the top level"));
    return base::fail(std::string("dates and times are not used"));
}

}  // namespace

std::string env_name(std::string_view prefix, std::string_view key) {
    std::string s(prefix);
    s += '_';
    for (char c : key) s += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    return s;
}

std::string flag_name(std::string_view key) {
    std::string s = "--";
    for (char c : key) s += c == '_' ? '-' : c;
    return s;
}

namespace detail {

base::result<raw, std::string> parse_text(type t, std::string_view text) {
    switch (t) {
        case type::string: return raw{std::string(text)};
        case type::boolean:
            if (text == "true" || text == "1" || text == "yes" || text == "on") return raw{true};
            if (text == "false" || text == "0" || text == "no" || text == "off") return raw{false};
            return base::fail("'" + std::string(text) + "' is not true or false");
        case type::integer: {
            auto v = parse_int(trim(text));
            if (!v) return base::fail(v.error());
            return raw{*v};
        }
        case type::real: {
            auto v = parse_real(trim(text));
            if (!v) return base::fail(v.error());
            return raw{*v};
        }
        case type::string_list: {
            std::vector<std::string> v;
            for (auto item : split_commas(text)) v.emplace_back(item);
            return raw{std::move(v)};
        }
        case type::int_list: {
            std::vector<std::int64_t> v;
            for (auto item : split_commas(text)) {
                auto i = parse_int(item);
                if (!i) return base::fail(i.error());
                v.push_back(*i);
            }
            return raw{std::move(v)};
        }
    }
    return base::fail(std::string("unknown type"));
}

base::result<raw, std::string> check(const key_view& k, raw r) {
    const auto wrong = [&] {
        return base::fail("expected " + std::string(type_words(k.t)) + ", got " + std::string(raw_words(r)));
    };
    switch (k.t) {
        case type::string: {
            const auto* s = std::get_if<std::string>(&r.v);
            if (s == nullptr) return wrong();
            if (k.choices.empty()) return r;
            std::string allowed;
            for (auto c : k.choices) {
                if (c == *s) return r;
                allowed += (allowed.empty() ? "" : ", ") + std::string(c);
            }
            return base::fail("'" + *s + "' is not one of: " + allowed);
        }
        case type::boolean:
            if (!std::holds_alternative<bool>(r.v)) return wrong();
            return r;
        case type::integer: {
            const auto* i = std::get_if<std::int64_t>(&r.v);
            if (i == nullptr) return wrong();
            if (auto ok = in_range(k, static_cast<double>(*i)); !ok) return base::fail(ok.error());
            return r;
        }
        case type::real: {
            if (const auto* i = std::get_if<std::int64_t>(&r.v)) r.v = static_cast<double>(*i);
            const auto* d = std::get_if<double>(&r.v);
            if (d == nullptr) return wrong();
            if (auto ok = in_range(k, *d); !ok) return base::fail(ok.error());
            return r;
        }
        case type::string_list:
            if (!std::holds_alternative<std::vector<std::string>>(r.v)) return wrong();
            return r;
        case type::int_list: {
            if (const auto* e = std::get_if<std::vector<std::string>>(&r.v); e != nullptr && e->empty()) {
                r.v = std::vector<std::int64_t>{};
            }
            const auto* v = std::get_if<std::vector<std::int64_t>>(&r.v);
            if (v == nullptr) return wrong();
            for (auto i : *v) {
                if (auto ok = in_range(k, static_cast<double>(i)); !ok) return base::fail(ok.error());
            }
            return r;
        }
    }
    return wrong();
}

base::result<std::vector<file_entry>, std::string> parse_toml(std::string_view text, const std::string& path) {
    toml::table doc;
    try {
        doc = toml::parse(text, path);
    } catch (const toml::parse_error& e) {
        return base::fail(where_of(path, e.source()) + ": " + std::string(e.description()));
    }
    std::vector<file_entry> out;
    for (auto&& [k, node] : doc) {
        const std::string where = where_of(path, k.source());
        auto r = raw_of(node);
        if (!r) return base::fail(where + ": " + std::string(k.str()) + ": " + r.error());
        out.push_back({std::string(k.str()), std::move(*r), where});
    }
    return out;
}

base::result<std::vector<file_entry>, std::string> read_toml(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return base::fail(path + ": cannot read: " + std::strerror(errno));
    std::string text(max_file_bytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (in.bad()) return base::fail(path + ": cannot read: " + std::strerror(errno));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_file_bytes) return base::fail(path + ": larger than 1 MiB; not a configuration file");
    return parse_toml(text, path);
}

std::string quote(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
            out += buf;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

std::string number_text(double d) {
    char buf[64];
    if (d == std::floor(d) && std::fabs(d) < 1e15) {
        std::snprintf(buf, sizeof buf, "%.0f", d);
        return buf;
    }
    std::snprintf(buf, sizeof buf, "%.17g", d);
    // The shortest text that reads back the same.
    for (int p = 1; p <= 17; ++p) {
        char s[64];
        std::snprintf(s, sizeof s, "%.*g", p, d);
        if (std::strtod(s, nullptr) == d) return s;
    }
    return buf;
}

}  // namespace detail

}  // namespace control
