// dht/request_server.h -- serves the requests that reach this shard.
//
// Its one job is the request path: decode, validate (id, token), learn the
// sender, answer the internal commands, hand the rest to the application,
// and build every reply (reply_to is the one place response frames are made).
// A request the application says another shard owns is forwarded by
// forward(): one ring message that carries the datagram and its decoded
// layout, so the owner rebuilds the view without decoding (on_forwarded) and
// hands it straight to the application's on_owned_request.
//
// Thread safety: one shard's; every call comes from the node's entry points.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/endpoint.h"
#include "dht/detail/node_core.h"
#include "dht/node_types.h"
#include "dht/wire.h"

namespace dht {

class request_server {
public:
    explicit request_server(detail::node_core& c) noexcept : _c(c), _ctr(c._ctr) {}

    // A request datagram (type already checked).
    void on_request(std::span<const std::byte> bytes, const base::endpoint& from, std::uint16_t socket) noexcept;
    void reply_to(txn_id tid, const base::endpoint& from, std::uint16_t socket, const target* tgt,
                  const reply_opts& opts) noexcept;
    void relay(const incoming& in, std::span<const std::byte> value, const base::endpoint& to) noexcept;
    // Hands a request to shard `owner` (msg_request); false when its ring was full.
    bool forward(std::uint16_t owner, const incoming& in) noexcept;
    // A msg_request from the shard that received it.
    void on_forwarded(std::span<const std::byte> payload) noexcept;
    // A delayed ping's timer (its index) fired: answer it now.
    void delayed_ping_due(std::uint64_t index) noexcept;

private:
    struct delayed_ping {
        base::endpoint to;
        txn_id tid;
        std::uint16_t socket = 0;
        bool live = false;
    };

    void handle_internal(const incoming& in) noexcept;
    void delay_ping(const incoming& in) noexcept;
    void unknown_command(const incoming& in) noexcept;

    detail::node_core& _c;
    dht::counters& _ctr;
    std::vector<delayed_ping> _delayed;
    std::vector<std::uint32_t> _delayed_free;
    std::size_t _delayed_live = 0;
};

}  // namespace dht
