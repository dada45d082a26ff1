// Ed25519 verification cost per signature: libsodium one at a time against
// crypto::verify_batch at batch sizes 1..128, on the field backend the CPU
// picks and on the portable one, with either multi-scalar multiplication;
// and the two kernels that dominate a batch (the exponentiation, the MSM).
// Every benchmark sets items processed = signatures (or elements), so
// 1 / items_per_second is the cost of one. scripts/bench/verify.sh turns the
// medians into the headline figures.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <memory>
#include <vector>

#include "base/random.h"
#include "crypto/batch_verify.h"
#include "crypto/detail/batch_verify_impl.h"
#include "crypto/detail/msm.h"
#include "crypto/detail/pow_batch.h"
#include "crypto/hash.h"
#include "crypto/sign.h"
#include "crypto/key_cache.h"
#include "crypto/verify_queue.h"

namespace {

namespace cd = crypto::detail;

constexpr std::size_t pool_size = 2048;
constexpr std::size_t message_bytes = 128;  // about a HyperDHT announce's signable

struct pool {
    std::vector<std::vector<std::byte>> msgs;
    std::vector<crypto::verify_job> jobs;
};

// Signatures under `keys` distinct keys (message i signed by key i % keys);
// keys == 0: every signature has its own key.
pool make_pool(std::size_t keys) {
    if (!crypto::init()) std::abort();
    pool out;
    base::prng rnd(7);
    std::vector<crypto::keypair> kps;
    out.msgs.resize(pool_size);
    for (std::size_t i = 0; i < pool_size; ++i) {
        auto& m = out.msgs[i];
        m.resize(message_bytes);
        for (auto& b : m) b = std::byte(static_cast<std::uint8_t>(rnd()));
        if (keys == 0 || kps.size() < keys) {
            std::array<std::uint8_t, 32> seed;
            for (auto& b : seed) b = static_cast<std::uint8_t>(rnd());
            kps.push_back(crypto::keypair_from_seed(crypto::seed(seed)));
        }
        const auto& kp = kps[keys == 0 ? i : i % keys];
        out.jobs.push_back(crypto::verify_job{m, kp.pk, crypto::sign(m, kp.sk)});
    }
    return out;
}

const pool& signatures() {
    static const pool p = make_pool(0);
    return p;
}

// The vs-js ANNOUNCE mix's keys: 1000 keys in turn.
const pool& repeated_key_signatures() {
    static const pool p = make_pool(1000);
    return p;
}

void run_batches(benchmark::State& state, const cd::batch_options& opt, const pool& p = signatures()) {
    const auto n = static_cast<std::size_t>(state.range(0));
    std::unique_ptr<bool[]> ok(new bool[n]);
    if (!cd::backend_available(opt.backend)) {
        state.SkipWithError("backend not available on this CPU");
        return;
    }
    state.SetLabel(cd::backend_name(cd::resolve_backend(opt.backend)));
    std::size_t at = 0;
    for (auto _ : state) {
        if (at + n > pool_size) at = 0;
        const auto sum = cd::verify_batch_with(std::span(p.jobs).subspan(at, n), std::span<bool>(ok.get(), n), opt);
        if (sum.accepted != n) state.SkipWithError("a valid signature was rejected");
        benchmark::DoNotOptimize(ok.get());
        at += n;
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}

void batch_args(benchmark::internal::Benchmark* b) {
    for (int n : {1, 4, 8, 16, 32, 64, 128}) b->Arg(n);
}

// What production uses: automatic backend and MSM (batches of one go to
// libsodium). --verify-backend (see main) changes what automatic means.
void BM_VerifyBatch_Default(benchmark::State& state) { run_batches(state, cd::batch_options{}); }
BENCHMARK(BM_VerifyBatch_Default)->Apply(batch_args);

// Each backend forced, automatic MSM (skipped when the CPU lacks it).
void run_backend(benchmark::State& state, cd::field_backend be) {
    cd::batch_options o;
    o.backend = be;
    run_batches(state, o);
}
void BM_VerifyBatch_Portable(benchmark::State& state) { run_backend(state, cd::field_backend::portable); }
void BM_VerifyBatch_Avx2(benchmark::State& state) { run_backend(state, cd::field_backend::avx2); }
void BM_VerifyBatch_Ifma(benchmark::State& state) { run_backend(state, cd::field_backend::avx512ifma); }
BENCHMARK(BM_VerifyBatch_Portable)->Apply(batch_args);
BENCHMARK(BM_VerifyBatch_Avx2)->Apply(batch_args);
BENCHMARK(BM_VerifyBatch_Ifma)->Apply(batch_args);

// With a shard's key cache (default size) on the vs-js key pattern (1000 keys
// in turn, so after the first pass every key hits): what the cache saves.
void run_cached(benchmark::State& state, cd::field_backend be) {
    crypto::key_cache cache(crypto::verify_queue_config{}.key_cache_entries);
    cd::batch_options o;
    o.backend = be;
    o.keys = &cache;
    run_batches(state, o, repeated_key_signatures());
    state.counters["key_hit_rate"] = static_cast<double>(cache.stats().hits) /
                                     static_cast<double>(std::max<std::uint64_t>(cache.stats().lookups, 1));
}
void BM_VerifyBatch_KeyCache_Portable(benchmark::State& state) { run_cached(state, cd::field_backend::portable); }
void BM_VerifyBatch_KeyCache_Avx2(benchmark::State& state) { run_cached(state, cd::field_backend::avx2); }
void BM_VerifyBatch_KeyCache_Ifma(benchmark::State& state) { run_cached(state, cd::field_backend::avx512ifma); }
BENCHMARK(BM_VerifyBatch_KeyCache_Portable)->Arg(64);
BENCHMARK(BM_VerifyBatch_KeyCache_Avx2)->Arg(64);
BENCHMARK(BM_VerifyBatch_KeyCache_Ifma)->Arg(64);

void BM_VerifyBatch_PortableStraus(benchmark::State& state) {
    cd::batch_options o;
    o.backend = cd::field_backend::portable;
    o.msm = cd::msm_algorithm::straus;
    run_batches(state, o);
}
BENCHMARK(BM_VerifyBatch_PortableStraus)->Apply(batch_args)->Arg(256);

void BM_VerifyBatch_PortablePippenger(benchmark::State& state) {
    cd::batch_options o;
    o.backend = cd::field_backend::portable;
    o.msm = cd::msm_algorithm::pippenger;
    run_batches(state, o);
}
BENCHMARK(BM_VerifyBatch_PortablePippenger)->Apply(batch_args)->Arg(256);

// The equation path even for one item, to show why production hands single
// items to libsodium.
void BM_VerifyBatch_ForcedEquation(benchmark::State& state) {
    cd::batch_options o;
    o.min_equation_items = 1;
    run_batches(state, o);
}
BENCHMARK(BM_VerifyBatch_ForcedEquation)->Arg(1)->Arg(2)->Arg(4);

// The cost of one forged signature (S changed) in a batch: bisection plus one
// libsodium call, against BM_VerifyBatch_Default at the same size.
void BM_VerifyBatch_OneForged(benchmark::State& state) {
    const auto& p = signatures();
    const auto n = static_cast<std::size_t>(state.range(0));
    std::vector<crypto::verify_job> jobs(n);
    std::unique_ptr<bool[]> ok(new bool[n]);
    state.SetLabel(crypto::batch_verify_backend());
    std::size_t at = 0;
    for (auto _ : state) {
        if (at + n > pool_size) at = 0;
        const auto first = p.jobs.begin() + static_cast<std::ptrdiff_t>(at);
        std::copy(first, first + static_cast<std::ptrdiff_t>(n), jobs.begin());
        jobs[n / 3].sig.data()[40] ^= 0x01;
        const auto sum = crypto::verify_batch(jobs, std::span<bool>(ok.get(), n));
        if (sum.accepted != n - 1) state.SkipWithError("wrong verdicts");
        at += n;
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_VerifyBatch_OneForged)->Arg(16)->Arg(64)->Arg(128);

void BM_VerifySingle_Libsodium(benchmark::State& state) {
    const auto& p = signatures();
    std::size_t at = 0;
    for (auto _ : state) {
        const auto& j = p.jobs[at];
        if (!crypto::verify(j.sig, j.msg, j.pk)) state.SkipWithError("rejected");
        at = (at + 1) % pool_size;
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifySingle_Libsodium);

// ------------------------------------------------------------- key cache

// Hit rate of a shard's key cache (the verify_queue default size unless the
// argument says otherwise) under a stream of announcing keys; reported as the
// hit_rate counter. Each iteration replays the whole stream into a new cache.
//   VsJs:      scripts/bench/vs-js.sh's ANNOUNCE mix: shoal-load --topics 1
//              --keys 1000 signs record r with key r % 1000, so the keys cycle;
//              200 000 announces (every key 200 times).
//   Realistic: range(0) keys on this shard, each re-announcing every 10
//              minutes at its own random phase with +-30 s of jitter, for one
//              hour; the first ten minutes (cold) are not counted.
void key_cache_replay(benchmark::State& state, const std::vector<std::uint32_t>& stream, std::size_t keys,
                      std::size_t warm_from, std::size_t entries) {
    std::vector<crypto::public_key> pk(keys);
    base::prng rnd(11);
    for (auto& k : pk) {
        for (std::size_t i = 0; i < 32; ++i) k.data()[i] = static_cast<std::uint8_t>(rnd());
    }
    const cd::ge_p3 point = cd::ge_base();
    double rate = 0;
    for (auto _ : state) {
        crypto::key_cache cache(entries);
        std::size_t hits = 0;
        for (std::size_t i = 0; i < stream.size(); ++i) {
            cd::ge_p3 got;
            const bool hit = cache.find(pk[stream[i]].data(), got);
            if (!hit) cache.insert(pk[stream[i]].data(), point);
            if (i >= warm_from && hit) ++hits;
        }
        rate = static_cast<double>(hits) / static_cast<double>(stream.size() - warm_from);
    }
    state.counters["hit_rate"] = rate;
    state.counters["entries"] = static_cast<double>(crypto::key_cache(entries).capacity());
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(stream.size()));
}

std::size_t cache_entries(benchmark::State& state) {
    return state.range(1) > 0 ? static_cast<std::size_t>(state.range(1)) : crypto::verify_queue_config{}.key_cache_entries;
}

void BM_KeyCache_VsJs(benchmark::State& state) {
    if (!crypto::init()) std::abort();
    constexpr std::size_t keys = 1000, announces = 200'000;
    std::vector<std::uint32_t> stream(announces);
    for (std::size_t r = 0; r < announces; ++r) stream[r] = static_cast<std::uint32_t>(r % keys);
    key_cache_replay(state, stream, keys, 0, cache_entries(state));
}
BENCHMARK(BM_KeyCache_VsJs)->Args({0, 0})->Iterations(1);

void BM_KeyCache_Realistic(benchmark::State& state) {
    if (!crypto::init()) std::abort();
    const auto keys = static_cast<std::size_t>(state.range(0));
    constexpr double period = 600, jitter = 30, hours = 1;
    base::prng rnd(13);
    std::vector<std::pair<double, std::uint32_t>> events;
    for (std::size_t k = 0; k < keys; ++k) {
        const double phase = period * static_cast<double>(rnd.below(1'000'000)) / 1e6;
        for (double t = phase; t < hours * 3600; t += period) {
            const double j = jitter * (2 * static_cast<double>(rnd.below(1'000'000)) / 1e6 - 1);
            events.emplace_back(t + j, static_cast<std::uint32_t>(k));
        }
    }
    std::sort(events.begin(), events.end());
    std::vector<std::uint32_t> stream;
    std::size_t warm_from = 0;
    for (const auto& [t, k] : events) {
        if (t < period) warm_from = stream.size() + 1;
        stream.push_back(k);
    }
    key_cache_replay(state, stream, keys, warm_from, cache_entries(state));
}
// Keys on one shard: 100 000 (one shard takes them all), 25 000 (four shards);
// the default cache and a 131 072-entry one (14 MiB).
BENCHMARK(BM_KeyCache_Realistic)
    ->Args({100'000, 0})
    ->Args({25'000, 0})
    ->Args({100'000, 131'072})
    ->Iterations(1);

// ------------------------------------------------------------- kernels

void run_pow(benchmark::State& state, cd::field_backend be) {
    if (!cd::backend_available(be)) {
        state.SkipWithError("backend not available on this CPU");
        return;
    }
    base::prng rnd(3);
    std::vector<cd::fe> v(static_cast<std::size_t>(state.range(0)));
    for (auto& f : v) {
        for (auto& l : f.v) l = rnd() & cd::fe_mask51;
    }
    for (auto _ : state) {
        cd::pow22523_many(v, be);
        benchmark::DoNotOptimize(v.data());
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}
void BM_Pow22523_Portable(benchmark::State& state) { run_pow(state, cd::field_backend::portable); }
void BM_Pow22523_Avx2(benchmark::State& state) { run_pow(state, cd::field_backend::avx2); }
void BM_Pow22523_Ifma(benchmark::State& state) { run_pow(state, cd::field_backend::avx512ifma); }
BENCHMARK(BM_Pow22523_Portable)->Arg(1)->Arg(64);
BENCHMARK(BM_Pow22523_Avx2)->Arg(4)->Arg(8)->Arg(64);
BENCHMARK(BM_Pow22523_Ifma)->Arg(8)->Arg(64);

// The multi-scalar multiplication alone, shaped like a batch of n signatures:
// n points with 128-bit scalars (R), n with 253-bit ones (A), and B.
template <class Msm>
void run_msm(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    base::prng rnd(5);
    std::vector<cd::ge_p3> pts;
    std::vector<cd::scalar> ks;
    auto rand_scalar = [&](bool short_one) {
        cd::scalar s{{rnd(), rnd(), rnd(), rnd() & 0x0fffffffffffffffull}};
        if (short_one) s.w[2] = s.w[3] = 0;
        return s;
    };
    for (std::size_t i = 0; i < 2 * n; ++i) {
        pts.push_back(cd::base_mul(rand_scalar(false)));
        ks.push_back(rand_scalar(i % 2 == 0));
    }
    const cd::scalar base = rand_scalar(false);
    Msm msm;
    for (auto _ : state) {
        msm.prepare(pts, ks);
        benchmark::DoNotOptimize(msm.run(0, 2 * n, base));
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}
struct msm_lanes {
    std::span<const cd::ge_p3> pts;
    std::span<const cd::scalar> ks;
    void prepare(std::span<const cd::ge_p3> p, std::span<const cd::scalar> k) noexcept {
        pts = p;
        ks = k;
    }
    [[nodiscard]] cd::ge_p3 run(std::size_t, std::size_t, const cd::scalar& base) const noexcept {
        return cd::msm_ifma(pts, ks, base);
    }
};
struct msm_lanes4 {
    std::span<const cd::ge_p3> pts;
    std::span<const cd::scalar> ks;
    void prepare(std::span<const cd::ge_p3> p, std::span<const cd::scalar> k) noexcept {
        pts = p;
        ks = k;
    }
    [[nodiscard]] cd::ge_p3 run(std::size_t, std::size_t, const cd::scalar& base) const noexcept {
        return cd::msm_avx2(pts, ks, base);
    }
};
void BM_Msm_Straus(benchmark::State& state) { run_msm<cd::msm_straus>(state); }
void BM_Msm_Pippenger(benchmark::State& state) { run_msm<cd::msm_pippenger>(state); }
void BM_Msm_Ifma(benchmark::State& state) {
    if (!cd::ifma_available()) {
        state.SkipWithError("no AVX-512 IFMA");
        return;
    }
    run_msm<msm_lanes>(state);
}
BENCHMARK(BM_Msm_Straus)->Apply(batch_args)->Arg(256);
BENCHMARK(BM_Msm_Pippenger)->Apply(batch_args)->Arg(256);
BENCHMARK(BM_Msm_Ifma)->Apply(batch_args)->Arg(256);
void BM_Msm_Avx2(benchmark::State& state) {
    if (!cd::avx2_available()) {
        state.SkipWithError("no AVX2");
        return;
    }
    run_msm<msm_lanes4>(state);
}
BENCHMARK(BM_Msm_Avx2)->Apply(batch_args)->Arg(256);

}  // namespace

// Google Benchmark's flags plus --verify-backend=auto|ifma|avx2|portable, which
// sets what the automatic backend (BM_VerifyBatch_Default) runs on.
int main(int argc, char** argv) {
    int kept = 1;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        constexpr std::string_view flag = "--verify-backend=";
        if (a.substr(0, flag.size()) == flag) {
            if (!crypto::set_batch_verify_backend(a.substr(flag.size()))) {
                std::fprintf(stderr, "verify_bench: backend '%s' unknown or not available on this CPU\n",
                             argv[i] + flag.size());
                return 2;
            }
            continue;
        }
        argv[kept++] = argv[i];
    }
    argc = kept;
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
