#include "tools/net/process_set.h"

#include <signal.h>

#include <cstdio>

namespace net {

namespace {

constexpr int max_restart_retries = 5;
constexpr auto restart_retry_delay = std::chrono::milliseconds(300);
constexpr auto poll_step = std::chrono::milliseconds(20);

}  // namespace

process_set::process_set(std::string what, supervisor& sup, liveness& truth, std::vector<process_node> nodes,
                         std::chrono::milliseconds start_timeout, ready_check check)
    : _what(std::move(what)),
      _sup(sup),
      _truth(truth),
      _nodes(std::move(nodes)),
      _st(_nodes.size()),
      _timeout(start_timeout),
      _check(std::move(check)) {}

base::result<void, std::string> process_set::launch(std::size_t i) {
    auto& st = _st[i];
    st.log_scan = file_size(_nodes[i].spec.log_path);  // earlier incarnations' lines do not count
    auto h = _sup.spawn(_nodes[i].spec);
    if (!h) return base::fail(h.error());
    st.handle = *h;
    st.has_child = true;
    st.at = phase::starting;
    ++_spawns;
    return {};
}

bool process_set::saw_marker(std::size_t i) {
    const auto log = read_file_from(_nodes[i].spec.log_path, _st[i].log_scan);
    return log.find(_nodes[i].ready_marker) != std::string::npos;
}

void process_set::on_listening(std::size_t i, base::mono_time now) {
    auto& st = _st[i];
    st.at = phase::up;
    st.retries = 0;
    if (!st.in_truth) {
        st.truth = _truth.add(_nodes[i].addr, now);
        st.in_truth = true;
    } else {
        _truth.up(st.truth, now);
    }
}

base::result<void, std::string> process_set::start(signal_watch& sig) {
    std::vector<std::size_t> all;
    for (std::size_t i = 0; i < _nodes.size(); ++i) all.push_back(i);
    if (_first_alone && !all.empty()) {
        if (auto r = launch(0); !r) return r;
        if (auto r = wait_listening({0}, sig); !r) return r;
        all.erase(all.begin());
    }
    for (auto i : all) {
        if (auto r = launch(i); !r) return r;
    }
    if (auto r = wait_listening(all, sig); !r) return r;
    _initial = false;
    return {};
}

base::result<void, std::string> process_set::wait_listening(const std::vector<std::size_t>& which, signal_watch& sig) {
    const auto deadline = base::mono_clock::now() + _timeout;
    for (;;) {
        const auto now = base::mono_clock::now();
        std::size_t waiting = 0;
        for (auto i : which) {
            auto& st = _st[i];
            if (st.at != phase::starting) continue;
            const auto& n = _nodes[i];
            if (saw_marker(i)) {
                if (_check) {
                    if (auto r = _check(n, read_file_from(n.spec.log_path, st.log_scan)); !r) {
                        return base::fail(_what + " " + n.addr.to_string() + ": " + r.error());
                    }
                }
                on_listening(i, now);
                continue;
            }
            if (auto status = _sup.poll_exit(st.handle)) {
                st.has_child = false;
                return base::fail(_what + " " + n.addr.to_string() + " exited during start-up (" + describe_status(*status) +
                                  "); its log (" + n.spec.log_path + ") ends:\n" + read_file_tail(n.spec.log_path));
            }
            ++waiting;
        }
        if (waiting == 0) return {};
        if (now >= deadline) {
            return base::fail(std::to_string(waiting) + " " + _what + "(s) not listening after " +
                              std::to_string(_timeout.count()) + " ms (see the logs in " +
                              _nodes[which.front()].spec.log_path + "'s directory)");
        }
        if (sig.wait(poll_step)) return base::fail(std::string("interrupted"));
    }
}

void process_set::kill(std::size_t i, base::mono_time now) {
    auto& st = _st[i];
    if (st.at != phase::up) return;
    if (st.has_child) _sup.signal(st.handle, SIGKILL);
    st.at = phase::down;
    _truth.down(st.truth, now);
    ++_kills;
}

void process_set::restart(std::size_t i, base::mono_time now) {
    auto& st = _st[i];
    if (st.at == phase::up || st.at == phase::starting) return;
    if (st.has_child) {
        // The killed child must be gone before its port can be bound again.
        _sup.stop({st.handle}, std::chrono::milliseconds(0));
        st.has_child = false;
    }
    st.retries = 0;
    if (auto r = launch(i); !r) {
        std::fprintf(stderr, "shoal-net: cannot restart %s %s: %s\n", _what.c_str(), _nodes[i].addr.to_string().c_str(),
                     r.error().c_str());
        st.at = phase::down;
        ++_unexpected;
    }
    (void)now;
}

void process_set::handle_exits(base::mono_time now) {
    for (std::size_t i = 0; i < _nodes.size(); ++i) {
        auto& st = _st[i];
        if (!st.has_child) continue;
        auto status = _sup.poll_exit(st.handle);
        if (!status) continue;
        st.has_child = false;
        switch (st.at) {
            case phase::down:
            case phase::idle: break;  // killed by us
            case phase::starting:
                if (st.retries < max_restart_retries) {
                    ++st.retries;
                    ++_restart_retries;
                    st.retry_at = now + restart_retry_delay;
                } else {
                    st.at = phase::down;
                    ++_unexpected;
                    std::fprintf(stderr, "shoal-net: %s %s did not restart (%s)\n", _what.c_str(),
                                 _nodes[i].addr.to_string().c_str(), describe_status(*status).c_str());
                }
                break;
            case phase::up:
                st.at = phase::down;
                _truth.down(st.truth, now);
                ++_unexpected;
                std::fprintf(stderr, "shoal-net: %s %s exited on its own (%s)\n", _what.c_str(),
                             _nodes[i].addr.to_string().c_str(), describe_status(*status).c_str());
                break;
        }
    }
}

void process_set::poll(base::mono_time now) {
    handle_exits(now);
    for (std::size_t i = 0; i < _nodes.size(); ++i) {
        auto& st = _st[i];
        if (st.at != phase::starting) continue;
        if (st.has_child) {
            if (saw_marker(i)) on_listening(i, now);
        } else if (now >= st.retry_at) {
            if (auto r = launch(i); !r) {
                st.at = phase::down;
                ++_unexpected;
            }
        }
    }
}

std::vector<std::size_t> process_set::child_handles() const {
    std::vector<std::size_t> v;
    for (const auto& st : _st) {
        if (st.has_child) v.push_back(st.handle);
    }
    return v;
}

void process_set::stop() noexcept {
    _sup.stop(child_handles(), std::chrono::milliseconds(3000));
    for (auto& st : _st) {
        st.has_child = false;
        if (st.at != phase::idle) st.at = phase::down;
    }
}

nlohmann::json process_set::counters() const {
    return {{"processes_started", _spawns},
            {"kills", _kills},
            {"restart_retries", _restart_retries},
            {"unexpected_exits", _unexpected}};
}

}  // namespace net
