// verify_rate: libsodium's single Ed25519 verification rate on one core, for
// the store benchmark's baseline (an ANNOUNCE costs one verification). It
// verifies 64-byte messages -- the size of an announce signable -- signed by
// distinct keys, for --seconds, and prints verifies_per_s=.
#include <CLI/CLI.hpp>
#include <pthread.h>

#include <chrono>
#include <cstdio>
#include <vector>

#include "crypto/hash.h"
#include "crypto/sign.h"

int main(int argc, char** argv) {
    CLI::App app{"libsodium single-verification rate"};
    int cpu = -1;
    double seconds = 2;
    app.add_option("--cpu", cpu, "pin to this cpu");
    app.add_option("--seconds", seconds, "how long to measure");
    CLI11_PARSE(app, argc, argv);
    if (!crypto::init()) return 1;
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    }
    struct job {
        crypto::public_key pk;
        crypto::signature sig;
        std::array<std::byte, 64> msg;
    };
    std::vector<job> jobs(256);
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        auto kp = crypto::random_keypair();
        crypto::random_bytes(jobs[i].msg.data(), jobs[i].msg.size());
        jobs[i].pk = kp.pk;
        jobs[i].sig = crypto::sign(jobs[i].msg, kp.sk);
    }
    using clk = std::chrono::steady_clock;
    const auto t0 = clk::now();
    const auto end = t0 + std::chrono::duration_cast<clk::duration>(std::chrono::duration<double>(seconds));
    std::uint64_t n = 0, ok = 0;
    while (clk::now() < end) {
        for (const auto& j : jobs) ok += crypto::verify(j.sig, j.msg, j.pk);
        n += jobs.size();
    }
    const double secs = std::chrono::duration<double>(clk::now() - t0).count();
    if (ok != n) {
        std::fprintf(stderr, "verify_rate: a valid signature failed to verify\n");
        return 1;
    }
    std::printf("verifies_per_s=%.0f\nus_per_verify=%.2f\n", static_cast<double>(n) / secs, secs * 1e6 / static_cast<double>(n));
    return 0;
}
