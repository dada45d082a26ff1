// hyperdht/client.h -- HyperDHT client operations in C++ (docs/protocol.md §3.4 "client-side
// conventions"), so shoal publishes and discovers peers without any JS:
//
//   lookup(topic)                    LOOKUP query; the peers every reply lists
//   announce(topic, keys, relays)    LOOKUP query, then a signed ANNOUNCE to each closest node
//   unannounce(topic, keys)          LOOKUP query; a signed UNANNOUNCE to nodes listing us
//   find_peer(public key)            FIND_PEER query for H(pk)
//   mutable_put(keys, value, seq)    MUTABLE_GET query, then a signed MUTABLE_PUT to each closest
//   mutable_get(public key, seq)     MUTABLE_GET query; the highest seq whose signature verifies
//   immutable_put(value)             IMMUTABLE_GET query, then IMMUTABLE_PUT to each closest
//   immutable_get(hash)              IMMUTABLE_GET query; the first value that hashes to it
//
// Every operation reports once to its callback, on the node's shard. Values
// from the network are verified before they are reported.
// Thread safety: a client is used on its node's shard only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "crypto/sign.h"
#include "dht/node.h"
#include "store/record_store.h"

namespace dht {

struct found_peer {
    crypto::public_key pk;
    std::vector<base::endpoint> relays;
    base::endpoint from;  // the node that stored it
};

struct op_result {
    bool ok = false;
    std::string error;
    std::size_t replies = 0;  // nodes that answered the query
    std::size_t stored = 0;   // commits acknowledged (puts, announces)
};

struct lookup_result : op_result {
    std::vector<found_peer> peers;  // one entry per (node, peer) pair
};

struct mutable_value {
    std::uint64_t seq = 0;
    std::vector<std::byte> value;
    crypto::signature sig;
    base::endpoint from;
};

class client {
public:
    explicit client(node& n) noexcept : _node(n) {}

    void lookup(const target& topic, std::function<void(const lookup_result&)> done);
    void announce(const target& topic, const crypto::keypair& keys, std::vector<base::endpoint> relays,
                  std::function<void(const op_result&)> done);
    void unannounce(const target& topic, const crypto::keypair& keys, std::function<void(const op_result&)> done);
    void find_peer(const crypto::public_key& pk, std::function<void(const lookup_result&)> done);
    void mutable_put(const crypto::keypair& keys, std::vector<std::byte> value, std::uint64_t seq,
                     std::function<void(const op_result&)> done);
    void mutable_get(const crypto::public_key& pk, std::uint64_t min_seq,
                     std::function<void(const op_result&, const std::optional<mutable_value>&)> done);
    // done gets the hash (the target) under which the value was stored.
    void immutable_put(std::vector<std::byte> value, std::function<void(const op_result&, const target&)> done);
    void immutable_get(const target& hash,
                       std::function<void(const op_result&, const std::optional<std::vector<std::byte>>&)> done);

    [[nodiscard]] static target hash(std::span<const std::byte> b) noexcept;

private:
    node& _node;
};

}  // namespace dht
