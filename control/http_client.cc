#include "control/http_client.h"

#include <httplib.h>

namespace control {

base::result<http_response, std::string> http_get(const std::string& host, std::uint16_t port,
                                                  const std::string& path, std::chrono::milliseconds timeout) {
    httplib::Client cli(host, port);
    const auto sec = static_cast<time_t>(timeout.count() / 1000);
    const auto usec = static_cast<time_t>((timeout.count() % 1000) * 1000);
    cli.set_connection_timeout(sec, usec);
    cli.set_read_timeout(sec, usec);
    cli.set_write_timeout(sec, usec);
    std::string body;
    bool too_big = false;
    auto res = cli.Get(path, httplib::Headers{}, [&](const char* data, std::size_t n) {
        if (body.size() + n > max_body_bytes) {
            too_big = true;
            return false;
        }
        body.append(data, n);
        return true;
    });
    const std::string where = host + ":" + std::to_string(port);
    if (too_big) return base::fail(where + path + ": answer larger than 8 MiB");
    if (!res) {
        switch (res.error()) {
            case httplib::Error::Connection: return base::fail(where + ": cannot connect (is a control listener there?)");
            case httplib::Error::ConnectionTimeout: return base::fail(where + ": timed out connecting");
            case httplib::Error::Read: return base::fail(where + ": the answer did not arrive in time or broke off");
            default: return base::fail(where + ": " + httplib::to_string(res.error()));
        }
    }
    return http_response{res->status, res->get_header_value("Content-Type"), std::move(body)};
}

}  // namespace control
