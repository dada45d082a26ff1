// hyperdht/hyper_messages.h -- the HyperDHT messages carried in dht-rpc values
// (docs/protocol.md §3.2) and the bytes that get signed (docs/protocol.md §3.3).
//
//   peer            := fixed32(publicKey) array(addr4) relayAddresses
//   announce        := uint(flags) [peer](1) [fixed32 refresh](2) [fixed64 signature](4) [uint bump](8)
//   lookupRawReply  := uint(count) peer{count} [uint bump]
//   mutablePutRequest  := fixed32(publicKey) uint(seq) buffer(value) fixed64(signature)
//   mutableGetResponse := uint(seq) buffer(value) fixed64(signature)
//   handshake       := uint(flags) uint(mode) buffer(noise) [addr4 peerAddress](1) [addr4 relayAddress](2)
//   holepunch       := uint(flags) uint(mode) uint(id) buffer(payload) [addr4 peerAddress](1)
//   pluginRequest   := string(plugin) uint(version) uint(command) uint(flags) [buffer value](1)
//
// Decoders return views that BORROW the value bytes and ignore trailing
// bytes, like the reference. Limits: a relay list may hold up to 340
// addresses (what fits in a datagram) and all of them are kept, because the
// announce signature covers the list as sent; buffers are bounded by the
// 2048-byte datagram. Thread safety: stateless functions.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "base/byte_reader.h"
#include "base/endpoint.h"
#include "base/result.h"
#include "crypto/hash.h"
#include "crypto/sign.h"
#include "dht/compact.h"
#include "dht/types.h"

namespace dht::hyper {

enum class command : std::uint8_t {
    peer_handshake = 0,
    peer_holepunch = 1,
    find_peer = 2,
    lookup = 3,
    announce = 4,
    unannounce = 5,
    mutable_put = 6,
    mutable_get = 7,
    immutable_put = 8,
    immutable_get = 9,
    plugin = 10,
};

enum class mode : std::uint8_t { from_client = 0, from_server = 1, from_relay = 2, from_second_relay = 3, reply = 4 };
// The mode a u64 on the wire names, or nothing past REPLY (the reference
// ignores those; truncating to 8 bits would read 256 as FROM_CLIENT).
[[nodiscard]] constexpr std::optional<mode> mode_of(std::uint64_t v) noexcept {
    return v <= static_cast<std::uint64_t>(mode::reply) ? std::optional(static_cast<mode>(v)) : std::nullopt;
}

inline constexpr std::size_t max_relays_decoded = 340;
inline constexpr std::size_t max_relays_stored = 3;

using base::bytes_view;
template <class T>
using result = base::result<T, base::decode_errc>;

// The namespaces of docs/protocol.md §1.2: NS_i = H(H("hyperswarm/dht") || i).
struct namespaces {
    crypto::hash32 peer_handshake, peer_holepunch, announce, unannounce, mutable_put;
};
[[nodiscard]] const namespaces& ns() noexcept;

struct peer_view {
    crypto::public_key pk;
    ce::addr4_array relays;
    bytes_view raw;  // the exact encoded bytes (set by the message decoders)
};
[[nodiscard]] result<peer_view> read_peer(base::byte_reader& r) noexcept;
// Canonical encoding of a peer record (at most `max_relays` relays).
[[nodiscard]] std::vector<std::byte> encode_peer(const crypto::public_key& pk, std::span<const base::endpoint> relays,
                                                 std::size_t max_relays = max_relays_decoded);

struct announce_view {
    std::optional<peer_view> peer;
    std::optional<crypto::hash32> refresh;
    std::optional<crypto::signature> sig;
    std::uint64_t bump = 0;
};
[[nodiscard]] result<announce_view> decode_announce(bytes_view v) noexcept;
void decode_announce(std::vector<std::byte>&&) = delete;  // the result views its input
[[nodiscard]] std::vector<std::byte> encode_announce(const crypto::public_key& pk, std::span<const base::endpoint> relays,
                                                     const std::optional<crypto::hash32>& refresh,
                                                     const std::optional<crypto::signature>& sig, std::uint64_t bump);

// 64 bytes: ns || H(target || node_id || token || encode(peer) || refresh-or-empty).
// `peer_encoding` must be the canonical re-encoding of the peer as sent.
[[nodiscard]] std::array<std::byte, 64> announce_signable(const crypto::hash32& ns, const target& tgt, const node_id& id,
                                                          const token& tok, bytes_view peer_encoding,
                                                          const std::optional<crypto::hash32>& refresh) noexcept;

struct lookup_reply_view {
    std::vector<peer_view> peers;
    std::uint64_t bump = 0;
};
[[nodiscard]] result<lookup_reply_view> decode_lookup_reply(bytes_view v) noexcept;
void decode_lookup_reply(std::vector<std::byte>&&) = delete;  // the result views its input
// count, the already-encoded peer records concatenated, bump.
[[nodiscard]] std::vector<std::byte> encode_lookup_reply(std::span<const bytes_view> encoded_peers, std::uint64_t bump);

struct mutable_put_view {
    crypto::public_key pk;
    std::uint64_t seq = 0;
    bytes_view value;
    crypto::signature sig;
};
[[nodiscard]] result<mutable_put_view> decode_mutable_put(bytes_view v) noexcept;
void decode_mutable_put(std::vector<std::byte>&&) = delete;  // the result views its input
[[nodiscard]] std::vector<std::byte> encode_mutable_put(const crypto::public_key& pk, std::uint64_t seq, bytes_view value,
                                                        const crypto::signature& sig);

struct mutable_get_view {
    std::uint64_t seq = 0;
    bytes_view value;
    crypto::signature sig;
};
[[nodiscard]] result<mutable_get_view> decode_mutable_get_response(bytes_view v) noexcept;
void decode_mutable_get_response(std::vector<std::byte>&&) = delete;  // the result views its input
[[nodiscard]] std::vector<std::byte> encode_mutable_get_response(std::uint64_t seq, bytes_view value,
                                                                 const crypto::signature& sig);
// 64 bytes: NS_MUTABLE_PUT || H(uint(seq) || buffer(value)).
[[nodiscard]] std::array<std::byte, 64> mutable_signable(std::uint64_t seq, bytes_view value) noexcept;

struct handshake_view {
    std::uint64_t mode = 0;
    bytes_view noise;
    std::optional<base::endpoint> peer_address;
    std::optional<base::endpoint> relay_address;
};
[[nodiscard]] result<handshake_view> decode_handshake(bytes_view v) noexcept;
void decode_handshake(std::vector<std::byte>&&) = delete;  // the result views its input
[[nodiscard]] std::vector<std::byte> encode_handshake(std::uint64_t mode, bytes_view noise,
                                                      const std::optional<base::endpoint>& peer_address,
                                                      const std::optional<base::endpoint>& relay_address);

struct holepunch_view {
    std::uint64_t mode = 0;
    std::uint64_t id = 0;
    bytes_view payload;
    std::optional<base::endpoint> peer_address;
};
[[nodiscard]] result<holepunch_view> decode_holepunch(bytes_view v) noexcept;
void decode_holepunch(std::vector<std::byte>&&) = delete;  // the result views its input
[[nodiscard]] std::vector<std::byte> encode_holepunch(std::uint64_t mode, std::uint64_t id, bytes_view payload,
                                                      const std::optional<base::endpoint>& peer_address);

struct plugin_request_view {
    std::string_view plugin;
    std::uint64_t version = 0;
    std::uint64_t command = 0;
    std::optional<bytes_view> value;
};
[[nodiscard]] result<plugin_request_view> decode_plugin_request(bytes_view v) noexcept;
void decode_plugin_request(std::vector<std::byte>&&) = delete;  // the result views its input

}  // namespace dht::hyper
