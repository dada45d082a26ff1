// dht/host.h -- how a sans-I/O dht::node reaches the outside world.
//
// The daemon implements this on the engine (tools/shoald); the simulation
// implements it over a fake network. The node calls it only from its own
// shard's thread, and never re-entrantly from inside these calls.
#pragma once

#include <cstdint>
#include <span>

#include "base/endpoint.h"

namespace dht {

class host {
public:
    virtual ~host() = default;
    // Sends one datagram (<= 2048 bytes) from local socket `socket`
    // (0 = the shared server socket, 1 = the primary's client socket).
    virtual void send(const base::endpoint& to, std::span<const std::byte> datagram, std::uint16_t socket) noexcept = 0;
    // Posts a message to shard `to` of the same node (never to itself).
    // Returns false when it could not be queued (the ring to `to` is full):
    // the message is lost, and the caller counts it.
    [[nodiscard]] virtual bool post(std::uint16_t to, std::uint32_t type, std::span<const std::byte> payload) noexcept = 0;
};

}  // namespace dht
