// tools/load/commands.h -- what shoal-load can send, and how to build each
// request frame. Frames are ordinary dht-rpc requests (docs/wire_format.md);
// the load generator never signs anything on the hot path.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/endpoint.h"
#include "base/random.h"
#include "dht/types.h"

namespace load {

enum class command : std::uint8_t {
    echo,       // raw bytes to an echo server (engine benchmark)
    ping,
    find_node,  // random target
    lookup,     // a topic from the configured set
    find_peer,  // a public key from the configured set
    announce,   // pre-signed records (needs tokens first)
    mutable_get,
    mutable_put,
    immutable_get,
    immutable_put,
    count_
};
inline constexpr std::size_t command_count = static_cast<std::size_t>(command::count_);

[[nodiscard]] const char* name(command c) noexcept;
[[nodiscard]] std::optional<command> parse_command(std::string_view s) noexcept;

// A weighted mix, e.g. "find_node=3,ping=1".
struct mix {
    std::array<std::uint32_t, command_count> weight{};
    std::uint32_t total = 0;
    [[nodiscard]] command pick(base::prng& r) const noexcept;
    [[nodiscard]] bool has(command c) const noexcept { return weight[static_cast<std::size_t>(c)] > 0; }
};
// Parses a mix; on error returns nullopt and sets `why`.
[[nodiscard]] std::optional<mix> parse_mix(std::string_view s, std::string& why);

}  // namespace load
