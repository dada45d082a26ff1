// Fuzzes the dht-rpc frame decoders. Property: whatever decodes re-encodes to
// a frame that decodes to the same view (decode . encode . decode == decode),
// and nothing reads out of bounds (ASan) or trips UB (UBSan).
#include <array>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "dht/wire.h"
#include "tests/fuzz/fuzz.h"

namespace {

void require(bool cond) {
    if (!cond) std::abort();
}

void round_trip_request(std::span<const std::byte> in) {
    auto v = dht::decode_request(in);
    if (!v) return;
    std::array<std::byte, dht::max_datagram> buf;
    dht::request_out q;
    q.tid = v->tid;
    q.to = v->to;
    q.id = v->id ? &*v->id : nullptr;
    q.tok = v->tok ? &*v->tok : nullptr;
    q.internal = v->internal;
    q.command = v->command;
    q.tgt = v->tgt ? &*v->tgt : nullptr;
    q.value = v->value;
    auto n = dht::encode_request(buf, q);
    if (n == 0) return;  // a non-minimal input can re-encode larger than 2048? never smaller than needed
    auto w = dht::decode_request(std::span(buf).first(n));
    require(w.has_value());
    require(w->tid == v->tid && w->to == v->to && w->id == v->id && w->tok == v->tok &&
                w->internal == v->internal && w->command == v->command && w->tgt == v->tgt &&
                w->value.has_value() == v->value.has_value());
    if (v->value) require(std::equal(v->value->begin(), v->value->end(), w->value->begin(), w->value->end()));
}

void round_trip_response(std::span<const std::byte> in) {
    auto v = dht::decode_response(in);
    if (!v) return;
    std::vector<base::endpoint> closer;
    for (std::size_t i = 0; i < v->closer.size(); ++i) closer.push_back(v->closer[i]);
    std::array<std::byte, dht::max_datagram> buf;
    dht::response_out r;
    r.tid = v->tid;
    r.to = v->to;
    r.id = v->id ? &*v->id : nullptr;
    r.tok = v->tok ? &*v->tok : nullptr;
    r.closer = closer;
    r.error = v->error;
    r.value = v->value;
    auto n = dht::encode_response(buf, r);
    if (n == 0) return;
    auto w = dht::decode_response(std::span(buf).first(n));
    require(w.has_value());
    require(w->tid == v->tid && w->to == v->to && w->id == v->id && w->tok == v->tok && w->error == v->error &&
                w->closer.size() == v->closer.size() && w->value.has_value() == v->value.has_value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data), size);
    round_trip_request(in);
    round_trip_response(in);
    return 0;
}
