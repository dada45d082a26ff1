// Fuzzes every HyperDHT message decoder. The first byte picks the decoder;
// whatever decodes is re-encoded and decoded again and must agree.
#include <cstdint>
#include <cstdlib>

#include "hyperdht/hyper_messages.h"
#include "tests/fuzz/fuzz.h"

namespace {

namespace h = dht::hyper;
using bv = base::bytes_view;

void require(bool c) {
    if (!c) std::abort();
}

std::vector<base::endpoint> relays_of(const h::peer_view& p) {
    std::vector<base::endpoint> v;
    for (std::size_t i = 0; i < p.relays.size(); ++i) v.push_back(p.relays[i]);
    return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const bv in(reinterpret_cast<const std::byte*>(data) + 1, size - 1);
    switch (data[0] % 8) {
        case 0: {
            auto a = h::decode_announce(in);
            if (a && a->peer) {
                auto enc = h::encode_announce(a->peer->pk, relays_of(*a->peer), a->refresh, a->sig, a->bump);
                if (!enc.empty()) {
                    auto b = h::decode_announce(enc);
                    require(b && b->peer && b->peer->pk == a->peer->pk && b->peer->relays.size() == a->peer->relays.size() &&
                            b->sig == a->sig && b->refresh == a->refresh && b->bump == a->bump);
                }
            }
            break;
        }
        case 1: {
            auto l = h::decode_lookup_reply(in);
            if (l) {
                std::vector<bv> raws;
                for (auto& p : l->peers) raws.push_back(p.raw);
                auto enc = h::encode_lookup_reply(raws, l->bump);
                if (!enc.empty()) {
                    auto m = h::decode_lookup_reply(enc);
                    require(m && m->peers.size() == l->peers.size() && m->bump == l->bump);
                }
            }
            break;
        }
        case 2: {
            auto m = h::decode_mutable_put(in);
            if (m) {
                auto enc = h::encode_mutable_put(m->pk, m->seq, m->value, m->sig);
                auto n = h::decode_mutable_put(enc);
                require(n && n->seq == m->seq && n->pk == m->pk && n->sig == m->sig && n->value.size() == m->value.size());
            }
            break;
        }
        case 3: {
            auto m = h::decode_mutable_get_response(in);
            if (m) (void)h::mutable_signable(m->seq, m->value);
            break;
        }
        case 4: {
            auto hs = h::decode_handshake(in);
            if (hs) {
                auto enc = h::encode_handshake(hs->mode, hs->noise, hs->peer_address, hs->relay_address);
                auto b = h::decode_handshake(enc);
                require(b && b->mode == hs->mode && b->peer_address == hs->peer_address && b->relay_address == hs->relay_address &&
                        b->noise.size() == hs->noise.size());
            }
            break;
        }
        case 5: {
            auto hp = h::decode_holepunch(in);
            if (hp) {
                auto enc = h::encode_holepunch(hp->mode, hp->id, hp->payload, hp->peer_address);
                auto b = h::decode_holepunch(enc);
                require(b && b->mode == hp->mode && b->id == hp->id && b->peer_address == hp->peer_address);
            }
            break;
        }
        case 6: (void)h::decode_plugin_request(in); break;
        default: {
            base::byte_reader r(in);
            (void)h::read_peer(r);
            break;
        }
    }
    return 0;
}
