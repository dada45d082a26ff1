#include "engine/detail/backend.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include "engine/detail/socket.h"
#include "engine/shard.h"

namespace engine::detail {

send_pool::send_pool(std::uint32_t n) : _slots(std::make_unique<send_slot[]>(n)) {
    _free.reserve(n);
    for (std::uint32_t i = n; i-- > 0;) _free.push_back(i);
}

void backend::deliver(std::span<const std::byte> data, const sockaddr* sa, socklen_t len,
                      std::uint16_t socket) noexcept {
    auto from = from_sockaddr(sa, len);
    if (!from) {
        _shard._counters.inc(ctr::drop_recv_invalid);
        return;
    }
    _shard.deliver(data, *from, socket);
}

send_pool& backend::pool() noexcept { return *_shard._pool; }
shard_counters& backend::counters() noexcept { return _shard._counters; }
void backend::refresh_now() noexcept { _shard._now = base::mono_clock::now(); }
const config& backend::cfg() const noexcept { return _shard._cfg; }

void backend::on_wakeup() noexcept {
    std::uint64_t v;
    ssize_t rc = ::read(_shard._wake_fd, &v, sizeof v);
    (void)rc;  // EAGAIN: already drained
    _shard._sleeping.store(false, std::memory_order_relaxed);
    _shard._counters.inc(ctr::wakeups);
}

}  // namespace engine::detail
