#include "tools/load/populate.h"

#include <array>

#include "dht/ids.h"

namespace load {

std::vector<base::endpoint> plan_fake_nodes(const base::endpoint& target, std::size_t count, std::size_t k) {
    std::vector<base::endpoint> out;
    if (count == 0) return out;
    const dht::node_id tid = dht::id_of(target);
    std::array<std::size_t, 256> rows{};
    for (unsigned a = 200; a <= 255 && out.size() < count; ++a) {
        for (unsigned b = 0; b <= 255 && out.size() < count; ++b) {
            for (unsigned c = 1; c <= 254 && out.size() < count; ++c) {
                auto ep = base::endpoint::v4(127, static_cast<std::uint8_t>(a), static_cast<std::uint8_t>(b),
                                             static_cast<std::uint8_t>(c), 20000);
                const int row = dht::first_diff_bit(dht::id_of(ep), tid);
                if (rows[static_cast<std::size_t>(row)] >= k) continue;
                ++rows[static_cast<std::size_t>(row)];
                out.push_back(ep);
            }
        }
    }
    return out;
}

}  // namespace load
