// Fuzzes the configuration reader: any text through the TOML parser and
// shoald's key table must give options or an error naming where -- never a
// crash, whatever the file holds.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "control/config.h"
#include "tests/fuzz/fuzz.h"
#include "tools/daemon/options.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto entries = control::detail::parse_toml(text, "fuzz.toml");
    if (!entries) {
        if (entries.error().rfind("fuzz.toml:", 0) != 0) std::abort();  // errors say where
        return 0;
    }
    tools::daemon::options o;
    for (auto& e : *entries) {
        const auto* k = control::find_key(tools::daemon::keys(), e.name);
        if (k == nullptr) continue;
        auto r = control::detail::check(control::detail::view_of(*k), std::move(e.value));
        if (r) control::detail::store(o, *k, *r);
    }
    return 0;
}
