// tools/net/children.h -- child processes that cannot outlive shoal-net.
//
// Every child is started with fork + execve and, before exec:
//   - PR_SET_PDEATHSIG(SIGKILL), so it dies with us even if we are killed
//     with SIGKILL or crash (the "parent" is the forking thread: always the
//     main thread, which lives until exit);
//   - its own process group, so a terminal's Ctrl-C reaches only shoal-net,
//     which then stops the children in order;
//   - an empty signal mask and default SIGPIPE (ours are not theirs);
//   - stdin from /dev/null, stdout and stderr appended to its log file, and
//     every other descriptor closed (engine sockets and rings stay ours).
// An exec failure is reported through a close-on-exec pipe, so spawn()
// fails with the real errno instead of a child that exits 127.
//
// Thread safety: a supervisor is used from the main thread only.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace net {

struct spawn_spec {
    std::vector<std::string> argv;  // argv[0]: a path, or a name looked up in $PATH
    std::vector<std::string> env;   // "KEY=VALUE" entries that override ours
    std::string log_path;           // stdout and stderr are appended here
};

class supervisor {
public:
    supervisor() = default;
    supervisor(const supervisor&) = delete;
    supervisor& operator=(const supervisor&) = delete;
    // Stops every child still running (stop_all with a short grace).
    ~supervisor();

    // Starts a child. Returns its handle, or why it could not be started
    // (program not found, exec failed, log file not writable).
    [[nodiscard]] base::result<std::size_t, std::string> spawn(const spawn_spec& s);
    // Sends `sig` to a running child (no-op once it has exited).
    void signal(std::size_t h, int sig) noexcept;
    [[nodiscard]] bool running(std::size_t h) const noexcept { return _kids.at(h).running; }
    [[nodiscard]] pid_t pid(std::size_t h) const noexcept { return _kids.at(h).pid; }
    // The wait status if child h has exited (it is then reaped), else nullopt.
    // Reports an exit once; afterwards running(h) is false.
    [[nodiscard]] std::optional<int> poll_exit(std::size_t h) noexcept;
    // SIGTERM to the listed children still running, up to `grace` for them to
    // exit, then SIGKILL; returns when all of them have been waited for.
    void stop(const std::vector<std::size_t>& handles, std::chrono::milliseconds grace) noexcept;
    // stop() for every child.
    void stop_all(std::chrono::milliseconds grace) noexcept;

private:
    struct kid {
        pid_t pid = -1;
        bool running = false;
    };
    std::vector<kid> _kids;
};

// Runs a command to completion (e.g. tc). Returns its combined output when it
// exits 0, else an error with the exit status and output.
[[nodiscard]] base::result<std::string, std::string> run_command(const std::vector<std::string>& argv);

// The full path of `prog` (as given when it contains '/', else the first
// executable match in $PATH), or nullopt.
[[nodiscard]] std::optional<std::string> find_program(const std::string& prog);

// The file from byte `offset` on (at most `cap` bytes), or empty if unreadable.
[[nodiscard]] std::string read_file_from(const std::string& path, std::size_t offset, std::size_t cap = 1 << 20);
// The file's size, 0 if it does not exist.
[[nodiscard]] std::size_t file_size(const std::string& path) noexcept;
// The last `n` bytes of a file, for error messages.
[[nodiscard]] std::string read_file_tail(const std::string& path, std::size_t n = 2000);

// Describes a wait status: "exit 1", "signal 9".
[[nodiscard]] std::string describe_status(int status);

}  // namespace net
