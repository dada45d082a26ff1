#include "tools/daemon/service_notify.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <algorithm>
#include <cstdlib>

namespace tools::daemon {

namespace {

// A shard whose loop count has not moved for this long is stuck: every shard
// wakes at least for its node's 5 s tick.
constexpr std::chrono::seconds stuck_after{10};

std::uint64_t loops_of(const engine::shard& sh) {
    for (std::size_t b = 0; b < sh.metric_blocks(); ++b) {
        if (sh.metric_block(b).is<engine::ctr>()) {
            return sh.metric_block(b).value(static_cast<std::size_t>(engine::ctr::loop_iterations));
        }
    }
    return 0;
}

}  // namespace

service_notify::service_notify() {
    _active = std::getenv("NOTIFY_SOCKET") != nullptr;
    std::uint64_t usec = 0;
    if (_active && sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
        _watchdog = std::chrono::microseconds(usec / 2);
        _next_watchdog = std::chrono::steady_clock::now() + _watchdog;
        spdlog::info("systemd watchdog: a ping every {} ms while every shard loop turns", usec / 2000);
    }
}

void service_notify::send(const std::string& state) {
    if (_active && sd_notify(0, state.c_str()) < 0) spdlog::warn("sd_notify failed: {}", state);
}

void service_notify::poll(const node_service& s, const std::string& not_ready_reason) {
    if (!_active) return;
    const node_status st = s.status();
    if (!_ready && st.bootstrapped) {
        _ready = true;
        send("READY=1");
    }
    std::string status = (not_ready_reason.empty() ? "ready" : "not ready: " + not_ready_reason) + "; table " +
                         std::to_string(st.table_size) + " nodes";
    if (status != _status) {
        _status = status;
        send("STATUS=" + status);
    }
    if (_watchdog.count() == 0) return;
    const auto now = std::chrono::steady_clock::now();
    const auto& e = s.metrics_source();
    _shards.resize(e.shard_count(), progress{0, now});
    for (std::uint16_t i = 0; i < e.shard_count(); ++i) {
        const std::uint64_t n = loops_of(e.shard_at(i));
        if (n != _shards[i].loops) _shards[i] = {n, now};
    }
    if (now < _next_watchdog) return;
    _next_watchdog = now + _watchdog;
    bool all_turned = true;
    for (std::size_t i = 0; i < _shards.size(); ++i) {
        if (now - _shards[i].changed > stuck_after) {
            spdlog::error("shard {} has not gone round its loop for {} s: no watchdog ping", i,
                          std::chrono::duration_cast<std::chrono::seconds>(now - _shards[i].changed).count());
            all_turned = false;
        }
    }
    if (all_turned) send("WATCHDOG=1");
}

std::chrono::milliseconds service_notify::wait(std::chrono::milliseconds most) const {
    if (_watchdog.count() == 0) return most;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(_next_watchdog - std::chrono::steady_clock::now());
    return std::clamp(left, std::chrono::milliseconds(1), most);
}

void service_notify::reloading() { send("RELOADING=1"); }
void service_notify::reloaded() { send("READY=1"); }
void service_notify::stopping() { send("STOPPING=1"); }

}  // namespace tools::daemon
