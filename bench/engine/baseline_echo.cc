// baseline_echo: the smallest fast UDP echo we know how to write -- one socket,
// blocking recvmmsg(MSG_WAITFORONE) of up to 64 datagrams, and the same batch
// sent straight back with one sendmmsg. The engine benchmark's yardstick.
#include <CLI/CLI.hpp>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
    CLI::App app{"Plain recvmmsg/sendmmsg echo (benchmark baseline)"};
    std::string host = "127.0.0.1";
    std::uint16_t port = 9001;
    unsigned batch = 64;
    app.add_option("--host", host, "bind address");
    app.add_option("--port", port, "UDP port");
    app.add_option("--batch", batch, "datagrams per call")->check(CLI::Range(1, 1024));
    CLI11_PARSE(app, argc, argv);

    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int big = 4 << 20;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    if (::inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1 ||
        ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        std::fprintf(stderr, "baseline_echo: cannot bind %s:%u: %s\n", host.c_str(), port, std::strerror(errno));
        return 1;
    }
    std::vector<mmsghdr> mm(batch);
    std::vector<iovec> iov(batch);
    std::vector<sockaddr_in> from(batch);
    std::vector<std::array<char, 2048>> buf(batch);
    for (;;) {
        for (unsigned i = 0; i < batch; ++i) {
            iov[i] = {buf[i].data(), buf[i].size()};
            mm[i].msg_hdr = {};
            mm[i].msg_hdr.msg_name = &from[i];
            mm[i].msg_hdr.msg_namelen = sizeof from[i];
            mm[i].msg_hdr.msg_iov = &iov[i];
            mm[i].msg_hdr.msg_iovlen = 1;
        }
        int n = ::recvmmsg(fd, mm.data(), batch, MSG_WAITFORONE, nullptr);
        if (n <= 0) continue;
        for (int i = 0; i < n; ++i) iov[static_cast<unsigned>(i)].iov_len = mm[static_cast<unsigned>(i)].msg_len;
        int sent = 0;
        while (sent < n) {
            int k = ::sendmmsg(fd, mm.data() + sent, static_cast<unsigned>(n - sent), 0);
            if (k <= 0) break;
            sent += k;
        }
    }
}
