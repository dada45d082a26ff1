// Runs the engine suite against one backend: `--backend=io_uring` or
// `--backend=epoll`, and one send mode: `--sends=sendmmsg` (default) or `--sends=sqe`. Exits 77 (CTest: skipped) when the io_uring backend was
// asked for and this kernel or sandbox cannot provide it.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "engine/engine.h"
#include "tests/engine/backend_param.h"

namespace test {
engine::backend_kind g_backend = engine::backend_kind::epoll;
engine::send_mode g_sends = engine::send_mode::sendmmsg;
}

int main(int argc, char** argv) {
    testing::InitGoogleTest(&argc, argv);
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--backend=io_uring") == 0) test::g_backend = engine::backend_kind::io_uring;
        if (std::strcmp(argv[i], "--backend=epoll") == 0) test::g_backend = engine::backend_kind::epoll;
        if (std::strcmp(argv[i], "--sends=sqe") == 0) test::g_sends = engine::send_mode::sqe_batch;
        if (std::strcmp(argv[i], "--sends=sendmmsg") == 0) test::g_sends = engine::send_mode::sendmmsg;
    }
    if (test::g_backend == engine::backend_kind::io_uring) {
        std::string why;
        if (!engine::io_uring_usable(&why)) {
            std::printf("SKIP: io_uring backend unusable here: %s\n", why.c_str());
            return 77;
        }
    }
    std::printf("backend: %s, sends: %s\n", engine::to_string(test::g_backend),
                test::g_sends == engine::send_mode::sqe_batch ? "sqe" : "sendmmsg");
    return RUN_ALL_TESTS();
}
