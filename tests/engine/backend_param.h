#pragma once
#include "engine/config.h"
namespace test {
// The backend this run of the engine suite exercises (set by test_main.cc).
extern engine::backend_kind g_backend;
// The send mode it uses (io_uring only; epoll always uses sendmmsg).
extern engine::send_mode g_sends;
}  // namespace test
