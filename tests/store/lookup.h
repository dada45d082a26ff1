// tests/store/lookup.h -- a test's view of a LOOKUP sample: the records
// record_store::sample() picks, decoded from what write_sample() writes.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>

#include "store/record_store.h"

namespace test {

// Up to out.size() records of t (a uniformly random subset when there are
// more); returns how many were written.
inline std::size_t lookup(const store::record_store& s, const store::target& t, std::span<store::peer_record> out,
                          base::prng& rnd) {
    const auto plan = s.sample(t, out.size(), rnd);
    std::array<std::byte, 64 * store::record_store::max_wire_record> buf;
    const std::size_t used = s.write_sample(plan, buf);
    std::span<const std::byte> rest(buf.data(), used);
    for (std::size_t i = 0; i < plan.count; ++i) {
        store::peer_record& r = out[i];
        r.pk = crypto::public_key::from_span(rest.first(32));
        r.relay_count = std::to_integer<std::uint8_t>(rest[32]);
        for (std::size_t j = 0; j < r.relay_count; ++j) {
            const auto b = [&](std::size_t k) { return std::to_integer<std::uint8_t>(rest[33 + 6 * j + k]); };
            r.relays[j] = base::endpoint::v4(b(0), b(1), b(2), b(3), static_cast<std::uint16_t>(b(4) | b(5) << 8));
        }
        rest = rest.subspan(33 + 6 * std::size_t{r.relay_count});
    }
    return plan.count;
}

// The sample written in wire form into `out`, which caps the count at
// out.size() / max_wire_record.
struct wire_sample {
    std::size_t count = 0;  // records written
    std::size_t bytes = 0;  // bytes of out used
    std::uint64_t bump = 0;
};
inline wire_sample lookup_wire(const store::record_store& s, const store::target& t, std::size_t max,
                               std::span<std::byte> out, base::prng& rnd) {
    const auto plan = s.sample(t, std::min(max, out.size() / store::record_store::max_wire_record), rnd);
    return {plan.count, s.write_sample(plan, out), plan.bump};
}

}  // namespace test
