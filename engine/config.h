// engine/config.h -- how an engine is built: shards, sockets, backend, steering.
//
// Read once at start-up by engine::create(); nothing here changes while running.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "base/endpoint.h"
#include "base/shard.h"

namespace engine {

// Largest datagram the engine hands to a handler or sends. HyperDHT peers
// receive into 2048-byte buffers (libudx), so nothing larger is useful; larger
// arrivals are dropped and counted (`drop_oversize`).
inline constexpr std::size_t max_datagram = 2048;

enum class backend_kind : std::uint8_t {
    automatic,  // io_uring when a start-up probe shows every needed feature, else epoll
    io_uring,   // fail start-up if io_uring cannot be used
    epoll,      // epoll + recvmmsg/sendmmsg
};

enum class send_mode : std::uint8_t {
    sqe_batch,  // io_uring: one SENDMSG SQE per datagram, submitted with the wait
    sendmmsg,   // one sendmmsg(2) per socket per loop iteration (always used by epoll)
};

// Kernel-assisted flow steering (see docs/architecture.md, "Flow steering").
// Datagrams whose first byte is `first_byte` carry a u16le at `offset`; the
// shard that owns them is `value % shards`. The engine attaches this rule as a
// SO_ATTACH_REUSEPORT_CBPF program to each socket group (when `kernel` is set
// and the kernel accepts it) and also applies it in software: a matching
// datagram that still lands on another shard is forwarded over the rings.
struct steering_rule {
    bool enabled = false;
    std::uint8_t first_byte = 0;
    std::uint16_t offset = 0;
    bool kernel = true;
};

// Sorts a datagram into a packet kind (an index into the shard's handlers), or
// returns `drop_kind`. Called for every datagram; must be cheap and noexcept.
inline constexpr std::uint8_t drop_kind = 0xff;
using classifier = std::uint8_t (*)(std::span<const std::byte> datagram) noexcept;

struct config {
    std::uint16_t shards = 1;
    // Pin shard i to cpus[i % cpus.size()]; empty means no pinning.
    std::vector<int> cpus;
    backend_kind backend = backend_kind::automatic;
    // sendmmsg costs ~7% less CPU per reply than SQE batches on the echo
    // benchmark (scripts/bench.sh engine, docs/benchmarks.md), at the same rate.
    send_mode sends = send_mode::sendmmsg;

    // Every shard opens one socket per endpoint here, all with SO_REUSEPORT, so
    // the kernel spreads flows over the shards. Port 0 picks one free port that
    // all shards then share.
    std::vector<base::endpoint> binds;
    // Optional extra sockets private to one shard (e.g. the load generator's
    // many source addresses). Called once per shard at start-up.
    std::function<std::vector<base::endpoint>(base::shard_id)> private_binds;

    std::uint32_t recv_buffers = 2048;  // per shard, a power of two (io_uring buffer ring)
    std::uint32_t send_slots = 4096;    // per shard: datagrams queued or in flight
    std::uint32_t ring_capacity = 256;  // per (from, to) shard pair, a power of two
    std::uint32_t batch = 64;           // datagrams per recvmmsg/sendmmsg call
    std::uint32_t poll_budget = 1024;   // datagrams handled per loop iteration at most
    int socket_buffer_bytes = 4 << 20;  // SO_RCVBUF/SO_SNDBUF request

    steering_rule steering;
    // Send from a second socket per shard on the same address (joined to the
    // SO_REUSEPORT group after the reuseport program, which never picks it).
    // Nothing waits on a send-only socket, so freeing sent datagrams wakes no
    // one; on the receive socket every send would wake the io_uring/epoll
    // wait entry. Falls back to one socket when the kernel refuses the program.
    bool send_sockets = true;
    classifier classify = nullptr;  // nullptr: every datagram is kind 0
};

}  // namespace engine
