// persist/database.h -- the on-disk database of saved store rows: RocksDB
// (chosen by measurement, docs/benchmarks.md "Persistence") in one directory.
//
// open() creates the database or opens the one there. One that RocksDB finds
// damaged (a truncated or overwritten file, a bad block checksum), or that was
// written in another format version, is renamed to <dir>.corrupt-<unix time>
// and a fresh one is created, so a bad file costs what it held and never the
// node. Any other failure -- the LOCK another process holds, a permission, an
// I/O error -- is an error and leaves the directory alone.
//
// Thread safety: one thread at a time (the loader, then the writer thread).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "base/result.h"

namespace persist {

class database {
public:
    // What open() found: empty strings when the database opened cleanly.
    struct open_report {
        std::string damage;       // why the old database was moved aside
        std::string moved_aside;  // where it went
    };

    // REQUIRES: dir's parent exists (it is created otherwise when possible).
    [[nodiscard]] static base::result<std::unique_ptr<database>, std::string> open(const std::string& dir,
                                                                                   open_report& report);
    ~database();
    database(const database&) = delete;
    database& operator=(const database&) = delete;

    // Calls f(key, value) for every saved row (not the meta rows); the spans
    // live for the call. Returns an error text when RocksDB reported damage
    // part-way (rows before it were visited).
    using row_fn = std::function<void(std::span<const std::byte>, std::span<const std::byte>)>;
    [[nodiscard]] base::result<void, std::string> scan(const row_fn& f);

    // Rows for the next commit.
    void put(std::span<const std::byte> key, std::span<const std::byte> value);
    void del(std::span<const std::byte> key);
    [[nodiscard]] std::size_t pending() const noexcept;
    // Writes the pending rows and `commit_unix_ms` (under the meta key
    // "\0commit") in one atomic batch; the commit is in the kernel (it
    // survives kill -9) when this returns. An error text when RocksDB refused.
    [[nodiscard]] base::result<void, std::string> commit(std::int64_t commit_unix_ms);
    // The "\0commit" time of the last commit before this open, or 0.
    [[nodiscard]] std::int64_t last_commit_unix_ms() const noexcept { return _last_commit; }

    // Renames `dir` to <dir>.corrupt-<unix time>; returns the new name, or an error.
    [[nodiscard]] static base::result<std::string, std::string> move_aside(const std::string& dir);

private:
    struct impl;
    explicit database(std::unique_ptr<impl> p);
    std::unique_ptr<impl> _p;
    std::int64_t _last_commit = 0;
};

}  // namespace persist
