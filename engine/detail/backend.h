// engine/detail/backend.h -- what a shard needs from an I/O backend, and the
// send-slot pool both backends share.
//
// A backend belongs to one shard and runs only on its thread.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/config.h"
#include "engine/counters.h"

namespace engine {
class shard;
}

namespace engine::detail {

// One outgoing datagram: the bytes and everything sendmsg needs, kept stable
// in memory until the kernel has taken the datagram.
struct send_slot {
    msghdr hdr;
    iovec iov;
    sockaddr_storage addr;
    std::uint16_t socket;
    std::uint16_t len;
    alignas(64) std::byte data[max_datagram];
};

class send_pool {
public:
    explicit send_pool(std::uint32_t n);
    // A free slot index, or UINT32_MAX when all are queued or in flight.
    [[nodiscard]] std::uint32_t acquire() noexcept {
        if (_free.empty()) return UINT32_MAX;
        std::uint32_t i = _free.back();
        _free.pop_back();
        return i;
    }
    void release(std::uint32_t i) noexcept { _free.push_back(i); }
    [[nodiscard]] send_slot& operator[](std::uint32_t i) noexcept { return _slots[i]; }
    [[nodiscard]] std::size_t available() const noexcept { return _free.size(); }

private:
    std::unique_ptr<send_slot[]> _slots;
    std::vector<std::uint32_t> _free;
};

class backend {
public:
    explicit backend(shard& s) noexcept : _shard(s) {}
    virtual ~backend() = default;
    backend(const backend&) = delete;
    backend& operator=(const backend&) = delete;

    // Sets up on the shard's thread: receives on fds[i], sends what socket i
    // sends from send_fds[i] (the same fd, or a send-only twin on the same
    // address). Returns an empty string or an error.
    [[nodiscard]] virtual std::string init(std::span<const int> fds, std::span<const int> send_fds, int wake_fd) = 0;
    // Takes a filled slot; releases it to the pool once the kernel has it.
    virtual void queue_send(std::uint32_t slot) noexcept = 0;
    // Submits queued sends, then waits up to timeout_ns (-1: until something
    // happens; 0: not at all) and delivers what arrived to the shard.
    virtual void poll(std::int64_t timeout_ns) noexcept = 0;
    // Sends whatever is still queued, waiting briefly for in-flight sends (at stop).
    virtual void drain() noexcept = 0;

protected:
    void deliver(std::span<const std::byte> data, const sockaddr* sa, socklen_t len, std::uint16_t socket) noexcept;
    [[nodiscard]] send_pool& pool() noexcept;
    [[nodiscard]] shard_counters& counters() noexcept;
    [[nodiscard]] const config& cfg() const noexcept;
    void on_wakeup() noexcept;
    // Re-reads the shard's clock. Called after a wait that may have slept, so
    // the datagrams it delivers carry the time they arrived, not the time the
    // loop iteration began (which made a lookup's round trip read as 0).
    void refresh_now() noexcept;

    shard& _shard;
};

[[nodiscard]] std::unique_ptr<backend> make_uring_backend(shard& s);
[[nodiscard]] std::unique_ptr<backend> make_epoll_backend(shard& s);

}  // namespace engine::detail
