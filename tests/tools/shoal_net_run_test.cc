// shoal-net end to end: the real binary, real shoald processes (or nodes in
// its process), real UDP on loopback. Each case is its own CTest test
// (--gtest_filter) with its own ports in 23000-23999, short and bounded.
// A case whose prerequisite is missing (Node.js, root, a loss mechanism)
// skips; when every selected case skipped, the binary exits 77 (CTest: skipped).
#include <dirent.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/tools/svg_check.h"

#if !defined(SHOAL_NET_BIN) || !defined(SHOAL_SOURCE_DIR)
#error "SHOAL_NET_BIN and SHOAL_SOURCE_DIR must be defined (tests/tools/CMakeLists.txt)"
#endif

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

struct outcome {
    int code = -1;  // exit status, or 128 + signal
    std::string out, err;
    bool timed_out = false;
};

// A running shoal-net with its stdout and stderr captured.
class tool {
public:
    // `as_nobody`: run it as uid/gid 65534 (from root), to see what a normal user sees.
    explicit tool(const std::vector<std::string>& args, bool as_nobody = false, const std::string& bin = SHOAL_NET_BIN) {
        int out[2], err[2];
        if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) return;
        std::vector<std::string> argv = {bin};
        argv.insert(argv.end(), args.begin(), args.end());
        std::vector<char*> cargv;
        for (auto& a : argv) cargv.push_back(a.data());
        cargv.push_back(nullptr);
        _pid = ::fork();
        if (_pid == 0) {
            if (as_nobody && (::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 ||
                              ::setresuid(65534, 65534, 65534) != 0)) {
                ::_exit(126);
            }
            ::dup2(out[1], 1);
            ::dup2(err[1], 2);
            ::execv(cargv[0], cargv.data());
            ::_exit(127);
        }
        ::close(out[1]);
        ::close(err[1]);
        _out = out[0];
        _err = err[0];
    }
    ~tool() {
        if (_pid > 0 && !_reaped) {
            ::kill(_pid, SIGKILL);
            ::waitpid(_pid, nullptr, 0);
        }
        if (_out >= 0) ::close(_out);
        if (_err >= 0) ::close(_err);
    }
    [[nodiscard]] pid_t pid() const { return _pid; }
    void signal(int sig) const { ::kill(_pid, sig); }

    // Reads output until the process exits or `limit` passes (then SIGKILL).
    outcome finish(std::chrono::seconds limit) {
        outcome o;
        const auto end = std::chrono::steady_clock::now() + limit;
        bool out_open = true, err_open = true;
        while (out_open || err_open) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                o.timed_out = true;
                ::kill(_pid, SIGKILL);
                break;
            }
            // A negative fd is ignored by poll: closed pipes stop waking us.
            pollfd fds[2] = {{out_open ? _out : -1, POLLIN, 0}, {err_open ? _err : -1, POLLIN, 0}};
            if (::poll(fds, 2, static_cast<int>(std::min<long>(left.count(), 200))) < 0) continue;
            out_open = out_open && drain(fds[0], o.out);
            err_open = err_open && drain(fds[1], o.err);
        }
        int st = 0;
        ::waitpid(_pid, &st, 0);
        _reaped = true;
        o.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        return o;
    }

private:
    // False once the pipe is closed.
    static bool drain(const pollfd& p, std::string& into) {
        if (p.fd < 0) return false;
        if (!(p.revents & (POLLIN | POLLHUP))) return true;
        char buf[4096];
        const ssize_t n = ::read(p.fd, buf, sizeof buf);
        if (n <= 0) return false;
        into.append(buf, static_cast<std::size_t>(n));
        return true;
    }
    pid_t _pid = -1;
    int _out = -1, _err = -1;
    bool _reaped = false;
};

outcome run(const std::vector<std::string>& args, std::chrono::seconds limit = std::chrono::seconds(50),
            bool as_nobody = false, const std::string& bin = SHOAL_NET_BIN) {
    tool t(args, as_nobody, bin);
    return t.finish(limit);
}

std::string describe(const outcome& o) { return "exit " + std::to_string(o.code) + "\nstdout:\n" + o.out + "\nstderr:\n" + o.err; }

json report_of(const outcome& o) {
    auto j = json::parse(o.out, nullptr, false);
    return j.is_discarded() ? json() : j;
}

// A private temporary directory, removed with everything in it.
struct scratch_dir {
    fs::path path = fs::temp_directory_path() / ("shoal-net-test-" + std::to_string(::getpid()));
    scratch_dir() { fs::create_directories(path); }
    ~scratch_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    [[nodiscard]] std::string file(const std::string& name) const { return (path / name).string(); }
};

// Processes whose command line mentions one of the given ports (shoald or JS nodes).
std::vector<int> processes_on_ports(std::uint16_t first, std::uint16_t last) {
    std::vector<int> found;
    DIR* d = ::opendir("/proc");
    if (!d) return found;
    while (dirent* e = ::readdir(d)) {
        const int pid = std::atoi(e->d_name);
        if (pid <= 0 || pid == ::getpid()) continue;
        std::ifstream f("/proc/" + std::string(e->d_name) + "/cmdline", std::ios::binary);
        std::string cmd((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        for (auto& c : cmd) c = c == '\0' ? ' ' : c;
        for (unsigned p = first; p <= last; ++p) {
            if (cmd.find("--port " + std::to_string(p) + " ") != std::string::npos) {
                found.push_back(pid);
                break;
            }
        }
    }
    ::closedir(d);
    return found;
}

void expect_no_leftovers(std::uint16_t first, std::uint16_t last) {
    // PDEATHSIG and our own kills are immediate; allow the kernel a moment to reap.
    for (int i = 0; i < 50 && !processes_on_ports(first, last).empty(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(processes_on_ports(first, last).empty()) << "node processes left behind";
}

void expect_lookups(const json& j, std::size_t requested, double min_success) {
    ASSERT_TRUE(j.is_object());
    EXPECT_EQ(j["lookups"]["requested"], requested);
    EXPECT_EQ(j["lookups"]["finished"], requested);
    EXPECT_GE(j["lookups"]["success_rate"].get<double>(), min_success) << j.dump(2);
    EXPECT_GE(j["hops"]["mean"].get<double>(), 1.0);
    EXPECT_GT(j["latency_ms"]["p50"].get<double>(), 0.0);
    EXPECT_LE(j["latency_ms"]["p50"].get<double>(), j["latency_ms"]["p99"].get<double>());
}

TEST(ShoalNet, ArgumentErrors) {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"--nodes", "0"}, "--nodes"},
        {{"--mode", "cluster"}, "--mode"},
        {{"--host", "192.0.2.1"}, "loopback"},
        {{"--plot", "out.pdf"}, ".svg"},
        {{"--shoald", "/nonexistent/shoald", "--nodes", "2"}, "cannot run shoald"},
        {{"--js", "1", "--node", "/nonexistent/node"}, "Node.js"},
        {{"--bogus"}, "bogus"},
    };
    for (const auto& [args, says] : cases) {
        const auto o = run(args, std::chrono::seconds(10));
        EXPECT_EQ(o.code, 2) << describe(o);
        EXPECT_NE(o.err.find(says), std::string::npos) << describe(o);
        EXPECT_TRUE(o.out.empty()) << describe(o);
    }
}

// A port already held: a clear error (exit 1) in both modes, nothing left running.
TEST(ShoalNet, PortInUseIsAnError) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(23062);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&sin), sizeof sin), 0) << std::strerror(errno);
    for (const char* mode : {"inproc", "process"}) {
        const auto o = run({"--mode", mode, "--nodes", "4", "--base-port", "23060", "--lookups", "1", "--settle-s", "0"},
                           std::chrono::seconds(20));
        EXPECT_EQ(o.code, 1) << mode << ": " << describe(o);
        EXPECT_NE(o.err.find("Address already in use"), std::string::npos) << mode << ": " << describe(o);
    }
    ::close(fd);
    expect_no_leftovers(23060, 23063);
}

// --loss in process mode needs root: without it, a clear refusal (exit 2).
// As root, the binary runs as `nobody` to see it.
TEST(ShoalNet, ProcessLossWithoutRootExits2) {
    const std::vector<std::string> args = {"--nodes", "2", "--base-port", "23050", "--loss", "5"};
    const bool root = ::geteuid() == 0;
    // `nobody` may not reach the build folder (a clone under a private mktemp
    // folder, say): it runs a copy from a folder anyone can enter.
    const scratch_dir dir;
    std::string bin = SHOAL_NET_BIN;
    if (root) {
        fs::permissions(dir.path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                      fs::perms::others_read | fs::perms::others_exec);
        bin = dir.file("shoal-net");
        fs::copy_file(SHOAL_NET_BIN, bin);
        fs::copy_file(fs::path(SHOAL_NET_BIN).parent_path() / "shoald", dir.file("shoald"));
    }
    const auto o = run(args, std::chrono::seconds(10), root, bin);
    if (o.code == 126) GTEST_SKIP() << "cannot drop root here";
    EXPECT_EQ(o.code, 2) << describe(o);
    EXPECT_NE(o.err.find("needs root"), std::string::npos) << describe(o);
}

TEST(ShoalNet, ProcessMode) {
    const scratch_dir dir;
    const auto plot = dir.file("process.svg");
    const auto o = run({"--nodes", "8", "--base-port", "23000", "--lookups", "20", "--duration", "2", "--settle-s", "1.5",
                        "--seed", "1", "--json", "--plot", plot});
    ASSERT_EQ(o.code, 0) << describe(o);
    const auto j = report_of(o);
    expect_lookups(j, 20, 0.9);
    EXPECT_EQ(j["network"]["mode"], "process");
    EXPECT_EQ(j["counters"]["nodes"]["processes_started"], 8);
    std::ifstream f(plot);
    const std::string svg((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    EXPECT_EQ(test::svg_problem(svg), "");
    EXPECT_NE(svg.find("<polyline"), std::string::npos);
    expect_no_leftovers(23000, 23007);
}

TEST(ShoalNet, Inproc) {
    const auto o = run({"--mode", "inproc", "--nodes", "24", "--base-port", "23100", "--lookups", "30", "--duration",
                        "2", "--settle-s", "1.5", "--seed", "2", "--json"});
    ASSERT_EQ(o.code, 0) << describe(o);
    const auto j = report_of(o);
    expect_lookups(j, 30, 0.9);
    EXPECT_EQ(j["counters"]["nodes"]["node_incarnations"], 24);
    EXPECT_EQ(j["counters"]["nodes"]["injected_drops_send"], 0);
}

// 10% loss injected in-process: the drops happen (about the asked share of
// the nodes' sends), and lookups still mostly find the closest node.
TEST(ShoalNet, InprocLoss) {
    const auto o = run({"--mode", "inproc", "--nodes", "24", "--base-port", "23200", "--lookups", "30", "--duration",
                        "2", "--settle-s", "1.5", "--loss", "10", "--seed", "3", "--json"});
    ASSERT_EQ(o.code, 0) << describe(o);
    const auto j = report_of(o);
    expect_lookups(j, 30, 0.6);
    const auto& c = j["counters"]["nodes"];
    const double dropped = c["injected_drops_send"].get<double>();
    const double sent = c["datagrams_sent"].get<double>();
    ASSERT_GT(sent, 500.0);
    EXPECT_NEAR(dropped / (dropped + sent), 0.10, 0.04) << c.dump();
    EXPECT_GT(c["injected_drops_receive"].get<double>(), 0.0) << "the client's requests are tossed on receipt";
    EXPECT_EQ(j["loss"]["method"], "in-process injection");
}

TEST(ShoalNet, InprocChurn) {
    const auto o = run({"--mode", "inproc", "--nodes", "16", "--base-port", "23250", "--lookups", "30", "--duration",
                        "3", "--settle-s", "1.5", "--churn", "60", "--down-s", "1", "--seed", "4", "--json"});
    ASSERT_EQ(o.code, 0) << describe(o);
    const auto j = report_of(o);
    expect_lookups(j, 30, 0.8);
    EXPECT_GE(j["churn"]["kills"].get<int>(), 2);
    EXPECT_GE(j["churn"]["restarts"].get<int>(), 1);
    EXPECT_EQ(j["counters"]["nodes"]["node_incarnations"].get<int>(), 16 + j["churn"]["restarts"].get<int>());
}

TEST(ShoalNet, Js) {
    if (std::system("node --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "Node.js is not installed";
    if (!fs::exists(fs::path(SHOAL_SOURCE_DIR) / "tests/interop/node_modules/hyperdht")) {
        GTEST_SKIP() << "hyperdht is not installed (scripts/setup.sh)";
    }
    const auto o = run({"--nodes", "6", "--js", "2", "--base-port", "23300", "--lookups", "20", "--duration", "2",
                        "--settle-s", "1.5", "--seed", "5", "--json"});
    ASSERT_EQ(o.code, 0) << describe(o);
    const auto j = report_of(o);
    expect_lookups(j, 20, 0.9);
    EXPECT_EQ(j["network"]["js"], 2);
    EXPECT_EQ(j["counters"]["js"]["processes_started"], 2);
    expect_no_leftovers(23300, 23307);
}

// SIGINT mid-run: every node process is stopped and shoal-net exits 130.
TEST(ShoalNet, SigintStopsEverything) {
    tool t({"--nodes", "6", "--base-port", "23400", "--lookups", "100", "--duration", "30", "--settle-s", "0.5", "--quiet"});
    bool all_up = false;
    for (int i = 0; i < 100 && !all_up; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        all_up = processes_on_ports(23400, 23405).size() == 6;
    }
    ASSERT_TRUE(all_up) << "the nodes never all ran";
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // into the lookup phase
    t.signal(SIGINT);
    const auto o = t.finish(std::chrono::seconds(15));
    EXPECT_FALSE(o.timed_out);
    EXPECT_EQ(o.code, 130) << describe(o);
    expect_no_leftovers(23400, 23405);
}

// As root: the network runs in a private netns whose loopback drops packets
// (netem, or nftables where the kernel has no netem), and the kernel's count
// of drops is reported.
TEST(ShoalNet, ProcessLossInNetns) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    const auto o = run({"--nodes", "8", "--base-port", "23500", "--lookups", "15", "--duration", "1.5", "--settle-s",
                        "1.5", "--loss", "5", "--seed", "6", "--json"});
    if (o.code == 1 && o.err.find("cannot make the namespace's loopback lossy") != std::string::npos) {
        GTEST_SKIP() << "no netem and no nft here: " << o.err;
    }
    if (o.code == 1 && o.err.find("unshare(CLONE_NEWNET)") != std::string::npos) {
        GTEST_SKIP() << "root without network namespaces (a container?): " << o.err;
    }
    ASSERT_EQ(o.code, 0) << describe(o);
    const auto j = report_of(o);
    expect_lookups(j, 15, 0.6);
    EXPECT_NE(j["loss"]["method"].get<std::string>().find("netns"), std::string::npos);
    EXPECT_GT(j["counters"]["netns_loss"]["dropped"].get<double>(), 0.0) << j["counters"].dump();
    expect_no_leftovers(23500, 23507);
}

}  // namespace

int main(int argc, char** argv) {
    testing::InitGoogleTest(&argc, argv);
    const int rc = RUN_ALL_TESTS();
    const auto& u = *testing::UnitTest::GetInstance();
    if (rc == 0 && u.test_to_run_count() > 0 && u.skipped_test_count() == u.test_to_run_count()) return 77;
    return rc;
}
