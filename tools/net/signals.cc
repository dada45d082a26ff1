#include "tools/net/signals.h"

#include <signal.h>

#include <ctime>

namespace net {

namespace {

sigset_t stop_set() noexcept {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGINT);
    sigaddset(&s, SIGTERM);
    sigaddset(&s, SIGHUP);
    return s;
}

}  // namespace

void signal_watch::install() noexcept {
    const sigset_t s = stop_set();
    pthread_sigmask(SIG_BLOCK, &s, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
}

bool signal_watch::wait(std::chrono::nanoseconds d) noexcept {
    if (_sig) return true;
    const sigset_t s = stop_set();
    if (d.count() < 0) d = std::chrono::nanoseconds(0);
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(d);
    timespec ts{static_cast<time_t>(secs.count()), static_cast<long>((d - secs).count())};
    // EAGAIN: the time passed. EINTR (some other signal's handler ran) ends
    // the wait early, which every caller's loop tolerates.
    const int sig = sigtimedwait(&s, nullptr, &ts);
    if (sig > 0) _sig = sig;
    return _sig != 0;
}

}  // namespace net
