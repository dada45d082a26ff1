#include "dht/ids.h"

#include "base/byte_writer.h"
#include "base/hash.h"
#include "crypto/hash.h"
#include "dht/compact.h"

namespace dht {

node_id id_of(const base::endpoint& e) noexcept {
    std::array<std::byte, 6> addr;
    base::byte_writer w(addr);
    ce::write_addr4(w, e);
    return node_id(crypto::blake2b_256(addr).array());
}

id_cache::id_cache(std::size_t slots) {
    std::size_t n = 16;
    while (n < slots) n <<= 1;
    _slots.resize(n);
    _mask = n - 1;
}

const node_id& id_cache::get(const base::endpoint& e) noexcept {
    const std::uint64_t key = e.key();
    // Seeded mixing so a peer cannot aim many addresses at one slot.
    entry& s = _slots[(key * 0x9E3779B97F4A7C15ull ^ base::hash_seed()) >> 20 & _mask];
    if (s.key != key) {
        s.key = key;
        s.id = id_of(e);
    }
    return s.id;
}

}  // namespace dht
