#include "tools/net/children.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace net {

namespace {

// argv/envp as the NULL-terminated arrays execve wants; built before fork,
// since the child of a threaded process may only make async-signal-safe calls.
struct exec_args {
    std::vector<std::string> storage_env;
    std::vector<char*> argv, envp;
};

exec_args build_exec_args(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env) {
    exec_args a;
    for (char** e = environ; e && *e; ++e) {
        std::string kv = *e;
        const auto key = kv.substr(0, kv.find('=') + 1);
        bool overridden = false;
        for (const auto& x : extra_env) overridden = overridden || x.compare(0, key.size(), key) == 0;
        if (!overridden) a.storage_env.push_back(std::move(kv));
    }
    for (const auto& x : extra_env) a.storage_env.push_back(x);
    for (const auto& s : argv) a.argv.push_back(const_cast<char*>(s.c_str()));
    a.argv.push_back(nullptr);
    for (auto& s : a.storage_env) a.envp.push_back(s.data());
    a.envp.push_back(nullptr);
    return a;
}

// In the child, between fork and exec: only async-signal-safe calls.
[[noreturn]] void child_exec(const char* path, char* const* argv, char* const* envp, int in_fd, int out_fd, int err_pipe,
                             pid_t parent) noexcept {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
    ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    // Lift all three above the targets first: any of them may be fd 3.
    const int in = ::fcntl(in_fd, F_DUPFD, 10), out = ::fcntl(out_fd, F_DUPFD, 10), err = ::fcntl(err_pipe, F_DUPFD, 10);
    if (in < 0 || out < 0 || err < 0) ::_exit(127);
    if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(out, 2) < 0) ::_exit(127);
    if (::dup2(err, 3) < 0 || ::fcntl(3, F_SETFD, FD_CLOEXEC) < 0) ::_exit(127);
    ::close_range(4, ~0U, 0);
    ::execve(path, argv, envp);
    const int e = errno;
    [[maybe_unused]] auto n = ::write(3, &e, sizeof e);
    ::_exit(127);
}

struct fd_guard {
    int fd = -1;
    ~fd_guard() {
        if (fd >= 0) ::close(fd);
    }
};

// Forks and execs; returns the pid or an error. in_fd/out_fd belong to the caller.
base::result<pid_t, std::string> fork_exec(const std::string& path, exec_args& a, int in_fd, int out_fd) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return base::fail(std::string("pipe: ") + std::strerror(errno));
    fd_guard rd{p[0]}, wr{p[1]};
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) return base::fail(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) child_exec(path.c_str(), a.argv.data(), a.envp.data(), in_fd, out_fd, wr.fd, parent);
    ::close(wr.fd);
    wr.fd = -1;
    int child_errno = 0;
    ssize_t n;
    do {
        n = ::read(rd.fd, &child_errno, sizeof child_errno);
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
        int st = 0;
        ::waitpid(pid, &st, 0);
        return base::fail("cannot run " + path + ": " + std::strerror(child_errno));
    }
    return pid;
}

}  // namespace

std::optional<std::string> find_program(const std::string& prog) {
    if (prog.empty()) return std::nullopt;
    if (prog.find('/') != std::string::npos) {
        if (::access(prog.c_str(), X_OK) == 0) return prog;
        return std::nullopt;
    }
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        if (dir.empty()) continue;
        std::string full = dir + "/" + prog;
        if (::access(full.c_str(), X_OK) == 0) return full;
    }
    return std::nullopt;
}

supervisor::~supervisor() { stop_all(std::chrono::milliseconds(2000)); }

base::result<std::size_t, std::string> supervisor::spawn(const spawn_spec& s) {
    if (s.argv.empty()) return base::fail(std::string("nothing to run"));
    auto path = find_program(s.argv[0]);
    if (!path) return base::fail("cannot find program '" + s.argv[0] + "'");
    fd_guard null_fd{::open("/dev/null", O_RDONLY | O_CLOEXEC)};
    if (null_fd.fd < 0) return base::fail(std::string("/dev/null: ") + std::strerror(errno));
    fd_guard log_fd{::open(s.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)};
    if (log_fd.fd < 0) return base::fail(s.log_path + ": " + std::strerror(errno));
    auto args = build_exec_args(s.argv, s.env);
    auto pid = fork_exec(*path, args, null_fd.fd, log_fd.fd);
    if (!pid) return base::fail(pid.error());
    _kids.push_back({*pid, true});
    return _kids.size() - 1;
}

void supervisor::signal(std::size_t h, int sig) noexcept {
    auto& k = _kids.at(h);
    if (k.running) ::kill(k.pid, sig);
}

std::optional<int> supervisor::poll_exit(std::size_t h) noexcept {
    auto& k = _kids.at(h);
    if (!k.running) return std::nullopt;
    int st = 0;
    const pid_t r = ::waitpid(k.pid, &st, WNOHANG);
    if (r == k.pid || (r < 0 && errno == ECHILD)) {
        k.running = false;
        return st;
    }
    return std::nullopt;
}

void supervisor::stop(const std::vector<std::size_t>& handles, std::chrono::milliseconds grace) noexcept {
    for (auto h : handles) signal(h, SIGTERM);
    const auto end = std::chrono::steady_clock::now() + grace;
    for (;;) {
        bool any = false;
        for (auto h : handles) any = (running(h) && !poll_exit(h)) || any;
        if (!any) return;
        if (std::chrono::steady_clock::now() >= end) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    for (auto h : handles) {
        auto& k = _kids.at(h);
        if (!k.running) continue;
        ::kill(k.pid, SIGKILL);
        int st = 0;
        while (::waitpid(k.pid, &st, 0) < 0 && errno == EINTR) {
        }
        k.running = false;
    }
}

void supervisor::stop_all(std::chrono::milliseconds grace) noexcept {
    std::vector<std::size_t> all;
    for (std::size_t h = 0; h < _kids.size(); ++h) all.push_back(h);
    stop(all, grace);
}

base::result<std::string, std::string> run_command(const std::vector<std::string>& argv) {
    if (argv.empty()) return base::fail(std::string("nothing to run"));
    auto path = find_program(argv[0]);
    if (!path) return base::fail("cannot find program '" + argv[0] + "'");
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return base::fail(std::string("pipe: ") + std::strerror(errno));
    fd_guard rd{p[0]}, wr{p[1]};
    fd_guard null_fd{::open("/dev/null", O_RDONLY | O_CLOEXEC)};
    auto args = build_exec_args(argv, {});
    auto pid = fork_exec(*path, args, null_fd.fd, wr.fd);
    if (!pid) return base::fail(pid.error());
    ::close(wr.fd);
    wr.fd = -1;
    std::string out;
    char buf[512];
    for (;;) {
        const ssize_t n = ::read(rd.fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (out.size() < 65536) out.append(buf, static_cast<std::size_t>(n));
    }
    int st = 0;
    while (::waitpid(*pid, &st, 0) < 0 && errno == EINTR) {
    }
    std::string cmd;
    for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
        return base::fail("'" + cmd + "' failed (" + describe_status(st) + "): " + out);
    }
    return out;
}

std::string read_file_from(const std::string& path, std::size_t offset, std::size_t cap) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return {};
    f.seekg(static_cast<std::streamoff>(offset));
    if (!f) return {};
    std::string s(cap, '\0');
    f.read(s.data(), static_cast<std::streamsize>(cap));
    s.resize(static_cast<std::size_t>(f.gcount()));
    return s;
}

std::size_t file_size(const std::string& path) noexcept {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return 0;
    return static_cast<std::size_t>(st.st_size);
}

std::string read_file_tail(const std::string& path, std::size_t n) {
    std::ifstream f(path, std::ios::binary | std::ios::ate);
    if (!f) return {};
    const auto size = static_cast<std::size_t>(f.tellg());
    const std::size_t from = size > n ? size - n : 0;
    f.seekg(static_cast<std::streamoff>(from));
    std::string s(size - from, '\0');
    f.read(s.data(), static_cast<std::streamsize>(s.size()));
    s.resize(static_cast<std::size_t>(f.gcount()));
    return s;
}

std::string describe_status(int status) {
    if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
    return "status " + std::to_string(status);
}

}  // namespace net
