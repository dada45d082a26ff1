// tools/daemon/table_snapshot.h -- the routing table saved in the state
// directory, so a restarted node (even after kill -9, even with no reachable
// bootstrap node) rejoins through the nodes it knew. docs/store_format.md,
// "Routing table snapshot", gives the format:
//
//   file     := magic[8] "SHOALRT1" | version u16le (1) | network u64le |
//               written_unix_s u64le | count u32le | count x node | checksum u64le
//   node     := id[32] | ipv4[4] | port u16le
//   network  := checksum64 of the sorted bootstrap list ("a.b.c.d:p\n" each)
//   checksum := checksum64 (unseeded XXH3-64) of every byte before it
//
// A file whose magic, version, size, count (<= max_nodes) or checksum is
// wrong is refused with the reason; a file of another network (another
// bootstrap list) is refused too. Writes go to a temporary file that is
// fsynced and renamed over the old one, so a crash leaves the old or the new
// file, never a torn one. Thread safety: plain functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/endpoint.h"
#include "base/result.h"
#include "dht/types.h"

namespace tools::daemon {

struct saved_node {
    dht::node_id id;
    base::endpoint addr;  // IPv4
};

struct table_snapshot {
    std::uint64_t network = 0;
    std::uint64_t written_unix_s = 0;
    std::vector<saved_node> nodes;
};

inline constexpr std::size_t snapshot_max_nodes = 65536;
inline constexpr std::string_view snapshot_file_name = "routing-table";

// The network a node belongs to, as the snapshot records it.
[[nodiscard]] std::uint64_t network_of(std::span<const base::endpoint> bootstrap);

[[nodiscard]] std::vector<std::byte> encode_snapshot(const table_snapshot& s);
// Errors: "bad magic", "version 7 is not 1", "truncated", "checksum mismatch", ...
[[nodiscard]] base::result<table_snapshot, std::string> decode_snapshot(std::span<const std::byte> bytes);

// Creates `dir` (mode 0700) when missing and checks that it is a writable directory.
[[nodiscard]] base::result<void, std::string> prepare_state_dir(const std::string& dir);

// Writes `s` to dir/routing-table atomically. Error: what failed, with errno's text.
[[nodiscard]] base::result<void, std::string> save_snapshot(const std::string& dir, const table_snapshot& s);
// Reads dir/routing-table. Error: why it cannot be used (missing, corrupt, other network);
// `missing` is set when there simply is no file.
[[nodiscard]] base::result<table_snapshot, std::string> load_snapshot(const std::string& dir, std::uint64_t network,
                                                                      bool* missing = nullptr);

}  // namespace tools::daemon
