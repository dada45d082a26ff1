#include "persist/database.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <chrono>
#include <cstring>
#include <filesystem>

#include "persist/row.h"

namespace persist {

namespace {

constexpr std::string_view commit_key{"\0commit", 7};

rocksdb::Slice slice(std::span<const std::byte> b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }
rocksdb::Slice slice(std::string_view s) { return {s.data(), s.size()}; }

std::string version_bytes() {
    std::string v(4, '\0');
    for (int i = 0; i < 4; ++i) v[static_cast<std::size_t>(i)] = static_cast<char>((format_version >> (8 * i)) & 0xff);
    return v;
}

rocksdb::Options options() {
    rocksdb::Options o;
    o.create_if_missing = true;
    o.paranoid_checks = true;
    o.write_buffer_size = std::size_t{8} << 20;  // the default 64 MiB is more than a node's rows
    o.max_write_buffer_number = 2;
    o.keep_log_file_num = 2;
    o.max_log_file_size = std::size_t{1} << 20;
    o.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
    o.max_open_files = 256;
    // A torn last record is what kill -9 leaves; damage before it is reported.
    o.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
    return o;
}

// What RocksDB says about the files themselves (a checksum, a size against
// the manifest, a missing or unreadable file it references). Anything else --
// an I/O error, a permission, the LOCK another process holds -- says nothing
// about the data, so the database is left where it is and the start fails.
bool is_damage(const rocksdb::Status& s) { return s.IsCorruption() || s.IsInvalidArgument() || s.IsNotFound(); }

}  // namespace

struct database::impl {
    std::unique_ptr<rocksdb::DB> db;
    rocksdb::WriteBatch batch;
};

database::database(std::unique_ptr<impl> p) : _p(std::move(p)) {}
database::~database() = default;

base::result<std::string, std::string> database::move_aside(const std::string& dir) {
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::string to = dir + ".corrupt-" + std::to_string(secs);
    for (int i = 1; std::filesystem::exists(to); ++i) to = dir + ".corrupt-" + std::to_string(secs) + "-" + std::to_string(i);
    std::error_code ec;
    std::filesystem::rename(dir, to, ec);
    if (ec) return base::fail("cannot rename " + dir + " to " + to + ": " + ec.message());
    return to;
}

base::result<std::unique_ptr<database>, std::string> database::open(const std::string& dir, open_report& report) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(dir).parent_path(), ec);
    // Opens, checks the format version, reads the last commit time; the text says what is wrong.
    auto attempt = [&](std::unique_ptr<rocksdb::DB>& out, std::int64_t& last_commit, bool& fatal) -> std::string {
        rocksdb::DB* raw = nullptr;
        const rocksdb::Status s = rocksdb::DB::Open(options(), dir, &raw);
        if (!s.ok()) {
            fatal = !is_damage(s);
            return s.ToString();
        }
        out.reset(raw);
        rocksdb::ReadOptions ro;
        ro.verify_checksums = true;
        std::string v;
        rocksdb::Status g = out->Get(ro, slice(format_key), &v);
        if (g.IsNotFound()) {
            std::unique_ptr<rocksdb::Iterator> it(out->NewIterator(ro));
            it->SeekToFirst();
            if (!it->status().ok()) return it->status().ToString();
            if (it->Valid()) return "rows without a format version";
            rocksdb::WriteOptions wo;
            g = out->Put(wo, slice(format_key), version_bytes());
            return g.ok() ? std::string() : g.ToString();
        }
        if (!g.ok()) return g.ToString();
        if (v != version_bytes()) return "format version is not " + std::to_string(format_version);
        std::string c;
        if (out->Get(ro, slice(commit_key), &c).ok() && c.size() == 8) {
            std::uint64_t t = 0;
            for (int i = 7; i >= 0; --i) t = (t << 8) | static_cast<std::uint8_t>(c[static_cast<std::size_t>(i)]);
            last_commit = static_cast<std::int64_t>(t);
        }
        return {};
    };
    auto p = std::make_unique<impl>();
    std::int64_t last = 0;
    bool fatal = false;
    std::string why = attempt(p->db, last, fatal);
    if (!why.empty()) {
        if (fatal) return base::fail("cannot open store database " + dir + " (in use, or not readable): " + why);
        p->db.reset();
        report.damage = why;
        auto moved = move_aside(dir);
        if (!moved) return base::fail(moved.error());
        report.moved_aside = *moved;
        last = 0;
        why = attempt(p->db, last, fatal);
        if (!why.empty()) return base::fail("cannot create store database " + dir + ": " + why);
    }
    std::unique_ptr<database> d(new database(std::move(p)));
    d->_last_commit = last;
    return d;
}

base::result<void, std::string> database::scan(const row_fn& f) {
    rocksdb::ReadOptions ro;
    ro.verify_checksums = true;
    ro.fill_cache = false;
    std::unique_ptr<rocksdb::Iterator> it(_p->db->NewIterator(ro));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
        const rocksdb::Slice k = it->key(), v = it->value();
        if (!k.empty() && k[0] == '\0') continue;  // meta rows
        f({reinterpret_cast<const std::byte*>(k.data()), k.size()}, {reinterpret_cast<const std::byte*>(v.data()), v.size()});
    }
    if (!it->status().ok()) return base::fail(it->status().ToString());
    return {};
}

void database::put(std::span<const std::byte> key, std::span<const std::byte> value) {
    _p->batch.Put(slice(key), slice(value));
}

void database::del(std::span<const std::byte> key) { _p->batch.Delete(slice(key)); }

std::size_t database::pending() const noexcept { return static_cast<std::size_t>(_p->batch.Count()); }

base::result<void, std::string> database::commit(std::int64_t commit_unix_ms) {
    std::string t(8, '\0');
    for (int i = 0; i < 8; ++i) {
        t[static_cast<std::size_t>(i)] = static_cast<char>((static_cast<std::uint64_t>(commit_unix_ms) >> (8 * i)) & 0xff);
    }
    _p->batch.Put(slice(commit_key), t);
    rocksdb::WriteOptions wo;  // sync = false: in the kernel at return, on disk within the kernel's writeback
    const rocksdb::Status s = _p->db->Write(wo, &_p->batch);
    _p->batch.Clear();
    if (!s.ok()) return base::fail(s.ToString());
    return {};
}

}  // namespace persist
