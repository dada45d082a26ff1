#include "dht/query.h"

#include <algorithm>

namespace dht {

namespace {
constexpr std::uint64_t commit_bit = std::uint64_t{1} << 63;
}

query::query(query_env& env, std::uint64_t id, query_spec spec)
    : _env(env), _id(id), _spec(std::move(spec)), _background_concurrency(_spec.concurrency) {
    // Explicit seeds go on the stack in reverse so the first is visited first.
    for (auto it = _spec.seeds.rbegin(); it != _spec.seeds.rend(); ++it) {
        add_pending({*it, _env.ids().get(*it)}, nullptr);
    }
}

query::~query() {
    // Requests still in flight must not call back into a destroyed query.
    for (auto& v : _visits) {
        if (v.live) _env.requests().cancel(v.h);
    }
}

bool query::is_closer(const node_id& id) const noexcept {
    return _closest.size() < _env.k() || compare_distance(_spec.tgt, id, *_closest.back().from_id) < 0;
}

bool query::add_pending(const candidate& c, const base::endpoint* referrer) {
    const bool closer = is_closer(c.id);
    auto it = _seen.find(c.addr.key());
    if (it != _seen.end()) {
        if (it->second.state == seen_state::phase::down) {
            if (referrer) _env.down_hint(*referrer, c.addr);
        } else if (it->second.state == seen_state::phase::queued && referrer) {
            it->second.referrers.push_back(*referrer);
        }
        return closer;
    }
    if (!closer) return false;
    seen_state s;
    if (referrer) s.referrers.push_back(*referrer);
    _seen.emplace(c.addr.key(), std::move(s));
    _pending.push_back(c);
    return true;
}

void query::add_from_table() {
    const std::size_t k = _env.k();
    if (_pending.size() >= k) return;
    _from_table = true;
    std::vector<base::endpoint> nodes(k - _pending.size());
    nodes.resize(_env.closest_nodes(_spec.tgt, nodes));
    for (const auto& n : nodes) add_pending({n, _env.ids().get(n)}, nullptr);
}

void query::start() noexcept {
    add_from_table();
    if (_pending.size() < _env.k()) {
        for (const auto& b : _env.bootstrap_nodes()) add_pending({b, _env.ids().get(b)}, nullptr);
    }
    read_more();
}

void query::visit_node(const candidate& c) noexcept {
    ++_inflight;
    rpc_request req;
    req.to = c.addr;
    req.to_id = c.id;
    req.internal = _spec.internal;
    req.command = _spec.command;
    req.tgt = _spec.tgt;
    req.value = _spec.value;
    req.retries = _spec.retries;
    req.socket = _env.request_socket();
    const auto cookie = static_cast<std::uint64_t>(_visits.size());
    _visits.push_back({});
    _visits[cookie].depth = c.depth;
    _visits[cookie].live = true;  // before send: a failure may be reported synchronously
    auto h = _env.requests().send(std::move(req), this, cookie, _env.request_id(), _env.now());
    if (_visits[cookie].live) _visits[cookie].h = h;
}

void query::read_more() noexcept {
    if (_done || _committing) return;
    const std::size_t concurrency = (_slowdown ? 3 : _spec.concurrency) + _slow;
    while (_inflight < concurrency && !_pending.empty()) {
        candidate next = _pending.back();
        _pending.pop_back();
        if (!is_closer(next.id)) continue;
        visit_node(next);
        if (_done) return;
    }
    // Seeded from cached nodes: give the closest a chance before going wide.
    if (!_from_table && _successes == 0 && _errors == 0) _slowdown = true;
    if (!_pending.empty()) return;
    if (_inflight == 0 || (_slow == _inflight && _closest.size() >= _env.k())) {
        if (!_from_table && _successes < _env.k() / 4) {
            add_from_table();
            read_more();
            return;
        }
        flush();
    }
}

void query::end_visit(std::uint64_t cookie) noexcept {
    visit& v = _visits[cookie];
    v.live = false;
    if (v.commit) return;
    if (v.slow) --_slow;
    --_inflight;
}

void query::push_closest(query_reply&& r) {
    auto pos = std::lower_bound(_closest.begin(), _closest.end(), r, [&](const query_reply& a, const query_reply& b) {
        return compare_distance(_spec.tgt, *a.from_id, *b.from_id) < 0;
    });
    if (pos != _closest.end() && *pos->from_id == *r.from_id) return;  // duplicate
    _closest.insert(pos, std::move(r));
    if (_closest.size() > _env.k()) _closest.pop_back();
}

void query::on_reply(std::uint64_t cookie, const rpc_reply& r) noexcept {
    if (cookie & commit_bit) {
        _visits[cookie & ~commit_bit].live = false;
        ++(r.res.error == 0 ? _commits_ok : _commits_failed);
        if (--_commits_pending == 0) finish(_commits_ok > 0, _commits_ok ? "" : "All commits failed");
        return;
    }
    end_visit(cookie);
    const std::uint8_t depth = _visits[cookie].depth;
    if (auto it = _seen.find(r.from.key()); it != _seen.end()) {
        it->second.state = seen_state::phase::visited;
        it->second.referrers.clear();
    }
    if (_done || _committing) return;
    const auto& res = r.res;
    ++(res.error == 0 ? _successes : _errors);

    query_reply q;
    q.from = r.from;
    q.from_id = r.from_id;
    q.to = res.to;
    q.tok = res.tok;
    q.error = res.error;
    q.rtt = r.rtt;
    q.depth = depth;
    if (res.value) q.value.emplace(res.value->begin(), res.value->end());
    q.closer.reserve(res.closer.size());
    for (std::size_t i = 0; i < res.closer.size(); ++i) q.closer.push_back(res.closer[i]);

    for (const auto& addr : q.closer) {
        const node_id& id = _env.ids().get(addr);
        if (id == _env.table_id()) continue;
        if (!add_pending({addr, id, static_cast<std::uint8_t>(depth < 255 ? depth + 1 : 255)}, &q.from)) break;
    }
    if (!_from_table && _successes + _errors >= _spec.concurrency) _slowdown = false;
    if (_spec.background) {
        // Yield to other traffic: full speed only while the node is idle.
        _spec.concurrency = _env.requests().inflight() < 3 ? _spec.full_concurrency : _background_concurrency;
    }
    if (res.error == 0) {
        if (_spec.on_reply) _spec.on_reply(q);
        if (q.from_id && is_closer(*q.from_id)) push_closest(std::move(q));
    }
    read_more();
}

void query::on_fail(std::uint64_t cookie, rpc_fail why, const rpc_request& req) noexcept {
    if (cookie & commit_bit) {
        _visits[cookie & ~commit_bit].live = false;
        ++_commits_failed;
        if (--_commits_pending == 0) finish(_commits_ok > 0, _commits_ok ? "" : "All commits failed");
        return;
    }
    end_visit(cookie);
    if (why == rpc_fail::timeout) {
        auto it = _seen.find(req.to.key());
        if (it != _seen.end()) {
            it->second.state = seen_state::phase::down;
            for (const auto& ref : it->second.referrers) _env.down_hint(ref, req.to);
            it->second.referrers.clear();
        }
    }
    ++_errors;
    read_more();
}

void query::on_retry(std::uint64_t cookie) noexcept {
    if (cookie & commit_bit) return;
    visit& v = _visits[cookie];
    if (v.slow) return;
    v.slow = true;
    ++_slow;
    read_more();
}

void query::flush() noexcept {
    if (_committing) return;
    _committing = true;
    if (!_spec.commit) {
        finish(true, "");
        return;
    }
    std::vector<rpc_request> commits;
    for (const auto& r : _closest) {
        auto req = _spec.commit(r);
        if (req) {
            commits.push_back(std::move(*req));
        } else {
            ++_commits_failed;
        }
    }
    if (commits.empty()) {
        finish(false, _closest.empty() ? "Too few nodes responded" : "All commits failed");
        return;
    }
    _commits_pending = commits.size();
    for (auto& c : commits) {
        c.socket = _env.request_socket();
        const auto idx = static_cast<std::uint64_t>(_visits.size());
        _visits.push_back({});
        _visits[idx].commit = true;
        _visits[idx].live = true;
        auto h = _env.requests().send(std::move(c), this, idx | commit_bit, _env.request_id(), _env.now());
        if (_done) return;
        if (_visits[idx].live) _visits[idx].h = h;
    }
}

void query::cancel() noexcept {
    if (_done) return;
    for (auto& v : _visits) {
        if (v.live) {
            v.live = false;
            _env.requests().cancel(v.h);
        }
    }
    finish(false, "cancelled");
}

void query::finish(bool ok, std::string error) noexcept {
    if (_done) return;
    _done = true;
    query_result res;
    res.ok = ok;
    res.error = std::move(error);
    res.successes = _successes;
    res.errors = _errors;
    res.commits_ok = _commits_ok;
    res.commits_failed = _commits_failed;
    res.closest = _closest;
    if (_spec.on_done) _spec.on_done(res);
    _env.query_finished(_id);
}

}  // namespace dht
