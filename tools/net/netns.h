// tools/net/netns.h -- packet loss for process mode: the whole network in a
// network namespace of its own, with a lossy loopback.
//
// isolate_with_loss() moves this process into a fresh network namespace
// (unshare(CLONE_NEWNET)), brings its `lo` up and makes it drop `percent` of
// the datagrams, preferably with `tc qdisc add dev lo root netem loss P%`.
// Kernels built without netem (CONFIG_NET_SCH_NETEM) refuse that qdisc; then
// an nftables rule in the namespace drops the same share at random on input
// (`numgen random`), if the nft tool is installed. Every child started
// afterwards (shoald, node, and the client's sockets) lives in the namespace,
// and the host's own `lo` is never touched.
//
// Nothing needs cleaning up: the namespace has no name and vanishes with
// its last process, and every child dies with us (children.h).
//
// REQUIRES: root (CAP_SYS_ADMIN and CAP_NET_ADMIN), and no other thread yet:
// unshare() moves only the calling thread, and threads started afterwards
// inherit its namespace.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"

namespace net {

enum class loss_method : std::uint8_t { netem, nftables };

// Returns how the loss is applied, or why it cannot be.
[[nodiscard]] base::result<loss_method, std::string> isolate_with_loss(double percent);

// "netns + tc netem" / "netns + nftables".
[[nodiscard]] const char* to_string(loss_method m) noexcept;

// What the kernel counted on the lossy loopback: UDP datagrams that reached
// the loss point and how many of them it dropped (a check that the loss
// asked for is the loss applied). REQUIRES: isolate_with_loss() succeeded.
struct loss_counts {
    std::uint64_t seen = 0, dropped = 0;
};
[[nodiscard]] base::result<loss_counts, std::string> read_loss_counts(loss_method m);

}  // namespace net
