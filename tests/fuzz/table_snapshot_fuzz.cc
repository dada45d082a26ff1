// Fuzzes the routing table snapshot decoder (a file from disk is untrusted):
// whatever decodes must encode back to the same bytes.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "tests/fuzz/fuzz.h"
#include "tools/daemon/table_snapshot.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data), size);
    auto s = tools::daemon::decode_snapshot(in);
    if (!s) return 0;
    const auto again = tools::daemon::encode_snapshot(*s);
    if (again.size() != size || !std::equal(again.begin(), again.end(), in.begin())) std::abort();
    return 0;
}
