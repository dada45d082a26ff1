#include "control/http_listener.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>

namespace {

// A bare HTTP/1.0 exchange over loopback; returns the whole response.
std::string http(std::uint16_t port, const std::string& request) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return "connect failed";
    }
    (void)!::write(fd, request.data(), request.size());
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    return out;
}

std::vector<control::route> routes(std::atomic<int>& changed) {
    std::vector<control::route> r;
    r.push_back({"GET", "/a", false, [](const control::http_request&) {
                     return control::http_response{200, "text/plain", "A"};
                 }});
    r.push_back({"POST", "/things/", true, [&changed](const control::http_request& q) {
                     ++changed;
                     std::string p;
                     for (const auto& [k, v] : q.params) p += k + "=" + v + ";";
                     return control::http_response{200, "text/plain", q.path + " " + p};
                 }});
    return r;
}

TEST(HttpListener, RoutesMethodsAndPrefixes) {
    std::atomic<int> changed{0};
    auto l = control::http_listener::start("127.0.0.1", 0, routes(changed), "");
    ASSERT_TRUE(l) << l.error();
    const auto port = (*l)->port();
    EXPECT_NE(http(port, "GET /a HTTP/1.0\r\n\r\n").find("200 OK"), std::string::npos);
    EXPECT_NE(http(port, "GET /b HTTP/1.0\r\n\r\n").find("404"), std::string::npos);
    EXPECT_NE(http(port, "POST /a HTTP/1.0\r\nContent-Length: 0\r\n\r\n").find("405"), std::string::npos);
    const auto r = http(port, "POST /things/x?interval=5 HTTP/1.0\r\nContent-Length: 0\r\n\r\n");
    EXPECT_NE(r.find("/things/x interval=5;"), std::string::npos) << r;
    EXPECT_EQ(changed.load(), 1);
    // A body over the limit is refused before any handler runs.
    const auto big = http(port, "POST /things/x HTTP/1.0\r\nContent-Length: 100000\r\n\r\n" + std::string(100000, 'a'));
    EXPECT_NE(big.find("413"), std::string::npos) << big.substr(0, 100);
    EXPECT_EQ(changed.load(), 1);
    (*l)->stop();
}

TEST(HttpListener, BindErrorSaysWhere) {
    std::atomic<int> changed{0};
    auto a = control::http_listener::start("127.0.0.1", 0, routes(changed), "");
    ASSERT_TRUE(a);
    auto b = control::http_listener::start("127.0.0.1", (*a)->port(), routes(changed), "");
    ASSERT_FALSE(b);
    EXPECT_NE(b.error().find("127.0.0.1:" + std::to_string((*a)->port())), std::string::npos) << b.error();
}

TEST(HttpListener, Loopback) {
    EXPECT_TRUE(control::is_loopback("127.0.0.1"));
    EXPECT_TRUE(control::is_loopback("127.9.8.7"));
    EXPECT_TRUE(control::is_loopback("::1"));
    EXPECT_TRUE(control::is_loopback("::ffff:127.0.0.1"));
    EXPECT_FALSE(control::is_loopback("10.0.0.1"));
    EXPECT_FALSE(control::is_loopback("1.127.0.0"));
}

TEST(HttpListener, TokenFileMustBePrivate) {
    const std::string path = ::testing::TempDir() + "token_test";
    std::ofstream(path) << "0123456789abcdef0123\n";
    ::chmod(path.c_str(), 0644);
    auto t = control::read_token_file(path);
    ASSERT_FALSE(t);
    EXPECT_NE(t.error().find("chmod 600"), std::string::npos);
    ::chmod(path.c_str(), 0600);
    t = control::read_token_file(path);
    ASSERT_TRUE(t) << t.error();
    EXPECT_EQ(*t, "0123456789abcdef0123");
    std::ofstream(path) << "short\n";
    EXPECT_FALSE(control::read_token_file(path));
    EXPECT_FALSE(control::read_token_file(path + ".missing"));
}

}  // namespace
