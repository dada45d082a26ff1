#include "tools/daemon/routines.h"

#include <array>
#include <cmath>
#include <cstdlib>

namespace tools::daemon {

namespace {

struct row {
    const char* name;
    const char* where;
    const char* what;
    double default_s;
};
// Shard routines first (in shard_routine order), then the main thread's.
constexpr std::array<row, 5> rows{{
    {"pings", "shards", "ping the least recently seen table nodes", 40},
    {"refresh", "shards", "the idle refresh walk (postponed by every query)", 300},
    {"expiry", "shards", "drop expired records and values", 1},
    {"snapshot", "main", "save the routing table to state_dir", 0},
    {"status_line", "main", "log the status line", 0},
}};
constexpr std::size_t shard_rows = shard_routine_count;

double since(std::int64_t unix_ms) {
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    return static_cast<double>(now.count() - unix_ms) / 1000.0;
}

}  // namespace

routines::routines(node_service& svc, unsigned snapshot_s, unsigned status_s) : _svc(svc) {
    const auto now = std::chrono::steady_clock::now();
    _main[0].interval_s = snapshot_s;
    _main[1].interval_s = status_s;
    for (auto& m : _main) m.next = now + std::chrono::seconds(m.interval_s);
}

routine_info routines::info_of(std::size_t i) const {
    routine_info r{rows[i].name, rows[i].where, rows[i].what, true, rows[i].default_s, std::nullopt};
    if (i < shard_rows) {
        const routine_state s = _svc.routine(static_cast<shard_routine>(i));
        r.enabled = s.enabled;
        if (s.every.count() > 0) r.interval_s = std::ceil(static_cast<double>(s.every.count()) / 5000.0) * 5;
        if (s.last_run_unix_ms) r.last_run_s_ago = since(s.last_run_unix_ms);
        return r;
    }
    const main_state& m = _main[i - shard_rows];
    r.enabled = m.enabled && m.interval_s > 0;
    r.interval_s = m.interval_s;
    if (m.ran) r.last_run_s_ago = std::chrono::duration<double>(std::chrono::steady_clock::now() - m.last).count();
    return r;
}

std::vector<routine_info> routines::list() const {
    std::lock_guard lock(_mu);
    std::vector<routine_info> out;
    for (std::size_t i = 0; i < rows.size(); ++i) out.push_back(info_of(i));
    return out;
}

base::result<routine_info, std::string> routines::change(const std::string& name, const std::string& action,
                                                         const std::string& interval) {
    std::size_t i = 0;
    while (i < rows.size() && name != rows[i].name) ++i;
    if (i == rows.size()) return base::fail("no routine '" + name + "'");
    if (action.empty() == interval.empty()) return base::fail(std::string("give action=stop|start or interval=SECONDS"));
    if (!action.empty() && action != "stop" && action != "start") return base::fail("action '" + action + "' is not stop or start");
    double secs = 0;
    if (!interval.empty()) {
        char* end = nullptr;
        secs = std::strtod(interval.c_str(), &end);
        if (end != interval.c_str() + interval.size() || !(secs >= 1 && secs <= 86400)) {
            return base::fail("interval '" + interval + "' is not a number of seconds from 1 to 86400");
        }
    }
    std::lock_guard lock(_mu);
    if (i < shard_rows) {
        const auto r = static_cast<shard_routine>(i);
        const routine_state s = _svc.routine(r);
        const bool enabled = action.empty() ? s.enabled : action == "start";
        const auto every = interval.empty() ? s.every : std::chrono::milliseconds(std::llround(secs * 1000));
        _svc.set_routine(r, enabled, every);
    } else {
        main_state& m = _main[i - shard_rows];
        if (!action.empty()) m.enabled = action == "start";
        if (!interval.empty()) m.interval_s = static_cast<unsigned>(std::lround(secs));
        m.next = std::chrono::steady_clock::now() + std::chrono::seconds(m.interval_s);
    }
    return info_of(i);
}

bool routines::due(main_routine r) {
    std::lock_guard lock(_mu);
    main_state& m = _main[static_cast<std::size_t>(r)];
    const auto now = std::chrono::steady_clock::now();
    if (!m.enabled || m.interval_s == 0 || now < m.next) return false;
    m.next = now + std::chrono::seconds(m.interval_s);
    m.last = now;
    m.ran = true;
    return true;
}

void routines::reset_interval(main_routine r, unsigned seconds) {
    std::lock_guard lock(_mu);
    main_state& m = _main[static_cast<std::size_t>(r)];
    if (m.interval_s == seconds) return;
    m.interval_s = seconds;
    m.next = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
}

}  // namespace tools::daemon
