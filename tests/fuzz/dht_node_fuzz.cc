// Fuzzes dht::node as a whole, with the HyperDHT handler attached
// (libtorrent fuzzers/src/dht_node.cpp): every datagram a peer could send,
// from a few source addresses, to a persistent node that has requests of its
// own outstanding (so responses can match).
// Input: a sequence of records [src:u8][len:u16le][bytes]; src picks the
// sender and whether the record is a datagram or a cross-shard message.
#include <array>
#include <cstdint>
#include <memory>

#include "base/byte_reader.h"
#include "hyperdht/hyperdht.h"
#include "dht/node.h"
#include "tests/fuzz/fuzz.h"

namespace {

struct null_host final : dht::host {
    void send(const base::endpoint&, std::span<const std::byte> d, std::uint16_t) noexcept override {
        // Everything we send must itself be a frame we can decode.
        if (d.size() > dht::max_datagram) __builtin_trap();
        if (!dht::frame_type(d)) __builtin_trap();
    }
    bool post(std::uint16_t, std::uint32_t, std::span<const std::byte>) noexcept override { return false; }
};

const base::endpoint senders[] = {
    *base::endpoint::parse("10.0.0.1:49737"), *base::endpoint::parse("10.0.0.2:49737"),
    *base::endpoint::parse("127.0.0.1:1"),   *base::endpoint::parse("192.168.1.20:65535"),
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    null_host host;
    auto now = base::from_ns(1'000'000'000'000);
    dht::node_config cfg;
    cfg.mode = dht::persistence::public_address;
    cfg.public_address = *base::endpoint::parse("127.0.0.1:10001");
    cfg.bootstrap = {senders[0], senders[1]};
    cfg.shards = 2;  // exercise the replication messages too
    cfg.seed = 7;
    dht::node n(cfg, host, now);
    dht::hyperdht app(n, dht::hyperdht_config{});  // the HyperDHT commands too
    n.set_app(&app);
    n.start(now);  // starts a bootstrap query: requests to senders[0..1] are outstanding
    base::byte_reader r(std::span(reinterpret_cast<const std::byte*>(data), size));
    while (!r.empty()) {
        auto src = r.read_u8();
        auto len = r.read_u16le();
        if (!src || !len) break;
        auto bytes = r.read_bytes(std::min<std::size_t>(*len, r.remaining()));
        if (!bytes) break;
        now += base::milliseconds(*src & 0x10 ? 800 : 1);
        if (*src & 0x80) {
            n.on_message(*src & 0x0f, *bytes, now);
        } else {
            n.on_datagram(*bytes, senders[*src & 3], 0, now);
        }
        n.on_timer(now);
    }
    return 0;
}
