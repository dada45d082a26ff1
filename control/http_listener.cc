#include "control/http_listener.h"

#include <httplib.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>

namespace control {

namespace {

constexpr std::size_t max_body_bytes = 4096;
constexpr time_t io_timeout_s = 5;

// Equal in time that depends only on the lengths.
bool same_secret(const std::string& a, const std::string& b) noexcept {
    if (a.size() != b.size()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

}  // namespace

struct http_listener::impl {
    httplib::Server server;
    std::vector<route> routes;
    std::string token;
    std::thread thread;
    int port = 0;

    [[nodiscard]] bool admitted(const httplib::Request& req) const {
        if (is_loopback(req.remote_addr)) return true;
        if (token.empty()) return false;
        const std::string auth = req.get_header_value("Authorization");
        return auth.size() > 7 && auth.compare(0, 7, "Bearer ") == 0 && same_secret(auth.substr(7), token);
    }

    void serve(const httplib::Request& req, httplib::Response& res) const {
        const route* found = nullptr;
        bool path_known = false;
        for (const auto& r : routes) {
            const bool match = r.path == req.path ||
                               (r.path.back() == '/' && req.path.size() > r.path.size() &&
                                req.path.compare(0, r.path.size(), r.path) == 0);
            if (!match) continue;
            path_known = true;
            if (r.method == req.method) found = &r;
        }
        if (found == nullptr) {
            res.status = path_known ? 405 : 404;
            res.set_content(path_known ? "method not allowed\n" : "not found\n", "text/plain; charset=utf-8");
            return;
        }
        if (found->changes_state && !admitted(req)) {
            res.status = 403;
            res.set_content("this action needs a loopback client or the bearer token\n", "text/plain; charset=utf-8");
            return;
        }
        http_request in{req.method, req.path, {}, req.body, req.remote_addr};
        for (const auto& [k, v] : req.params) in.params.emplace_back(k, v);
        http_response out = found->handler(in);
        res.status = out.status;
        res.set_content(out.body, out.content_type.c_str());
    }
};

http_listener::http_listener(std::unique_ptr<impl> p) : _p(std::move(p)) {}

http_listener::~http_listener() { stop(); }

void http_listener::stop() noexcept {
    if (!_p || !_p->thread.joinable()) return;
    _p->server.stop();
    _p->thread.join();
}

std::uint16_t http_listener::port() const noexcept { return static_cast<std::uint16_t>(_p->port); }

base::result<std::unique_ptr<http_listener>, std::string> http_listener::start(const std::string& host,
                                                                              std::uint16_t port,
                                                                              std::vector<route> routes,
                                                                              std::string token) {
    auto p = std::make_unique<impl>();
    p->routes = std::move(routes);
    p->token = std::move(token);
    auto& s = p->server;
    s.new_task_queue = [] { return new httplib::ThreadPool(2); };
    s.set_read_timeout(io_timeout_s, 0);
    s.set_write_timeout(io_timeout_s, 0);
    s.set_keep_alive_timeout(io_timeout_s);
    s.set_keep_alive_max_count(100);
    s.set_payload_max_length(max_body_bytes);
    // SO_REUSEADDR only: cpp-httplib's default adds SO_REUSEPORT, which would
    // let a second shoald share the port instead of failing to bind.
    s.set_socket_options([](socket_t sock) {
        int on = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    });
    impl* raw = p.get();
    auto handler = [raw](const httplib::Request& req, httplib::Response& res) { raw->serve(req, res); };
    s.Get(".*", handler);
    s.Post(".*", handler);
    s.Put(".*", handler);
    s.Delete(".*", handler);
    const std::string where = host + ":" + std::to_string(port);
    errno = 0;
    if (port == 0) {
        p->port = s.bind_to_any_port(host);
        if (p->port <= 0) return base::fail("control " + where + ": cannot bind (" + std::strerror(errno) + ")");
    } else {
        if (!s.bind_to_port(host, port)) {
            return base::fail("control " + where + ": cannot bind (" + std::strerror(errno) + ")");
        }
        p->port = port;
    }
    p->thread = std::thread([raw] { raw->server.listen_after_bind(); });
    // stop() must not race the thread's start, so wait until it serves.
    for (int i = 0; i < 2000 && !s.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return std::unique_ptr<http_listener>(new http_listener(std::move(p)));
}

bool is_loopback(const std::string& addr) noexcept {
    return addr == "::1" || addr.rfind("127.", 0) == 0 || addr.rfind("::ffff:127.", 0) == 0;
}

base::result<std::string, std::string> read_token_file(const std::string& path) {
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0) return base::fail(path + ": " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) return base::fail(path + ": not a regular file");
    if ((st.st_mode & 077) != 0) return base::fail(path + ": readable or writable by others; chmod 600 it");
    std::ifstream in(path);
    std::string token;
    std::getline(in, token);
    while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
    if (token.size() < 16) return base::fail(path + ": the token must be one line of at least 16 characters");
    return token;
}

}  // namespace control
