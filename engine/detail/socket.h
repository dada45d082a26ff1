// engine/detail/socket.h -- UDP socket set-up and sockaddr conversion.
// Called on the engine's creating thread at start-up, and (conversions) on shards.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <optional>
#include <string>

#include "base/endpoint.h"
#include "base/result.h"
#include "engine/config.h"

namespace engine::detail {

// Fills `out` for `e`; returns the address length.
socklen_t to_sockaddr(const base::endpoint& e, sockaddr_storage& out) noexcept;
// nullopt for a family the engine does not handle.
[[nodiscard]] std::optional<base::endpoint> from_sockaddr(const sockaddr* sa, socklen_t len) noexcept;

// A non-blocking, close-on-exec UDP socket with SO_REUSEPORT, bound to `at`.
[[nodiscard]] base::result<int, std::string> open_udp(const base::endpoint& at, int buffer_bytes);
// The address a socket is bound to (resolves port 0).
[[nodiscard]] base::result<base::endpoint, std::string> local_address(int fd);
// Fails with a clear message when something already holds `at` (another
// process's SO_REUSEPORT group would otherwise silently share our traffic).
[[nodiscard]] base::result<void, std::string> check_port_free(const base::endpoint& at);
// check_port_free, tried again every 5 ms for up to `limit` while the port is
// in use. A process killed with SIGKILL while io_uring requests were armed on
// its sockets releases them only when the kernel has torn its ring down, a few
// milliseconds after the process is gone; a supervisor restarting it at once
// must not see "Address already in use" for that.
[[nodiscard]] base::result<void, std::string> wait_port_free(const base::endpoint& at,
                                                             std::chrono::milliseconds limit);
// Attaches a classic-BPF reuseport program to the group `fd` belongs to: it
// steers datagrams matching `rule` (if enabled) to their owning shard and
// hashes everything else over the first `shards` sockets of the group, never
// beyond. Returns an error string if the kernel refuses.
[[nodiscard]] base::result<void, std::string> attach_steering(int fd, const steering_rule& rule, std::uint16_t shards);

}  // namespace engine::detail
