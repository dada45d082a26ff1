// echo_client: a batched closed-loop UDP load generator for the echo
// benchmarks. F sockets (flows, so the kernel spreads them over server
// shards), each keeping W datagrams outstanding, refilled with one sendmmsg
// per recvmmsg batch. A flow that hears nothing for 50 ms assumes its
// datagrams were lost and refills its window (counted as timeouts).
//
// With --server-pid it also reads that process's CPU time from /proc over the
// measured window. Output is key=value lines.
#include <CLI/CLI.hpp>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using clk = std::chrono::steady_clock;

// utime + stime of a process in seconds (all threads), or -1.
double process_cpu_seconds(int pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto close = s.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream in(s.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && in >> field; ++i) {
        if (i == 14) utime = std::stoull(field);
        if (i == 15) stime = std::stoull(field);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

struct flow {
    int fd = -1;
    int inflight = 0;
    clk::time_point last_rx;
};

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Batched closed-loop UDP echo client"};
    std::string target = "127.0.0.1:9000";
    unsigned flows = 16, window = 16, size = 64, batch = 64;
    double duration = 5, warmup = 1;
    int cpu = -1, server_pid = 0;
    app.add_option("--target", target, "host:port of the echo server");
    app.add_option("--flows", flows, "sockets (distinct source ports)")->check(CLI::Range(1, 4096));
    app.add_option("--window", window, "datagrams outstanding per flow")->check(CLI::Range(1, 4096));
    app.add_option("--size", size, "payload bytes")->check(CLI::Range(1, 2048));
    app.add_option("--duration", duration, "measured seconds");
    app.add_option("--warmup", warmup, "seconds before measuring");
    app.add_option("--cpu", cpu, "pin to this cpu");
    app.add_option("--server-pid", server_pid, "report this process's CPU time over the measured window");
    CLI11_PARSE(app, argc, argv);

    auto colon = target.rfind(':');
    sockaddr_in to{};
    to.sin_family = AF_INET;
    if (colon == std::string::npos || ::inet_pton(AF_INET, target.substr(0, colon).c_str(), &to.sin_addr) != 1) {
        std::fprintf(stderr, "echo_client: bad --target '%s'\n", target.c_str());
        return 2;
    }
    to.sin_port = htons(static_cast<std::uint16_t>(std::stoi(target.substr(colon + 1))));
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    }

    std::vector<flow> fl(flows);
    for (auto& f : fl) {
        f.fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int big = 1 << 20;
        ::setsockopt(f.fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
        if (::connect(f.fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
            std::perror("connect");
            return 1;
        }
    }
    std::vector<char> payload(size, 'e');
    std::vector<mmsghdr> out(batch), in(batch);
    std::vector<iovec> out_iov(batch), in_iov(batch);
    std::vector<std::array<char, 2048>> in_buf(batch);
    for (unsigned i = 0; i < batch; ++i) {
        out_iov[i] = {payload.data(), payload.size()};
        out[i].msg_hdr = {};
        out[i].msg_hdr.msg_iov = &out_iov[i];
        out[i].msg_hdr.msg_iovlen = 1;
        in_iov[i] = {in_buf[i].data(), in_buf[i].size()};
        in[i].msg_hdr = {};
        in[i].msg_hdr.msg_iov = &in_iov[i];
        in[i].msg_hdr.msg_iovlen = 1;
    }
    auto top_up = [&](flow& f) {
        while (f.inflight < static_cast<int>(window)) {
            unsigned n = std::min<unsigned>(batch, window - static_cast<unsigned>(f.inflight));
            int k = ::sendmmsg(f.fd, out.data(), n, 0);
            if (k <= 0) break;
            f.inflight += k;
        }
    };
    auto start = clk::now();
    for (auto& f : fl) {
        f.last_rx = start;
        top_up(f);
    }
    const auto measure_from = start + std::chrono::duration_cast<clk::duration>(std::chrono::duration<double>(warmup));
    const auto measure_to = measure_from + std::chrono::duration_cast<clk::duration>(std::chrono::duration<double>(duration));
    std::uint64_t replies = 0, timeouts = 0;
    bool measuring = false;
    double cpu0 = 0;
    clk::time_point t0;
    for (;;) {
        auto now = clk::now();
        if (!measuring && now >= measure_from) {
            measuring = true;
            t0 = now;
            replies = timeouts = 0;
            if (server_pid) cpu0 = process_cpu_seconds(server_pid);
        }
        if (now >= measure_to) break;
        for (auto& f : fl) {
            int n = ::recvmmsg(f.fd, in.data(), batch, MSG_DONTWAIT, nullptr);
            if (n > 0) {
                replies += static_cast<std::uint64_t>(n);
                f.inflight = std::max(0, f.inflight - n);
                f.last_rx = now;
                top_up(f);
            } else if (now - f.last_rx > std::chrono::milliseconds(50)) {
                ++timeouts;
                f.inflight = 0;
                f.last_rx = now;
                top_up(f);
            }
        }
    }
    double secs = std::chrono::duration<double>(clk::now() - t0).count();
    std::printf("replies=%llu\nseconds=%.3f\nreplies_per_s=%.0f\ntimeouts=%llu\n",
                static_cast<unsigned long long>(replies), secs, static_cast<double>(replies) / secs,
                static_cast<unsigned long long>(timeouts));
    if (server_pid) {
        double cpu_s = process_cpu_seconds(server_pid) - cpu0;
        std::printf("server_cpu_s=%.3f\nserver_cpu_s_per_million=%.3f\n", cpu_s,
                    replies ? cpu_s * 1e6 / static_cast<double>(replies) : 0.0);
    }
    return 0;
}
