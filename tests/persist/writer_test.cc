// persist/writer.h and database.h: what a store reports is saved and read back
// into the owning shard's store with its expiry; removals stay removed; a
// damaged, truncated or foreign database is moved aside and the node starts
// empty; bad rows are skipped and counted; a full queue drops and counts.
#include "persist/writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "crypto/hash.h"

namespace fs = std::filesystem;

namespace {

using persist::writer;

struct temp_dir {
    fs::path path;
    temp_dir() {
        path = fs::temp_directory_path() / ("shoal_persist_test_" + std::to_string(::getpid()) + "_" +
                                            std::to_string(std::random_device{}()));
        fs::create_directories(path);
    }
    ~temp_dir() { fs::remove_all(path); }
    [[nodiscard]] std::string store() const { return (path / "store").string(); }
};

store::key key_of(std::uint32_t i) {
    std::array<std::uint8_t, 32> a{};
    for (int j = 0; j < 4; ++j) a[static_cast<std::size_t>(j)] = static_cast<std::uint8_t>(i >> (8 * j));
    a[31] = 0xaa;
    return store::key(a);
}

store::peer_record peer_of(std::uint32_t i) {
    store::peer_record r;
    std::array<std::uint8_t, 32> a{};
    a.fill(static_cast<std::uint8_t>(i));
    a[0] = 0x77;
    r.pk = crypto::public_key(a);
    r.relay_count = 1;
    r.relays[0] = base::endpoint::v4(127, 0, 0, 1, static_cast<std::uint16_t>(2000 + i));
    return r;
}

std::vector<std::byte> bytes_of(const std::string& s) {
    std::vector<std::byte> v(s.size());
    std::memcpy(v.data(), s.data(), s.size());
    return v;
}

base::mono_time t0() { return base::mono_time(base::seconds(1000)); }

std::unique_ptr<writer> open_writer(const std::string& dir, std::uint16_t shards = 1, std::size_t queue = 1024) {
    persist::writer_config c;
    c.dir = dir;
    c.shards = shards;
    c.queue_capacity = queue;
    c.flush = std::chrono::milliseconds(10);
    auto w = writer::open(c);
    EXPECT_TRUE(w) << (w ? "" : w.error());
    return w ? std::move(*w) : nullptr;
}

// A store reporting to shard 0's queue of `w`, with the wall clock of now.
std::unique_ptr<store::record_store> attached(writer& w, std::uint16_t shard = 0) {
    auto s = std::make_unique<store::record_store>(store::limits{}, t0(), 7);
    w.queue(shard).set_wall_offset_ms(persist::unix_ms() - base::to_ms(t0().time_since_epoch()));
    s->set_sink(&w.queue(shard));
    return s;
}

std::size_t records_in(const store::record_store& s, const store::key& topic) {
    base::prng rnd(1);
    return s.sample(topic, 20, rnd).count;
}

// Writes a few hundred entries of every kind and closes the database.
void fill(const std::string& dir, std::uint32_t n) {
    auto w = open_writer(dir);
    auto s = attached(*w);
    w->start();
    for (std::uint32_t i = 0; i < n; ++i) {
        s->put_record(key_of(i), peer_of(i), t0());
        const auto v = bytes_of("value number " + std::to_string(i));
        s->put_immutable(store::key(crypto::blake2b_256(v).array()), v, t0());
    }
    s->set_sink(nullptr);
    w->stop();
}

TEST(PersistWriter, SavedEntriesComeBackWithTheirExpiry) {
    temp_dir d;
    const auto imm = bytes_of("immutable bytes");
    const auto imm_key = store::key(crypto::blake2b_256(imm).array());
    const auto resp = bytes_of("encoded response");
    {
        auto w = open_writer(d.store());
        auto s = attached(*w);
        w->start();
        s->put_record(key_of(1), peer_of(1), t0());
        s->put_route(key_of(2), store::route{base::endpoint::v4(127, 0, 0, 1, 9), peer_of(2)}, t0());
        s->put_refresh(key_of(3), store::refresh_link{key_of(1), peer_of(1), false}, t0());
        ASSERT_EQ(s->put_mutable(key_of(4), 9, resp, 1, 5, t0()), store::put_mutable_result::stored);
        ASSERT_TRUE(s->put_immutable(imm_key, imm, t0()));
        s->set_sink(nullptr);
        w->stop();
        EXPECT_EQ(w->queue(0).metrics().get(persist::queue_metric::queued), 5u);
        EXPECT_EQ(w->queue(0).metrics().get(persist::queue_metric::dropped_full), 0u);
    }
    auto w = open_writer(d.store());
    EXPECT_EQ(w->report().loaded, 5u);
    EXPECT_TRUE(w->report().damage.empty());
    EXPECT_GT(w->report().last_commit_unix_ms, 0);
    // Loaded 5 minutes (of wall clock) after the writes: the records have 15 of their 20 minutes left.
    const base::mono_time later = t0() + base::seconds(300);
    store::record_store s(store::limits{}, later, 9);
    EXPECT_EQ(persist::restore(s, w->loaded(0), later, persist::unix_ms() + 300'000), 5u);
    EXPECT_EQ(records_in(s, key_of(1)), 1u);
    ASSERT_NE(s.get_route(key_of(2)), nullptr);
    EXPECT_EQ(s.get_route(key_of(2))->record.pk, peer_of(2).pk);
    auto m = s.get_mutable(key_of(4), later);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->seq, 9u);
    EXPECT_TRUE(std::equal(m->encoded.begin(), m->encoded.end(), resp.begin(), resp.end()));
    auto i = s.get_immutable(imm_key, later);
    ASSERT_TRUE(i);
    EXPECT_TRUE(std::equal(i->begin(), i->end(), imm.begin(), imm.end()));
    // Saved expiry: 20 minutes from the write, so gone 16 minutes after the load, not 20.
    s.expire(later + base::seconds(14 * 60));
    EXPECT_EQ(records_in(s, key_of(1)), 1u);
    s.expire(later + base::seconds(16 * 60));
    EXPECT_EQ(records_in(s, key_of(1)), 0u);
    EXPECT_EQ(s.get_route(key_of(2)), nullptr);
    EXPECT_TRUE(s.take_refresh(key_of(3)) == std::nullopt);
}

TEST(PersistWriter, RemovalsStayRemoved) {
    temp_dir d;
    {
        auto w = open_writer(d.store());
        auto s = attached(*w);
        w->start();
        for (std::uint32_t i = 0; i < 10; ++i) s->put_record(key_of(i), peer_of(i), t0());
        s->put_route(key_of(50), store::route{base::endpoint::v4(127, 0, 0, 1, 9), peer_of(50)}, t0());
        EXPECT_TRUE(s->remove_record(key_of(3), peer_of(3).pk));
        EXPECT_TRUE(s->remove_route(key_of(50)));
        s->expire(t0() + base::seconds(21 * 60));  // every record expires: all deleted on disk too
        s->put_record(key_of(100), peer_of(100), t0() + base::seconds(21 * 60));
        s->set_sink(nullptr);
        w->stop();
    }
    auto w = open_writer(d.store());
    EXPECT_EQ(w->report().loaded, 1u);
    ASSERT_EQ(w->loaded(0).size(), 1u);
    EXPECT_EQ(w->loaded(0)[0].k, key_of(100));
}

TEST(PersistWriter, EntriesGoToTheirShardUnderANewShardCount) {
    temp_dir d;
    fill(d.store(), 60);
    auto w = open_writer(d.store(), 3);
    EXPECT_EQ(w->report().loaded, 120u);
    std::size_t total = 0;
    for (std::uint16_t s = 0; s < 3; ++s) {
        for (const auto& e : w->loaded(s)) EXPECT_EQ(store::shard_of(e.k, 3), s);
        total += w->loaded(s).size();
        EXPECT_GT(w->loaded(s).size(), 0u);
    }
    EXPECT_EQ(total, 120u);
}

TEST(PersistWriter, FullQueueDropsAndCounts) {
    temp_dir d;
    auto w = open_writer(d.store(), 1, 4);
    auto s = attached(*w);
    for (std::uint32_t i = 0; i < 6; ++i) s->put_record(key_of(i), peer_of(i), t0());  // the writer is not running
    EXPECT_EQ(w->queue(0).metrics().get(persist::queue_metric::queued), 4u);
    EXPECT_EQ(w->queue(0).metrics().get(persist::queue_metric::dropped_full), 2u);
    s->set_sink(nullptr);
    w->start();
    w->stop();
    w.reset();
    auto again = open_writer(d.store());
    EXPECT_EQ(again->report().loaded, 4u);
}

TEST(PersistWriter, BadRowsAreSkippedAndCounted) {
    temp_dir d;
    fill(d.store(), 5);
    {
        persist::database::open_report rep;
        auto db = persist::database::open(d.store(), rep);
        ASSERT_TRUE(db);
        const auto k1 = bytes_of("x-not-a-tag");
        const auto v1 = bytes_of("whatever");
        (*db)->put(k1, v1);
        // A record key with a value whose checksum is wrong.
        std::string k2(65, '\x01');
        k2[0] = 'r';
        (*db)->put(bytes_of(k2), bytes_of(std::string(40, '\x02')));
        ASSERT_TRUE((*db)->commit(persist::unix_ms()));
    }
    auto w = open_writer(d.store());
    EXPECT_EQ(w->report().loaded, 10u);
    EXPECT_EQ(w->report().skipped[static_cast<std::size_t>(persist::skip::bad_key)], 1u);
    EXPECT_EQ(w->report().skipped[static_cast<std::size_t>(persist::skip::bad_checksum)], 1u);
    EXPECT_NE(w->report().summary(d.store()).find("skipped 2 (1 bad key, 1 bad checksum)"), std::string::npos)
        << w->report().summary(d.store());
    w.reset();
    auto again = open_writer(d.store());  // the bad rows were deleted at the first load
    EXPECT_EQ(again->report().loaded, 10u);
    EXPECT_EQ(again->report().skipped[static_cast<std::size_t>(persist::skip::bad_key)], 0u);
}

// The largest data file of the database (an SST after a reopen, else the WAL).
fs::path largest_file(const std::string& dir) {
    fs::path big;
    std::uintmax_t size = 0;
    for (const auto& f : fs::directory_iterator(dir)) {
        const auto name = f.path().filename().string();
        if (name.ends_with(".sst") || name.ends_with(".log")) {
            if (name == "LOG" || f.file_size() <= size) continue;
            size = f.file_size();
            big = f.path();
        }
    }
    return big;
}

void expect_moved_aside(const temp_dir& d) {
    auto w = open_writer(d.store());
    ASSERT_TRUE(w);
    EXPECT_FALSE(w->report().damage.empty());
    EXPECT_EQ(w->report().loaded, 0u);
    ASSERT_FALSE(w->report().moved_aside.empty());
    EXPECT_NE(w->report().moved_aside.find(".corrupt-"), std::string::npos);
    EXPECT_TRUE(fs::exists(w->report().moved_aside));
    EXPECT_NE(w->report().summary(d.store()).find("moved to"), std::string::npos);
    // The fresh database works.
    auto s = attached(*w);
    w->start();
    s->put_record(key_of(1), peer_of(1), t0());
    s->set_sink(nullptr);
    w->stop();
    w.reset();
    auto again = open_writer(d.store());
    EXPECT_EQ(again->report().loaded, 1u);
    EXPECT_TRUE(again->report().damage.empty());
}

TEST(PersistWriter, TruncatedDatabaseIsMovedAside) {
    temp_dir d;
    fill(d.store(), 300);
    open_writer(d.store()).reset();  // the reopen flushes the WAL into an SST
    const fs::path f = largest_file(d.store());
    ASSERT_FALSE(f.empty());
    fs::resize_file(f, fs::file_size(f) / 2);
    expect_moved_aside(d);
}

TEST(PersistWriter, GarbageInTheDatabaseIsMovedAside) {
    temp_dir d;
    fill(d.store(), 300);
    open_writer(d.store()).reset();
    const fs::path f = largest_file(d.store());
    ASSERT_FALSE(f.empty());
    {
        std::fstream io(f, std::ios::in | std::ios::out | std::ios::binary);
        io.seekp(static_cast<std::streamoff>(fs::file_size(f) / 3));
        std::mt19937 rnd(301);
        for (int i = 0; i < 4096; ++i) io.put(static_cast<char>(rnd()));
    }
    expect_moved_aside(d);
}

TEST(PersistWriter, NotADatabaseIsMovedAside) {
    temp_dir d;
    fs::create_directories(d.store());
    std::ofstream(d.store() + "/CURRENT") << "garbage, not a manifest name\n";
    std::ofstream(d.store() + "/MANIFEST-000001") << "garbage";
    expect_moved_aside(d);
}

TEST(PersistWriter, AnotherFormatVersionIsMovedAside) {
    temp_dir d;
    fill(d.store(), 3);
    {
        persist::database::open_report rep;
        auto db = persist::database::open(d.store(), rep);
        ASSERT_TRUE(db);
        const std::string v("\x02\x00\x00\x00", 4);
        (*db)->put(bytes_of(std::string(persist::format_key)), bytes_of(v));
        ASSERT_TRUE((*db)->commit(1));
    }
    expect_moved_aside(d);
}

TEST(PersistWriter, DatabaseInUseIsAnErrorNotDamage) {
    temp_dir d;
    auto first = open_writer(d.store());
    persist::writer_config c;
    c.dir = d.store();
    auto second = writer::open(c);
    ASSERT_FALSE(second);
    EXPECT_NE(second.error().find("in use"), std::string::npos) << second.error();
    EXPECT_NE(second.error().find("lock"), std::string::npos) << second.error();
    for (const auto& f : fs::directory_iterator(d.path)) {
        EXPECT_EQ(f.path().string().find(".corrupt-"), std::string::npos) << f.path();
    }
}

}  // namespace
