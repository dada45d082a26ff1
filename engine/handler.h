// engine/handler.h -- the interface an application implements on the engine.
//
// Each shard owns its handlers (built by the application's factory on the
// shard's thread) and calls them only from that thread. A handler sees bytes
// and endpoints, never sockets or io_uring.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>

#include "base/endpoint.h"
#include "base/shard.h"
#include "base/time.h"

namespace engine {

class shard;

// One received datagram. `data` is BORROWED from a receive buffer that is
// recycled when the handler returns: copy what you keep.
struct datagram {
    std::span<const std::byte> data;
    base::endpoint from;
    std::uint16_t socket = 0;  // index of the receiving socket within its shard
    base::mono_time now;
};

// A cross-shard message. It owns its bytes (inline up to `inline_bytes`, on the
// heap above that) and never points at shard-owned objects (Seastar foreign_ptr).
class message {
public:
    static constexpr std::size_t inline_bytes = 224;
    static constexpr std::uint32_t forwarded_datagram = 0xffffffffu;  // engine-internal

    std::uint32_t type = 0;    // application-defined (forwarded_datagram is reserved)
    std::uint8_t kind = 0;     // which handler receives it
    std::uint16_t socket = 0;  // context: e.g. the socket a request arrived on
    std::uint64_t arg = 0;     // application-defined
    base::endpoint from;       // context: e.g. the original sender
    base::shard_id source;     // the posting shard (set by the engine)

    [[nodiscard]] std::span<const std::byte> bytes() const noexcept {
        return {_heap ? _heap.get() : _inline.data(), _size};
    }
    // Copies b in. REQUIRES: b.size() <= max_datagram + some header; allocates above inline_bytes.
    void assign(std::span<const std::byte> b) {
        if (b.size() > inline_bytes) {
            _heap = std::make_unique<std::byte[]>(b.size());
            std::memcpy(_heap.get(), b.data(), b.size());
        } else {
            _heap.reset();
            if (!b.empty()) std::memcpy(_inline.data(), b.data(), b.size());
        }
        _size = static_cast<std::uint32_t>(b.size());
    }
    void release() noexcept {
        _heap.reset();
        _size = 0;
    }

private:
    std::uint32_t _size = 0;
    std::unique_ptr<std::byte[]> _heap;
    std::array<std::byte, inline_bytes> _inline;
};

class handler {
public:
    virtual ~handler() = default;
    // Once, on the shard's thread, before any other call.
    virtual void on_start(shard&) noexcept {}
    // A datagram of this handler's kind.
    virtual void on_packet(shard&, const datagram&) noexcept = 0;
    // A timer armed with this handler's kind fired.
    virtual void on_timer(shard&, std::uint64_t /*cookie*/, base::mono_time /*now*/) noexcept {}
    // A message posted to this shard with this handler's kind.
    virtual void on_message(shard&, const message&) noexcept {}
    // Once, when the engine stops; sends queued here are still flushed.
    virtual void on_stop(shard&) noexcept {}
};

}  // namespace engine
