// control/config.h -- one declared set of configuration keys, read from a
// TOML file, the environment and the command line, in that order of rising
// precedence (flags > environment > file > defaults).
//
// A program declares its keys once, in a table of `key<Options>`: the TOML
// key (snake_case), the field of its options struct the value lands in, a
// help line, and the check a value must pass (a numeric range or a list of
// allowed words). The same key is the flag `--name-with-dashes` and the
// environment variable `PREFIX_NAME` (upper case). From that one table come
// the file loader, the environment loader, the flag parser's options, the
// commented default file (`print_defaults`) and every error message.
//
// Every source is hostile input: an unknown key, a value of the wrong type or
// out of range is an error that names where it came from ("shoald.toml:12:1:
// max_records: ..."; "environment SHOALD_PORT: ..."; "--port: ..."), and the
// options are left as they were before the failing source.
//
// Thread safety: plain functions over values the caller owns.
#pragma once

#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.h"

namespace control {

// Where a value of a key may change: only at start, or also when SIGHUP
// re-reads the file.
enum class when : std::uint8_t { start, reload };

// One configuration key of an options struct O.
template <class O>
struct key {
    using field = std::variant<std::string O::*, bool O::*, std::uint16_t O::*, unsigned O::*, std::size_t O::*,
                               double O::*, std::vector<std::string> O::*, std::vector<int> O::*>;
    std::string_view name;  // TOML key; flag --name (with '-'), environment PREFIX_NAME
    field target;
    std::string_view help;  // one line, printed above the key in the default file and by --help
    double min = 0;         // numeric keys (and each item of a number list): allowed range, inclusive
    double max = 0;         //   (no check when min == max)
    std::span<const std::string_view> choices{};  // string keys: the allowed words (empty: any string)
    when changes = when::start;
};

// The environment variable of a key: prefix + "_" + NAME.
[[nodiscard]] std::string env_name(std::string_view prefix, std::string_view key);
// The flag of a key: "--" + name with '_' as '-'.
[[nodiscard]] std::string flag_name(std::string_view key);

namespace detail {

// A value as read from a source, before it is checked against its key.
struct raw {
    std::variant<std::string, bool, std::int64_t, double, std::vector<std::string>, std::vector<std::int64_t>> v;
};

// What a key's field holds, for conversion and printing.
enum class type : std::uint8_t { string, boolean, integer, real, string_list, int_list };

struct key_view {
    std::string_view name;
    type t;
    double min, max;
    std::span<const std::string_view> choices;
};

// Parses the text of a flag or environment variable as a value of type t
// (lists are comma-separated). Error: why, without the origin.
[[nodiscard]] base::result<raw, std::string> parse_text(type t, std::string_view text);
// Checks a raw value against a key (type, range, choices); error without origin.
[[nodiscard]] base::result<raw, std::string> check(const key_view& k, raw r);

// A TOML document's top-level keys with the raw values and their positions.
struct file_entry {
    std::string name;
    raw value;
    std::string where;  // "FILE:LINE:COL"
};
// Error: "FILE:LINE:COL: why".
[[nodiscard]] base::result<std::vector<file_entry>, std::string> read_toml(const std::string& path);
// As read_toml, from text (`path` names it in errors).
[[nodiscard]] base::result<std::vector<file_entry>, std::string> parse_toml(std::string_view text,
                                                                            const std::string& path);

template <class O>
type type_of(const typename key<O>::field& f) {
    switch (f.index()) {
        case 0: return type::string;
        case 1: return type::boolean;
        case 2:
        case 3:
        case 4: return type::integer;
        case 5: return type::real;
        case 6: return type::string_list;
        default: return type::int_list;
    }
}

// An integer field's own range, used when its key sets none.
template <class O>
std::pair<double, double> type_range(const typename key<O>::field& f) {
    switch (f.index()) {
        case 2: return {0, std::numeric_limits<std::uint16_t>::max()};
        case 3: return {0, std::numeric_limits<unsigned>::max()};
        case 4: return {0, 9007199254740992.0};  // 2^53: exact in a double
        case 7: return {std::numeric_limits<int>::min(), std::numeric_limits<int>::max()};
        default: return {0, 0};
    }
}

template <class O>
key_view view_of(const key<O>& k) {
    auto [lo, hi] = k.min == k.max ? type_range<O>(k.target) : std::pair<double, double>{k.min, k.max};
    return {k.name, type_of<O>(k.target), lo, hi, k.choices};
}

// Stores a checked value into its field.
template <class O>
void store(O& o, const key<O>& k, const raw& r) {
    std::visit(
        [&](auto member) {
            auto& f = o.*member;
            using F = std::remove_reference_t<decltype(f)>;
            if constexpr (std::is_same_v<F, std::string>) {
                f = std::get<std::string>(r.v);
            } else if constexpr (std::is_same_v<F, bool>) {
                f = std::get<bool>(r.v);
            } else if constexpr (std::is_same_v<F, double>) {
                f = std::get<double>(r.v);
            } else if constexpr (std::is_same_v<F, std::vector<std::string>>) {
                f = std::get<std::vector<std::string>>(r.v);
            } else if constexpr (std::is_same_v<F, std::vector<int>>) {
                f.clear();
                for (auto i : std::get<std::vector<std::int64_t>>(r.v)) f.push_back(static_cast<int>(i));
            } else {
                f = static_cast<F>(std::get<std::int64_t>(r.v));
            }
        },
        k.target);
}

// The TOML text of a field's current value.
template <class O>
std::string toml_of(const O& o, const key<O>& k);

std::string quote(std::string_view s);
std::string number_text(double d);

}  // namespace detail

// Finds the key named `name`, or null.
template <class O>
[[nodiscard]] const key<O>* find_key(std::span<const key<O>> keys, std::string_view name) {
    for (const auto& k : keys) {
        if (k.name == name) return &k;
    }
    return nullptr;
}

// Sets one key from text (a flag's or an environment variable's value).
// `origin` names the source in the error ("--port", "environment SHOALD_PORT").
template <class O>
[[nodiscard]] base::result<void, std::string> set_from_text(O& o, const key<O>& k, std::string_view text,
                                                            std::string_view origin) {
    const auto v = detail::view_of(k);
    auto r = detail::parse_text(v.t, text);
    if (r) r = detail::check(v, std::move(*r));
    if (!r) return base::fail(std::string(origin) + ": " + r.error());
    detail::store(o, k, *r);
    return {};
}

// Applies a TOML file's keys to `o`. Errors name FILE:LINE:COL and the key;
// on error `o` is unchanged.
template <class O>
[[nodiscard]] base::result<void, std::string> apply_file(O& o, std::span<const key<O>> keys, const std::string& path) {
    auto entries = detail::read_toml(path);
    if (!entries) return base::fail(entries.error());
    O next = o;
    for (auto& e : *entries) {
        const key<O>* k = find_key(keys, e.name);
        if (k == nullptr) return base::fail(e.where + ": unknown key '" + e.name + "'");
        auto r = detail::check(detail::view_of(*k), std::move(e.value));
        if (!r) return base::fail(e.where + ": " + e.name + ": " + r.error());
        detail::store(next, *k, *r);
    }
    o = std::move(next);
    return {};
}

// Applies every PREFIX_* variable of `env` (a null-terminated environ array).
// A PREFIX_ variable that names no key is an error.
template <class O>
[[nodiscard]] base::result<void, std::string> apply_env(O& o, std::span<const key<O>> keys, std::string_view prefix,
                                                        char** env) {
    O next = o;
    const std::string head = std::string(prefix) + "_";
    for (char** e = env; e != nullptr && *e != nullptr; ++e) {
        std::string_view entry(*e);
        if (entry.substr(0, head.size()) != head) continue;
        const auto eq = entry.find('=');
        if (eq == std::string_view::npos) continue;
        const std::string_view var = entry.substr(0, eq), text = entry.substr(eq + 1);
        const key<O>* found = nullptr;
        for (const auto& k : keys) {
            if (env_name(prefix, k.name) == var) found = &k;
        }
        if (found == nullptr) return base::fail("environment " + std::string(var) + ": no such setting");
        if (auto r = set_from_text(next, *found, text, "environment " + std::string(var)); !r) return r;
    }
    o = std::move(next);
    return {};
}

// A complete, commented TOML file of every key with its value in `o` (the
// defaults, when `o` is default-constructed). `title` opens it as comment lines.
template <class O>
[[nodiscard]] std::string print_defaults(const O& o, std::span<const key<O>> keys, std::string_view title) {
    std::string out(title);
    for (const auto& k : keys) {
        out += "\n# ";
        out += k.help;
        if (k.changes == when::reload) out += " (SIGHUP applies a change)";
        out += '\n';
        out += k.name;
        out += " = ";
        out += detail::toml_of(o, k);
        out += '\n';
    }
    return out;
}

template <class O>
std::string detail::toml_of(const O& o, const key<O>& k) {
    return std::visit(
        [&](auto member) -> std::string {
            const auto& f = o.*member;
            using F = std::remove_cvref_t<decltype(f)>;
            if constexpr (std::is_same_v<F, std::string>) {
                return quote(f);
            } else if constexpr (std::is_same_v<F, bool>) {
                return f ? "true" : "false";
            } else if constexpr (std::is_same_v<F, double>) {
                return number_text(f);
            } else if constexpr (std::is_same_v<F, std::vector<std::string>>) {
                std::string s = "[";
                for (std::size_t i = 0; i < f.size(); ++i) s += (i ? ", " : "") + quote(f[i]);
                return s + "]";
            } else if constexpr (std::is_same_v<F, std::vector<int>>) {
                std::string s = "[";
                for (std::size_t i = 0; i < f.size(); ++i) s += (i ? ", " : "") + std::to_string(f[i]);
                return s + "]";
            } else {
                return std::to_string(f);
            }
        },
        k.target);
}

}  // namespace control
