// bench/persist/db_compare.cc -- which embedded database persists the record store
// (scripts/bench.sh persist; docs/benchmarks.md, "Persistence").
//
// The workload is what persist::writer does: batched upserts of 32-byte keys
// with 60-1100 byte values (mostly small records, some values) in transactions
// of `batch` operations, deletes in batches, and the full scan at start. Each
// engine runs in the mode the node would use: a commit survives kill -9 of the
// process (its bytes are in the kernel), not necessarily a power cut.
//   LMDB    MDB_NOSYNC (commit = write() of the pages and the meta page)
//   SQLite  WAL, synchronous=NORMAL, one WITHOUT ROWID table
//   RocksDB WAL on, sync=false, one WriteBatch per transaction
// Then a robustness probe: copies of the database are truncated at a random
// offset or get 4 KiB of garbage at a random offset, and a forked child opens
// and scans each copy; the parent counts clean scans, reported errors and
// crashes (the child died of a signal). Engines whose library was absent at
// configure time are skipped with a message.
//
// Usage: persist_db_compare [--quick] [--dir DIR]; ends with key=value lines.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#ifdef SHOAL_HAVE_LMDB
#include <lmdb.h>
#endif
#ifdef SHOAL_HAVE_SQLITE
#include <sqlite3.h>
#endif
#ifdef SHOAL_HAVE_ROCKSDB
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#endif

namespace fs = std::filesystem;

namespace {

struct kv {
    std::string key, value;
};

// One engine behind the four operations the writer needs.
class engine {
public:
    virtual ~engine() = default;
    virtual bool open(const std::string& dir) = 0;  // false: reported error
    virtual void begin() = 0;
    virtual void put(const std::string& k, const std::string& v) = 0;
    virtual void del(const std::string& k) = 0;
    virtual bool commit() = 0;
    // Visits every entry; false on a reported error.
    virtual bool scan(std::size_t& n, std::size_t& bytes) = 0;
    virtual void close() = 0;
};

#ifdef SHOAL_HAVE_LMDB
class lmdb_engine final : public engine {
public:
    bool open(const std::string& dir) override {
        fs::create_directories(dir);
        if (mdb_env_create(&_env) != 0) return false;
        mdb_env_set_mapsize(_env, std::size_t{1} << 32);
        if (mdb_env_open(_env, dir.c_str(), MDB_NOSYNC | MDB_NOTLS, 0600) != 0) return close_fail();
        MDB_txn* t = nullptr;
        if (mdb_txn_begin(_env, nullptr, 0, &t) != 0) return close_fail();
        if (mdb_dbi_open(t, nullptr, 0, &_dbi) != 0) {
            mdb_txn_abort(t);
            return close_fail();
        }
        return mdb_txn_commit(t) == 0 || close_fail();
    }
    void begin() override { mdb_txn_begin(_env, nullptr, 0, &_txn); }
    void put(const std::string& k, const std::string& v) override {
        MDB_val mk{k.size(), const_cast<char*>(k.data())}, mv{v.size(), const_cast<char*>(v.data())};
        mdb_put(_txn, _dbi, &mk, &mv, 0);
    }
    void del(const std::string& k) override {
        MDB_val mk{k.size(), const_cast<char*>(k.data())};
        mdb_del(_txn, _dbi, &mk, nullptr);
    }
    bool commit() override {
        const int rc = mdb_txn_commit(_txn);
        _txn = nullptr;
        return rc == 0;
    }
    bool scan(std::size_t& n, std::size_t& bytes) override {
        MDB_txn* t = nullptr;
        if (mdb_txn_begin(_env, nullptr, MDB_RDONLY, &t) != 0) return false;
        MDB_cursor* c = nullptr;
        if (mdb_cursor_open(t, _dbi, &c) != 0) {
            mdb_txn_abort(t);
            return false;
        }
        MDB_val k, v;
        int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
        for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            ++n;
            bytes += v.mv_size;
        }
        mdb_cursor_close(c);
        mdb_txn_abort(t);
        return rc == MDB_NOTFOUND;
    }
    void close() override {
        if (_env) mdb_env_close(_env);
        _env = nullptr;
    }

private:
    bool close_fail() {
        close();
        return false;
    }
    MDB_env* _env = nullptr;
    MDB_txn* _txn = nullptr;
    MDB_dbi _dbi = 0;
};
#endif

#ifdef SHOAL_HAVE_SQLITE
class sqlite_engine final : public engine {
public:
    bool open(const std::string& dir) override {
        fs::create_directories(dir);
        if (sqlite3_open((dir + "/store.db").c_str(), &_db) != SQLITE_OK) return close_fail();
        if (!exec("PRAGMA journal_mode=WAL") || !exec("PRAGMA synchronous=NORMAL") ||
            !exec("CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID")) {
            return close_fail();
        }
        return sqlite3_prepare_v2(_db, "INSERT OR REPLACE INTO kv (k, v) VALUES (?1, ?2)", -1, &_put, nullptr) == SQLITE_OK &&
               sqlite3_prepare_v2(_db, "DELETE FROM kv WHERE k = ?1", -1, &_del, nullptr) == SQLITE_OK;
    }
    void begin() override { exec("BEGIN"); }
    void put(const std::string& k, const std::string& v) override {
        sqlite3_bind_blob(_put, 1, k.data(), static_cast<int>(k.size()), SQLITE_STATIC);
        sqlite3_bind_blob(_put, 2, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
        sqlite3_step(_put);
        sqlite3_reset(_put);
    }
    void del(const std::string& k) override {
        sqlite3_bind_blob(_del, 1, k.data(), static_cast<int>(k.size()), SQLITE_STATIC);
        sqlite3_step(_del);
        sqlite3_reset(_del);
    }
    bool commit() override { return exec("COMMIT"); }
    bool scan(std::size_t& n, std::size_t& bytes) override {
        sqlite3_stmt* s = nullptr;
        if (sqlite3_prepare_v2(_db, "SELECT k, v FROM kv", -1, &s, nullptr) != SQLITE_OK) return false;
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            ++n;
            bytes += static_cast<std::size_t>(sqlite3_column_bytes(s, 1));
        }
        sqlite3_finalize(s);
        return rc == SQLITE_DONE;
    }
    void close() override {
        sqlite3_finalize(_put);
        sqlite3_finalize(_del);
        _put = _del = nullptr;
        if (_db) sqlite3_close(_db);
        _db = nullptr;
    }

private:
    bool exec(const char* sql) { return sqlite3_exec(_db, sql, nullptr, nullptr, nullptr) == SQLITE_OK; }
    bool close_fail() {
        close();
        return false;
    }
    sqlite3* _db = nullptr;
    sqlite3_stmt* _put = nullptr;
    sqlite3_stmt* _del = nullptr;
};
#endif

#ifdef SHOAL_HAVE_ROCKSDB
class rocksdb_engine final : public engine {
public:
    bool open(const std::string& dir) override {
        rocksdb::Options o;
        o.create_if_missing = true;
        o.paranoid_checks = true;
        rocksdb::DB* db = nullptr;
        if (!rocksdb::DB::Open(o, dir, &db).ok()) return false;
        _db.reset(db);
        return true;
    }
    void begin() override { _batch.Clear(); }
    void put(const std::string& k, const std::string& v) override { _batch.Put(k, v); }
    void del(const std::string& k) override { _batch.Delete(k); }
    bool commit() override { return _db->Write(rocksdb::WriteOptions(), &_batch).ok(); }
    bool scan(std::size_t& n, std::size_t& bytes) override {
        rocksdb::ReadOptions ro;
        ro.verify_checksums = true;
        std::unique_ptr<rocksdb::Iterator> it(_db->NewIterator(ro));
        for (it->SeekToFirst(); it->Valid(); it->Next()) {
            ++n;
            bytes += it->value().size();
        }
        return it->status().ok();
    }
    void close() override { _db.reset(); }

private:
    std::unique_ptr<rocksdb::DB> _db;
    rocksdb::WriteBatch _batch;
};
#endif

using clock_type = std::chrono::steady_clock;
double seconds_since(clock_type::time_point t) { return std::chrono::duration<double>(clock_type::now() - t).count(); }

std::vector<kv> make_entries(std::size_t n, std::mt19937_64& rnd) {
    std::vector<kv> v(n);
    for (auto& e : v) {
        e.key.resize(33);
        for (auto& c : e.key) c = static_cast<char>(rnd());
        // Seven in ten are topic records (~60-100 B), the rest values up to 1100 B.
        const std::size_t len = rnd() % 10 < 7 ? 60 + rnd() % 41 : 100 + rnd() % 1001;
        e.value.resize(len);
        for (auto& c : e.value) c = static_cast<char>(rnd());
    }
    return v;
}

std::uint64_t dir_bytes(const std::string& dir) {
    std::uint64_t sum = 0;
    for (const auto& f : fs::recursive_directory_iterator(dir)) {
        struct stat st{};
        if (f.is_regular_file() && ::stat(f.path().c_str(), &st) == 0) sum += static_cast<std::uint64_t>(st.st_blocks) * 512;
    }
    return sum;
}

struct figures {
    double insert = 0, update = 0, erase = 0, scan = 0, open_ms = 0;
    std::uint64_t disk = 0;
    bool ok = true;
};

// Runs the workload once in a fresh directory; ops/s per phase.
figures run_once(const std::function<std::unique_ptr<engine>()>& make, const std::string& dir,
                 const std::vector<kv>& entries, std::size_t batch, std::mt19937_64& rnd) {
    fs::remove_all(dir);
    figures f;
    auto e = make();
    if (!e->open(dir)) return {.ok = false};
    auto batched = [&](std::size_t count, auto&& op) {
        const auto t0 = clock_type::now();
        for (std::size_t i = 0; i < count; i += batch) {
            e->begin();
            for (std::size_t j = i; j < std::min(count, i + batch); ++j) op(j);
            f.ok = e->commit() && f.ok;
        }
        return static_cast<double>(count) / seconds_since(t0);
    };
    f.insert = batched(entries.size(), [&](std::size_t j) { e->put(entries[j].key, entries[j].value); });
    std::vector<std::size_t> order(entries.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rnd);
    f.update = batched(entries.size(), [&](std::size_t j) { e->put(entries[order[j]].key, entries[order[j]].value); });
    const std::size_t half = entries.size() / 2;
    f.erase = batched(half, [&](std::size_t j) { e->del(entries[order[j]].key); });
    e->close();
    f.disk = dir_bytes(dir);
    e = make();
    const auto t0 = clock_type::now();
    std::size_t n = 0, bytes = 0;
    const bool opened = e->open(dir);
    f.open_ms = seconds_since(t0) * 1000;
    const auto t1 = clock_type::now();
    f.ok = opened && e->scan(n, bytes) && f.ok && n == entries.size() - half;
    f.scan = static_cast<double>(n) / seconds_since(t1);
    e->close();
    return f;
}

// Opens and scans a damaged copy in a child: 0 clean, 1 error reported, 2 crashed.
int probe_copy(const std::function<std::unique_ptr<engine>()>& make, const std::string& dir) {
    const pid_t pid = fork();
    if (pid == 0) {
        std::freopen("/dev/null", "w", stderr);
        auto e = make();
        std::size_t n = 0, bytes = 0;
        const bool ok = e->open(dir) && e->scan(n, bytes);
        e->close();
        _exit(ok ? 0 : 1);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    if (WIFSIGNALED(st)) return 2;
    return WEXITSTATUS(st) == 0 ? 0 : 1;
}

// Damages `trials` copies of the database in `dir`: even trials truncate its
// largest file at a random offset, odd ones write 4 KiB of garbage into it.
std::array<int, 3> probe(const std::function<std::unique_ptr<engine>()>& make, const std::string& dir, int trials,
                         std::mt19937_64& rnd) {
    std::array<int, 3> out{};
    const std::string copy = dir + ".probe";
    for (int t = 0; t < trials; ++t) {
        fs::remove_all(copy);
        fs::copy(dir, copy, fs::copy_options::recursive);
        fs::path big;
        std::uintmax_t size = 0;
        for (const auto& f : fs::directory_iterator(copy)) {
            if (f.is_regular_file() && f.file_size() > size) size = f.file_size(), big = f.path();
        }
        if (size < 8192) continue;
        const std::uintmax_t at = 4096 + rnd() % (size - 8192);
        if (t % 2 == 0) {
            fs::resize_file(big, at);
        } else {
            std::string junk(4096, '\0');
            for (auto& c : junk) c = static_cast<char>(rnd());
            FILE* fp = std::fopen(big.c_str(), "r+b");
            std::fseek(fp, static_cast<long>(at), SEEK_SET);
            std::fwrite(junk.data(), 1, junk.size(), fp);
            std::fclose(fp);
        }
        ++out[static_cast<std::size_t>(probe_copy(make, copy))];
    }
    fs::remove_all(copy);
    return out;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
    bool quick = false;
    std::string root = "/tmp/shoal_persist_bench";
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--quick") == 0) quick = true;
        else if (std::strcmp(argv[i], "--dir") == 0 && i + 1 < argc) root = argv[++i];
        else {
            std::fprintf(stderr, "usage: persist_db_compare [--quick] [--dir DIR]\n");
            return 2;
        }
    }
    const std::size_t n = quick ? 20'000 : 100'000;
    const int reps = quick ? 3 : 5, trials = quick ? 20 : 60;
    std::mt19937_64 rnd(301);
    const auto entries = make_entries(n, rnd);
    struct candidate {
        const char* name;
        std::function<std::unique_ptr<engine>()> make;
    };
    std::vector<candidate> engines;
#ifdef SHOAL_HAVE_LMDB
    engines.push_back({"lmdb", [] { return std::unique_ptr<engine>(new lmdb_engine); }});
#else
    std::printf("lmdb: skipped (liblmdb-dev was not found at configure time)\n");
#endif
#ifdef SHOAL_HAVE_SQLITE
    engines.push_back({"sqlite", [] { return std::unique_ptr<engine>(new sqlite_engine); }});
#else
    std::printf("sqlite: skipped (libsqlite3-dev was not found at configure time)\n");
#endif
#ifdef SHOAL_HAVE_ROCKSDB
    engines.push_back({"rocksdb", [] { return std::unique_ptr<engine>(new rocksdb_engine); }});
#else
    std::printf("rocksdb: skipped (librocksdb-dev was not found at configure time)\n");
#endif
    std::string kvs;
    std::printf("%zu entries (7 in 10 of 60-100 B, the rest 100-1100 B), 32+1-byte keys, %d runs, medians\n", n, reps);
    for (const auto& c : engines) {
        for (std::size_t batch : {std::size_t{100}, std::size_t{1000}}) {
            std::vector<double> ins, upd, del, scan, open_ms;
            std::uint64_t disk = 0;
            bool ok = true;
            for (int r = 0; r < reps; ++r) {
                const figures f = run_once(c.make, root + "/" + c.name, entries, batch, rnd);
                ok = ok && f.ok;
                ins.push_back(f.insert), upd.push_back(f.update), del.push_back(f.erase), scan.push_back(f.scan);
                open_ms.push_back(f.open_ms);
                disk = f.disk;
            }
            std::printf("  %-8s batch %4zu: insert %9.0f/s  upsert %9.0f/s  delete %9.0f/s  open %6.1f ms  scan %9.0f/s  "
                        "disk %6.1f MiB%s\n",
                        c.name, batch, median(ins), median(upd), median(del), median(open_ms), median(scan),
                        static_cast<double>(disk) / 1048576.0, ok ? "" : "  (ERRORS)");
            char line[512];
            std::snprintf(line, sizeof line,
                          "%s_b%zu_insert_per_s=%.0f\n%s_b%zu_upsert_per_s=%.0f\n%s_b%zu_delete_per_s=%.0f\n"
                          "%s_b%zu_scan_per_s=%.0f\n%s_b%zu_open_ms=%.1f\n%s_b%zu_disk_bytes=%llu\n",
                          c.name, batch, median(ins), c.name, batch, median(upd), c.name, batch, median(del), c.name,
                          batch, median(scan), c.name, batch, median(open_ms), c.name, batch,
                          static_cast<unsigned long long>(disk));
            kvs += line;
        }
        const auto p = probe(c.make, root + "/" + c.name, trials, rnd);
        std::printf("  %-8s damaged copies (%d: truncated or 4 KiB of garbage): %d scanned clean, %d errors reported, "
                    "%d crashed\n",
                    c.name, trials, p[0], p[1], p[2]);
        char line[256];
        std::snprintf(line, sizeof line, "%s_damaged_clean=%d\n%s_damaged_error=%d\n%s_damaged_crash=%d\n", c.name, p[0],
                      c.name, p[1], c.name, p[2]);
        kvs += line;
        fs::remove_all(root + "/" + c.name);
    }
    std::printf("\n%s", kvs.c_str());
    return 0;
}
