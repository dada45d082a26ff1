// control/http_listener.h -- the HTTP control listener: a few routes on their
// own threads, off the packet path.
//
// Built on cpp-httplib (Debian's libcpp-httplib-dev): a small, well-kept
// HTTP/1.1 server whose thread pool we size to two workers, so a slow client
// cannot stall a scrape and the listener never competes with the shards for
// more than that. Routes are exact paths; a route marked `changes_state`
// answers only a loopback client, or one that sends `Authorization: Bearer
// TOKEN` with the token given at start (compared in constant time).
//
// Limits (hostile clients): request line and headers as cpp-httplib bounds
// them (8 KiB per line), bodies of at most 4 KiB, 5 s read and write
// timeouts, keep-alive of at most 5 s and 100 requests.
//
// Thread safety: start/stop from one thread; handlers run on the listener's
// worker threads and must only read what other threads publish.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"

namespace control {

struct http_request {
    std::string method;  // "GET", "POST"
    std::string path;    // without the query
    std::vector<std::pair<std::string, std::string>> params;  // query parameters (and form fields)
    std::string body;
    std::string remote;  // client address
};

struct http_response {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
};

struct route {
    std::string method;  // "GET" or "POST"
    std::string path;    // exact path, or a prefix ending in '/' ("/routines/")
    bool changes_state = false;
    std::function<http_response(const http_request&)> handler;
};

class http_listener {
public:
    // Binds host:port (port 0: any) and serves `routes` until stop().
    // `token`, when not empty, admits non-loopback clients to changes_state
    // routes. Errors: "control 1.2.3.4:5: cannot bind (...)".
    [[nodiscard]] static base::result<std::unique_ptr<http_listener>, std::string> start(const std::string& host,
                                                                                          std::uint16_t port,
                                                                                          std::vector<route> routes,
                                                                                          std::string token);
    ~http_listener();
    void stop() noexcept;
    [[nodiscard]] std::uint16_t port() const noexcept;

    struct impl;

private:
    explicit http_listener(std::unique_ptr<impl> p);
    std::unique_ptr<impl> _p;
};

// True for 127.0.0.0/8 and ::1 (also as ::ffff:127.x.y.z).
[[nodiscard]] bool is_loopback(const std::string& addr) noexcept;

// Reads a bearer token from `path`: it must be a regular file not readable or
// writable by group or others (0600 or stricter) and hold one non-empty line.
[[nodiscard]] base::result<std::string, std::string> read_token_file(const std::string& path);

}  // namespace control
