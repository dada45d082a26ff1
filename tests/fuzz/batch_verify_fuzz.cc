// Differential fuzz target: crypto::verify_batch against libsodium's
// crypto_sign_verify_detached, aborting on the first verdict that differs.
//
// Raw bytes almost never make a valid signature, so the input is a small
// program that builds a batch from valid material and then damages it:
//
//   input  := flags job*              (at most 64 jobs; missing bytes read as 0)
//   flags  := u8   bit 0: unused (every field backend the CPU has runs), bit 1: Pippenger,
//                  bit 2: equation even for tiny batches, bit 3: bisection leaves of 4
//   job    := kind:u8 body edit*      edit count = (kind >> 4) & 3
//   kind&7 := 0 honest:  key:u8 msglen:u8 msg[msglen]          (libsodium signs)
//             1 torsion: key:u8 ta_tr:u8 nonce:u8[8] msglen:u8 msg[msglen]
//                        (key a B + T[ta], nonce r B + T[tr], S = r + h a: valid for
//                        libsodium iff T[tr] = -h T[ta])
//             2 raw:     pk[32] sig[64] msglen:u8 msg[msglen]
//             3 copy:    a previous job again (index:u8), then edits
//             else       honest, as 0
//   edit   := op:u8 arg:u16le
//             op%8: 0 flip bit arg%512 of sig, 1 flip bit arg%256 of pk,
//                   2 flip bit of msg, 3 R := small-order point arg%8 (bit 255 = arg>>3 & 1),
//                   4 A := small-order point, 5 S += L, 6 R := non-canonical y = p + arg%19,
//                   7 A := non-canonical y
#include <sodium.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "crypto/batch_verify.h"
#include "crypto/detail/batch_verify_impl.h"
#include "crypto/detail/ge25519.h"
#include "crypto/detail/msm.h"
#include "crypto/detail/scalar25519.h"
#include "crypto/hash.h"
#include "crypto/sign.h"

namespace {

namespace cd = crypto::detail;

constexpr std::size_t max_jobs = 64;
constexpr std::size_t key_count = 8;

class reader {
public:
    reader(const std::uint8_t* d, std::size_t n) : _d(d), _n(n) {}
    std::uint8_t u8() { return _pos < _n ? _d[_pos++] : 0; }
    std::uint16_t u16() { return static_cast<std::uint16_t>(u8() | (u8() << 8)); }
    void bytes(std::uint8_t* out, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) out[i] = u8();
    }
    [[nodiscard]] bool done() const { return _pos >= _n; }

private:
    const std::uint8_t* _d;
    std::size_t _n;
    std::size_t _pos = 0;
};

struct material {
    std::array<crypto::keypair, key_count> keys;
    std::array<std::array<std::uint8_t, 32>, key_count> secret;  // a, reduced mod L
    std::array<cd::ge_p3, 8> torsion;                            // k * T8
};

const material& setup() {
    static const material m = [] {
        if (!crypto::init()) std::abort();
        material out;
        for (std::size_t i = 0; i < key_count; ++i) {
            std::array<std::uint8_t, 32> s;
            s.fill(static_cast<std::uint8_t>(0x40 + i));
            out.keys[i] = crypto::keypair_from_seed(crypto::seed(s));
            std::uint8_t h[64], wide[64] = {};
            crypto_hash_sha512(h, s.data(), 32);
            h[0] &= 248;
            h[31] &= 127;
            h[31] |= 64;
            std::memcpy(wide, h, 32);
            crypto_core_ed25519_scalar_reduce(out.secret[i].data(), wide);
        }
        // k * T8 for a point T8 of order 8 (any generator of E[8] would do).
        const std::uint8_t t8[32] = {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4,
                                     0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6,
                                     0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05};
        cd::ge_p3 g;
        if (!cd::ge_from_bytes(g, t8)) std::abort();
        for (std::uint64_t k = 0; k < 8; ++k) out.torsion[k] = cd::ge_mul_small(g, k);
        return out;
    }();
    return m;
}

struct job_data {
    std::vector<std::byte> msg;
    crypto::public_key pk;
    crypto::signature sig;
};

void read_msg(reader& r, std::vector<std::byte>& msg) {
    msg.resize(r.u8());
    for (auto& b : msg) b = std::byte{r.u8()};
}

job_data honest(reader& r, const material& m) {
    job_data j;
    const auto& kp = m.keys[r.u8() % key_count];
    read_msg(r, j.msg);
    j.pk = kp.pk;
    j.sig = crypto::sign(j.msg, kp.sk);
    return j;
}

job_data torsion(reader& r, const material& m) {
    job_data j;
    const std::size_t key = r.u8() % key_count;
    const std::uint8_t t = r.u8();
    std::uint8_t wide[64] = {}, rs[32];
    r.bytes(wide, 8);
    wide[8] = 1;  // a non-zero nonce
    crypto_core_ed25519_scalar_reduce(rs, wide);
    read_msg(r, j.msg);
    const cd::ge_p3 a_pt = cd::ge_add_p3(cd::base_mul(cd::scalar_from_bytes(m.secret[key].data())), m.torsion[t & 7]);
    const cd::ge_p3 r_pt = cd::ge_add_p3(cd::base_mul(cd::scalar_from_bytes(rs)), m.torsion[(t >> 3) & 7]);
    cd::ge_to_bytes(j.pk.data(), a_pt);
    cd::ge_to_bytes(j.sig.data(), r_pt);
    std::uint8_t digest[64], h[32], ha[32];
    crypto_hash_sha512_state st;
    crypto_hash_sha512_init(&st);
    crypto_hash_sha512_update(&st, j.sig.data(), 32);
    crypto_hash_sha512_update(&st, j.pk.data(), 32);
    crypto_hash_sha512_update(&st, reinterpret_cast<const std::uint8_t*>(j.msg.data()), j.msg.size());
    crypto_hash_sha512_final(&st, digest);
    crypto_core_ed25519_scalar_reduce(h, digest);
    crypto_core_ed25519_scalar_mul(ha, h, m.secret[key].data());
    crypto_core_ed25519_scalar_add(j.sig.data() + 32, rs, ha);
    return j;
}

job_data raw(reader& r) {
    job_data j;
    r.bytes(j.pk.data(), 32);
    r.bytes(j.sig.data(), 64);
    read_msg(r, j.msg);
    return j;
}

void non_canonical(std::uint8_t* dst, std::uint16_t arg) {
    std::memset(dst, 0xff, 32);
    dst[0] = static_cast<std::uint8_t>(0xed + arg % 19);
    dst[31] = (arg & 0x100) ? 0xff : 0x7f;
}

void add_l(std::uint8_t* s) {
    static const std::uint8_t l[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                       0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
    unsigned carry = 0;
    for (int b = 0; b < 32; ++b) {
        const unsigned v = s[b] + l[b] + carry;
        s[b] = static_cast<std::uint8_t>(v);
        carry = v >> 8;
    }
}

void edit(job_data& j, std::uint8_t op, std::uint16_t arg, const material& m) {
    switch (op % 8) {
    case 0: j.sig.data()[(arg % 512) / 8] ^= static_cast<std::uint8_t>(1u << (arg % 8)); break;
    case 1: j.pk.data()[(arg % 256) / 8] ^= static_cast<std::uint8_t>(1u << (arg % 8)); break;
    case 2:
        if (!j.msg.empty()) j.msg[(arg / 8) % j.msg.size()] ^= std::byte(static_cast<std::uint8_t>(1u << (arg % 8)));
        break;
    case 3:
    case 4: {
        std::uint8_t* dst = op % 8 == 3 ? j.sig.data() : j.pk.data();
        cd::ge_to_bytes(dst, m.torsion[arg % 8]);
        dst[31] = static_cast<std::uint8_t>(dst[31] ^ (((arg >> 3) & 1) << 7));
        break;
    }
    case 5: add_l(j.sig.data() + 32); break;
    case 6: non_canonical(j.sig.data(), arg); break;
    default: non_canonical(j.pk.data(), arg); break;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const material& m = setup();
    reader r(data, size);
    const std::uint8_t flags = r.u8();
    cd::batch_options opt;
    if (flags & 2) opt.msm = cd::msm_algorithm::pippenger;
    if (flags & 4) opt.min_equation_items = 1;
    if (flags & 8) opt.bisect_leaf = 4;
    std::vector<job_data> jobs;
    while (!r.done() && jobs.size() < max_jobs) {
        const std::uint8_t kind = r.u8();
        job_data j;
        switch (kind & 7) {
        case 1: j = torsion(r, m); break;
        case 2: j = raw(r); break;
        case 3: {
            const std::uint8_t idx = r.u8();
            j = jobs.empty() ? honest(r, m) : jobs[idx % jobs.size()];
            break;
        }
        default: j = honest(r, m); break;
        }
        for (int e = 0; e < ((kind >> 4) & 3); ++e) {
            const std::uint8_t op = r.u8();
            edit(j, op, r.u16(), m);
        }
        jobs.push_back(std::move(j));
    }
    std::vector<crypto::verify_job> views;
    for (const auto& j : jobs) views.push_back(crypto::verify_job{j.msg, j.pk, j.sig});
    std::unique_ptr<bool[]> ok(new bool[views.size() + 1]);
    std::vector<bool> want(views.size());
    for (std::size_t i = 0; i < views.size(); ++i) want[i] = crypto::verify(jobs[i].sig, jobs[i].msg, jobs[i].pk);
    // Every field backend this CPU has (bit 0 of flags used to pick portable).
    for (const cd::field_backend be : cd::available_backends()) {
        opt.backend = be;
        cd::verify_batch_with(views, std::span<bool>(ok.get(), views.size()), opt);
        for (std::size_t i = 0; i < views.size(); ++i) {
            if (ok[i] != want[i]) {
                std::fprintf(stderr, "batch_verify_fuzz: job %zu of %zu: batch=%d libsodium=%d flags=%u backend=%s\n",
                             i, views.size(), ok[i] ? 1 : 0, want[i] ? 1 : 0, flags, cd::backend_name(be));
                std::abort();
            }
        }
    }
    return 0;
}
