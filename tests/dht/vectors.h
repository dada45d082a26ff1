// Loads the reference vectors copied into tests/dht/vectors/.
#pragma once

#include <nlohmann/json.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "base/fixed_bytes.h"

namespace test {

inline nlohmann::json load_vectors(const std::string& name) {
    std::ifstream in(std::string(SHOAL_VECTORS_DIR) + "/" + name);
    return nlohmann::json::parse(in);
}

inline std::vector<std::byte> unhex(const std::string& h) {
    std::string raw;
    if (!base::from_hex(h, raw)) return {};
    std::vector<std::byte> out(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) out[i] = std::byte(static_cast<unsigned char>(raw[i]));
    return out;
}

inline std::string hex(std::span<const std::byte> b) { return base::to_hex(b); }

}  // namespace test
