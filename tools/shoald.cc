// shoald -- the shoal DHT node.
//
//   shoald --host 127.0.0.1 --port 10001 --public-host 127.0.0.1     # a bootstrap node
//   shoald --host 127.0.0.1 --port 10002 --public-host 127.0.0.1 --bootstrap 127.0.0.1:10001
//   shoald --config /etc/shoal/shoald.toml
//
// Exit status: 0 after SIGINT/SIGTERM, 1 when the node cannot start, 2 for
// bad command-line input or configuration. Settings: tools/daemon/options.h;
// signals and the control listener: tools/daemon/daemon.h.
#include <cstdio>
#include <variant>

#include "tools/daemon/daemon.h"

extern char** environ;

int main(int argc, char** argv) {
    using namespace tools::daemon;
    auto parsed = parse(argc, argv, environ);
    if (auto* code = std::get_if<int>(&parsed)) return *code;
    auto& req = std::get<request>(parsed);
    if (auto* p = std::get_if<print_request>(&req)) return std::fputs(p->text.c_str(), stdout) < 0 ? 1 : 0;
    if (auto* c = std::get_if<check_request>(&req)) return check(*c, environ);
    return run(std::get<run_request>(req), environ);
}
