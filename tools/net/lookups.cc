#include "tools/net/lookups.h"

#include "base/random.h"
#include "dht/node.h"
#include "tools/client_runtime.h"

namespace net {

namespace {

constexpr auto go_poll = std::chrono::milliseconds(10);
enum : std::uint32_t { timer_wait_go = 1, timer_next_lookup = 2 };

}  // namespace

// Runs on the client's shard (see lookups.h).
class lookup_driver final : public dht::app_handler {
public:
    explicit lookup_driver(lookup_plan plan) : _plan(plan), _rnd(plan.seed) { _records.resize(plan.count); }

    void attach(dht::node& n) {
        n.set_app(this);
        n.app_timer(n.now() + go_poll, timer_wait_go);
    }

    // The client serves nothing of the application layer.
    bool on_request(dht::node&, const dht::incoming&) noexcept override { return false; }

    void on_timer(dht::node& n, std::uint64_t cookie, base::mono_time now) noexcept override {
        if (cookie == timer_wait_go) {
            if (!go.load(std::memory_order_acquire)) {
                n.app_timer(now + go_poll, timer_wait_go);
                return;
            }
            _t0 = now;
        }
        // Start every lookup that is due, then sleep until the next one.
        while (_next < _plan.count && due(_next) <= now) launch(n, _next++, now);
        if (_next < _plan.count) n.app_timer(due(_next), timer_next_lookup);
    }

    std::atomic<bool> go{false};
    std::atomic<std::size_t> started{0}, finished{0};

    // REQUIRES: the client's shard has been joined.
    std::vector<lookup_record> take() {
        _records.resize(started.load());
        return std::move(_records);
    }

private:
    [[nodiscard]] base::mono_time due(std::size_t i) const noexcept {
        return _t0 + _plan.interval * static_cast<std::int64_t>(i);
    }

    void launch(dht::node& n, std::size_t i, base::mono_time now) noexcept {
        std::array<std::uint8_t, 32> t;
        for (std::size_t w = 0; w < 4; ++w) {
            const std::uint64_t v = _rnd();
            for (std::size_t b = 0; b < 8; ++b) t[w * 8 + b] = static_cast<std::uint8_t>(v >> (8 * b));
        }
        auto& rec = _records[i];
        rec.tgt = dht::target(t);
        rec.start = now;
        started.fetch_add(1, std::memory_order_release);
        dht::query_spec q;
        q.tgt = rec.tgt;
        q.internal = true;
        q.command = static_cast<std::uint64_t>(dht::internal_cmd::find_node);
        q.on_done = [this, i, &n](const dht::query_result& r) { done(_records[i], n.now(), r); };
        n.start_query(std::move(q));  // may finish synchronously (no seeds): rec is ready
    }

    void done(lookup_record& rec, base::mono_time now, const dht::query_result& r) noexcept {
        rec.end = now;
        rec.finished = true;
        rec.replies = r.successes;
        rec.error = r.error;
        if (!r.closest.empty()) {
            rec.closest = r.closest.front().from;
            rec.hops = r.closest.front().depth + 1;
        }
        finished.fetch_add(1, std::memory_order_release);
    }

    lookup_plan _plan;
    base::prng _rnd;
    std::vector<lookup_record> _records;  // shard-owned until take()
    base::mono_time _t0{};
    std::size_t _next = 0;
};

base::result<std::unique_ptr<lookup_client>, std::string> lookup_client::start(const base::endpoint& host,
                                                                               std::vector<base::endpoint> bootstrap,
                                                                               engine::backend_kind backend,
                                                                               lookup_plan plan) {
    std::unique_ptr<lookup_client> c(new lookup_client());
    c->_driver = std::make_unique<lookup_driver>(plan);
    tools::client_config cfg;
    cfg.bind = host.with_port(0);
    cfg.backend = backend;
    cfg.bootstrap = std::move(bootstrap);
    lookup_driver* d = c->_driver.get();
    cfg.on_ready = [d](dht::node& n) { d->attach(n); };
    auto svc = tools::client_runtime::start(std::move(cfg));
    if (!svc) return base::fail("client node: " + svc.error());
    c->_svc = std::move(*svc);
    return c;
}

lookup_client::~lookup_client() {
    if (_svc) _svc->stop();
}

bool lookup_client::bootstrapped() const { return _svc && _svc->bootstrapped(); }
void lookup_client::go() noexcept { _driver->go.store(true, std::memory_order_release); }
std::size_t lookup_client::started() const noexcept { return _driver->started.load(std::memory_order_acquire); }
std::size_t lookup_client::finished() const noexcept { return _driver->finished.load(std::memory_order_acquire); }

std::vector<lookup_record> lookup_client::stop() {
    if (_svc) _svc->stop();  // joins the shard: its writes to the records are visible now
    return _driver->take();
}

}  // namespace net
