#include "tools/load/commands.h"

#include <charconv>

namespace load {

namespace {
constexpr std::array<const char*, command_count> names = {
    "echo", "ping", "find_node", "lookup", "find_peer", "announce",
    "mutable_get", "mutable_put", "immutable_get", "immutable_put"};
}

const char* name(command c) noexcept { return names[static_cast<std::size_t>(c)]; }

std::optional<command> parse_command(std::string_view s) noexcept {
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (s == names[i]) return static_cast<command>(i);
    }
    return std::nullopt;
}

command mix::pick(base::prng& r) const noexcept {
    auto x = static_cast<std::uint32_t>(r.below(total));
    for (std::size_t i = 0; i < weight.size(); ++i) {
        if (x < weight[i]) return static_cast<command>(i);
        x -= weight[i];
    }
    return command::ping;
}

std::optional<mix> parse_mix(std::string_view s, std::string& why) {
    mix m;
    while (!s.empty()) {
        auto comma = s.find(',');
        auto item = s.substr(0, comma);
        s = comma == std::string_view::npos ? std::string_view{} : s.substr(comma + 1);
        auto eq = item.find('=');
        auto cmd = parse_command(item.substr(0, eq));
        if (!cmd) {
            why = "unknown command '" + std::string(item.substr(0, eq)) + "' in --mix";
            return std::nullopt;
        }
        std::uint32_t w = 1;
        if (eq != std::string_view::npos) {
            auto num = item.substr(eq + 1);
            auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), w);
            if (ec != std::errc{} || p != num.data() + num.size() || w > 1'000'000) {
                why = "bad weight '" + std::string(num) + "' in --mix";
                return std::nullopt;
            }
        }
        m.weight[static_cast<std::size_t>(*cmd)] += w;
        m.total += w;
    }
    if (m.total == 0) {
        why = "--mix has no command with a positive weight";
        return std::nullopt;
    }
    return m;
}

}  // namespace load
