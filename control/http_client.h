// control/http_client.h -- a GET to a control listener (shoal status, shoal top).
//
// The answer is untrusted: bodies over `max_body_bytes` are refused.
// Thread safety: plain function; each call opens its own connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "base/result.h"
#include "control/http_listener.h"

namespace control {

inline constexpr std::size_t max_body_bytes = 8 << 20;

// GET http://host:port/path. Error: "127.0.0.1:49738: connection refused"-style text.
[[nodiscard]] base::result<http_response, std::string> http_get(const std::string& host, std::uint16_t port,
                                                                const std::string& path,
                                                                std::chrono::milliseconds timeout);

}  // namespace control
