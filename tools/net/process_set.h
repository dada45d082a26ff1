// tools/net/process_set.h -- nodes that are child processes: shoald, or the
// JS hyperdht node script (tools/net/js_node.js).
//
// A node is "listening" once its log contains its ready marker (shoald logs
// "listening on"; the JS script prints a JSON line starting {"ready":).
// A restart whose child exits before it is listening (say its port is still
// held) is retried a few times. A node that exits without being killed is
// counted and stays down.
//
// Thread safety: main thread only.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/endpoint.h"
#include "tools/net/children.h"
#include "tools/net/node_set.h"
#include "tools/net/truth.h"

namespace net {

struct process_node {
    base::endpoint addr;        // the address it listens on (its id is H(addr))
    spawn_spec spec;            // how to start it (log_path included)
    std::string ready_marker;   // text its log shows once it is listening
};

// Checks the log text once the marker is seen (e.g. the JS node's persistence
// and id); an error aborts start-up.
using ready_check = std::function<base::result<void, std::string>(const process_node&, const std::string& log)>;

class process_set final : public node_set {
public:
    // `what` names the nodes in messages ("shoald", "JS node").
    process_set(std::string what, supervisor& sup, liveness& truth, std::vector<process_node> nodes,
                std::chrono::milliseconds start_timeout, ready_check check = {});
    ~process_set() override { stop(); }

    // Starts node 0 alone first when `first_alone` (the bootstrap node), then the rest at once.
    void set_first_alone(bool v) noexcept { _first_alone = v; }

    [[nodiscard]] base::result<void, std::string> start(signal_watch& sig) override;
    [[nodiscard]] std::size_t size() const noexcept override { return _nodes.size(); }
    [[nodiscard]] std::size_t truth_index(std::size_t i) const noexcept override { return _st[i].truth; }
    [[nodiscard]] bool up(std::size_t i) const noexcept override { return _st[i].at == phase::up; }
    void kill(std::size_t i, base::mono_time now) override;
    void restart(std::size_t i, base::mono_time now) override;
    void poll(base::mono_time now) override;
    void stop() noexcept override;
    [[nodiscard]] std::size_t unexpected_exits() const noexcept override { return _unexpected; }
    [[nodiscard]] nlohmann::json counters() const override;

private:
    enum class phase : std::uint8_t { idle, starting, up, down };
    struct state {
        phase at = phase::idle;
        std::size_t handle = 0;     // supervisor handle of the current child
        bool has_child = false;
        std::size_t truth = 0;
        bool in_truth = false;
        int retries = 0;            // restarts of the current restart attempt
        base::mono_time retry_at{};
        std::size_t log_scan = 0;   // bytes of the log already searched for the marker
    };

    [[nodiscard]] base::result<void, std::string> launch(std::size_t i);
    [[nodiscard]] base::result<void, std::string> wait_listening(const std::vector<std::size_t>& which, signal_watch& sig);
    [[nodiscard]] bool saw_marker(std::size_t i);
    void on_listening(std::size_t i, base::mono_time now);
    void handle_exits(base::mono_time now);
    [[nodiscard]] std::vector<std::size_t> child_handles() const;

    std::string _what;
    supervisor& _sup;
    liveness& _truth;
    std::vector<process_node> _nodes;
    std::vector<state> _st;
    std::chrono::milliseconds _timeout;
    ready_check _check;
    bool _first_alone = false;
    bool _initial = true;  // in start(): an exit is an error, not a retry
    std::size_t _unexpected = 0, _spawns = 0, _restart_retries = 0, _kills = 0;
};

}  // namespace net
