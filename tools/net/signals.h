// tools/net/signals.h -- SIGINT/SIGTERM/SIGHUP as a condition the main loop polls.
//
// install() blocks the three signals and ignores SIGPIPE in the calling
// thread; call it first in main(), before any thread exists, so every engine
// thread inherits the mask and the signals can only be taken synchronously by
// the main thread's wait(). Children reset their mask before exec
// (children.h). Thread safety: main thread only.
#pragma once

#include <chrono>

namespace net {

class signal_watch {
public:
    // Blocks the stop signals in this thread (and so in threads it starts).
    void install() noexcept;
    // Sleeps up to `d` (0: just polls). Returns true once a stop signal has
    // arrived, now or earlier.
    bool wait(std::chrono::nanoseconds d) noexcept;
    [[nodiscard]] bool stopped() const noexcept { return _sig != 0; }
    // The signal that arrived, or 0.
    [[nodiscard]] int signal() const noexcept { return _sig; }

private:
    int _sig = 0;
};

}  // namespace net
