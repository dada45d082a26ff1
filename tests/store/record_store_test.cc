#include "store/record_store.h"

#include <gtest/gtest.h>

#include "tests/store/lookup.h"

#include <map>
#include <set>

namespace {

using namespace std::chrono_literals;

const base::mono_time t0 = base::from_ns(1'000'000'000'000);

store::key key(std::uint64_t i) {
    std::array<std::uint8_t, 32> a{};
    for (int b = 0; b < 8; ++b) a[static_cast<std::size_t>(b)] = static_cast<std::uint8_t>(i >> (8 * b));
    a[31] = 0x5a;
    return store::key(a);
}

store::peer_record rec(std::uint64_t i, std::uint8_t relays = 1) {
    store::peer_record r;
    std::array<std::uint8_t, 32> a{};
    for (int b = 0; b < 8; ++b) a[static_cast<std::size_t>(31 - b)] = static_cast<std::uint8_t>(i >> (8 * b));
    // A leading byte that collides every 256 keys: searches meet both
    // distinct 8-byte prefixes and prefix ties that need the whole key.
    a[0] = static_cast<std::uint8_t>(i * 37);
    r.pk = crypto::public_key(a);
    r.relay_count = relays;
    for (std::uint8_t k = 0; k < relays; ++k) r.relays[k] = base::endpoint::v4(10, 0, k, static_cast<std::uint8_t>(i), 1000 + k);
    return r;
}

TEST(RecordStore, AddsLooksUpRefreshesAndRemovesRecords) {
    store::record_store s({}, t0, 1);
    base::prng rnd(1);
    s.put_record(key(1), rec(1), t0);
    s.put_record(key(1), rec(2, 3), t0);
    std::array<store::peer_record, 20> out;
    ASSERT_EQ(test::lookup(s, key(1), out, rnd), 2u);
    EXPECT_EQ(test::lookup(s, key(2), out, rnd), 0u);
    // A refresh replaces the relays and does not add a record.
    s.put_record(key(1), rec(1, 2), t0 + 1s);
    ASSERT_EQ(test::lookup(s, key(1), out, rnd), 2u);
    for (std::size_t i = 0; i < 2; ++i) {
        if (out[i].pk == rec(1).pk) {
            EXPECT_EQ(out[i].relay_count, 2);
        }
    }
    EXPECT_TRUE(s.remove_record(key(1), rec(1).pk));
    EXPECT_FALSE(s.remove_record(key(1), rec(1).pk));
    EXPECT_EQ(s.stats().records, 1u);
    EXPECT_TRUE(s.remove_record(key(1), rec(2).pk));
    EXPECT_EQ(s.stats().topics, 0u) << "an empty topic is dropped";
}

TEST(RecordStore, LookupReturnsARandomSubsetOfLargeTopics) {
    store::record_store s({}, t0, 1);
    base::prng rnd(2);
    for (std::uint64_t i = 0; i < 1000; ++i) s.put_record(key(7), rec(i), t0);
    std::array<store::peer_record, 20> out;
    std::set<crypto::public_key> seen;
    for (int round = 0; round < 200; ++round) {
        ASSERT_EQ(test::lookup(s, key(7), out, rnd), 20u);
        std::set<crypto::public_key> once;
        for (auto& p : out) once.insert(p.pk);
        EXPECT_EQ(once.size(), 20u) << "no duplicates within a reply";
        seen.insert(once.begin(), once.end());
    }
    EXPECT_GT(seen.size(), 950u) << "every record gets served eventually";
}

TEST(RecordStore, LookupWireWritesThePeerEncodingAndTheBump) {
    store::record_store s({}, t0, 1);
    base::prng rnd(3);
    s.put_record(key(1), rec(1, 0), t0);
    s.put_record(key(1), rec(2, 3), t0);
    s.raise_bump(key(1), 42);
    // pk | relay count | relays as ip4 and port u16le, in any order.
    auto encoding = [](const store::peer_record& r) {
        std::vector<std::uint8_t> e(r.pk.data(), r.pk.data() + 32);
        e.push_back(r.relay_count);
        for (std::size_t i = 0; i < r.relay_count; ++i) {
            auto o = r.relays[i].v4_octets();
            e.insert(e.end(), o.begin(), o.end());
            e.push_back(static_cast<std::uint8_t>(r.relays[i].port() & 0xff));
            e.push_back(static_cast<std::uint8_t>(r.relays[i].port() >> 8));
        }
        return e;
    };
    auto a = encoding(rec(1, 0)), b = encoding(rec(2, 3));
    std::array<std::byte, 20 * store::record_store::max_wire_record> buf;
    const auto w = test::lookup_wire(s, key(1), 20, buf, rnd);
    ASSERT_EQ(w.count, 2u);
    ASSERT_EQ(w.bytes, a.size() + b.size());
    EXPECT_EQ(w.bump, 42u);
    std::vector<std::uint8_t> got(reinterpret_cast<const std::uint8_t*>(buf.data()),
                                  reinterpret_cast<const std::uint8_t*>(buf.data()) + w.bytes);
    std::vector<std::uint8_t> ab = a, ba = b;
    ab.insert(ab.end(), b.begin(), b.end());
    ba.insert(ba.end(), a.begin(), a.end());
    EXPECT_TRUE(got == ab || got == ba);

    // A short buffer caps the count; an unknown topic writes nothing.
    EXPECT_EQ(test::lookup_wire(s, key(1), 20, std::span(buf).first(store::record_store::max_wire_record), rnd).count, 1u);
    EXPECT_EQ(test::lookup_wire(s, key(1), 1, buf, rnd).count, 1u);
    const auto none = test::lookup_wire(s, key(9), 20, buf, rnd);
    EXPECT_EQ(none.count + none.bytes + none.bump, 0u);
}

TEST(RecordStore, EntriesExpireAfterTheirLifetime) {
    store::limits l;
    l.record_ttl = 60s;
    l.route_ttl = 60s;
    l.value_ttl = 120s;
    store::record_store s(l, t0, 1);
    s.put_record(key(1), rec(1), t0);
    s.put_route(key(2), {base::endpoint::v4(1, 1, 1, 1, 1), rec(2)}, t0);
    std::vector<std::byte> v(10, std::byte{1});
    ASSERT_TRUE(s.put_immutable(key(3), v, t0));
    s.put_record(key(1), rec(9), t0 + 30s);  // a second record, written later
    s.expire(t0 + 59s);
    EXPECT_EQ(s.stats().records, 2u);
    s.expire(t0 + 62s);
    EXPECT_EQ(s.stats().records, 1u) << "the first record expired, the later one not yet";
    EXPECT_EQ(s.get_route(key(2)), nullptr);
    EXPECT_TRUE(s.get_immutable(key(3), t0 + 100s)) << "a read after half the lifetime pushes expiry out";
    s.expire(t0 + 150s);
    EXPECT_TRUE(s.get_immutable(key(3), t0 + 150s));
    s.expire(t0 + 400s);
    EXPECT_FALSE(s.get_immutable(key(3), t0 + 400s));
}

TEST(RecordStore, FullStoreEvictsTheOldestFirst) {
    store::limits l;
    l.max_records = 100;
    store::record_store s(l, t0, 1);
    for (std::uint64_t i = 0; i < 150; ++i) s.put_record(key(i % 10), rec(i), t0 + std::chrono::seconds(i));
    EXPECT_EQ(s.stats().records, 100u);
    EXPECT_EQ(s.stats().evicted, 50u);
    base::prng rnd(1);
    std::array<store::peer_record, 20> out;
    auto n = test::lookup(s, key(0), out, rnd);
    for (std::size_t i = 0; i < n; ++i) EXPECT_NE(out[i].pk, rec(0).pk) << "record 0 was the oldest";
}

TEST(RecordStore, MutableSeqRules) {
    store::record_store s({}, t0, 1);
    auto enc = [](std::uint8_t tag) { return std::vector<std::byte>{std::byte{1}, std::byte{tag}, std::byte{tag}}; };
    auto a = enc(1), b = enc(2);
    EXPECT_EQ(s.put_mutable(key(1), 5, a, 1, 2, t0), store::put_mutable_result::stored);
    EXPECT_EQ(s.put_mutable(key(1), 5, a, 1, 2, t0), store::put_mutable_result::stored) << "same seq, same value";
    EXPECT_EQ(s.put_mutable(key(1), 5, b, 1, 2, t0), store::put_mutable_result::seq_reused);
    EXPECT_EQ(s.put_mutable(key(1), 4, b, 1, 2, t0), store::put_mutable_result::seq_too_low);
    EXPECT_EQ(s.put_mutable(key(1), 6, b, 1, 2, t0), store::put_mutable_result::stored);
    auto got = s.get_mutable(key(1), t0);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->seq, 6u);
    EXPECT_EQ(s.stats().mutables, 1u);
    EXPECT_EQ(s.stats().value_bytes, 3u);
}

TEST(RecordStore, ValueByteCapIsEnforced) {
    store::limits l;
    l.max_value_bytes = 1000;
    store::record_store s(l, t0, 1);
    std::vector<std::byte> v(400);
    EXPECT_TRUE(s.put_immutable(key(1), v, t0));
    EXPECT_TRUE(s.put_immutable(key(2), v, t0 + 1s));
    EXPECT_TRUE(s.put_immutable(key(3), v, t0 + 2s));  // evicts key 1
    EXPECT_LE(s.stats().value_bytes, 1000u);
    EXPECT_FALSE(s.get_immutable(key(1), t0 + 3s));
    std::vector<std::byte> huge(1001);
    EXPECT_FALSE(s.put_immutable(key(4), huge, t0));
}

// Differential: random puts/removes/expiry against a std::map model.
TEST(RecordStore, MatchesAMapModelUnderRandomOperations) {
    const std::uint64_t seed = 31337;
    SCOPED_TRACE(testing::Message() << "seed=" << seed);
    base::prng rnd(seed);
    store::limits l;
    l.record_ttl = 100s;
    store::record_store s(l, t0, seed);
    std::map<std::pair<std::uint64_t, std::uint64_t>, base::mono_time> model;  // (topic, pk) -> written
    base::mono_time now = t0;
    for (int step = 0; step < 20000; ++step) {
        const std::uint64_t topic = rnd.below(50), pk = rnd.below(200);
        switch (rnd.below(4)) {
            case 0:
            case 1:
                s.put_record(key(topic), rec(pk), now);
                model[{topic, pk}] = now;
                break;
            case 2:
                EXPECT_EQ(s.remove_record(key(topic), rec(pk).pk), model.erase({topic, pk}) == 1);
                break;
            default:
                now += std::chrono::seconds(rnd.below(20));
                s.expire(now);
                for (auto it = model.begin(); it != model.end();) {
                    // The store counts whole seconds; compare at the same granularity.
                    const auto age = std::chrono::duration_cast<base::seconds>(now - t0).count() -
                                     std::chrono::duration_cast<base::seconds>(it->second - t0).count();
                    it = age >= 100 ? model.erase(it) : std::next(it);
                }
        }
        ASSERT_EQ(s.stats().records, model.size()) << "step " << step;
    }
}

TEST(RecordStore, RefreshLinksAreTakenOnceReplacedAndExpire) {
    store::limits l;
    l.record_ttl = 60s;
    l.max_refreshes = 3;
    store::record_store s(l, t0, 1);
    const store::refresh_link a{key(1), rec(1, 2), false}, b{key(2), rec(2), true};
    s.put_refresh(key(100), a, t0);
    auto got = s.take_refresh(key(100));
    ASSERT_TRUE(got);
    EXPECT_EQ(got->target, key(1));
    EXPECT_EQ(got->record.pk, rec(1).pk);
    EXPECT_EQ(got->record.relay_count, 2);
    EXPECT_FALSE(got->announce_self);
    EXPECT_FALSE(s.take_refresh(key(100))) << "a link is taken once";

    s.put_refresh(key(100), a, t0);
    s.put_refresh(key(100), b, t0);  // the same value again: the newer link wins
    EXPECT_EQ(s.stats().refreshes, 1u);
    got = s.take_refresh(key(100));
    ASSERT_TRUE(got);
    EXPECT_TRUE(got->announce_self);
    EXPECT_EQ(got->target, key(2));

    // Full: the oldest link goes first.
    for (std::uint64_t i = 0; i < 4; ++i) s.put_refresh(key(200 + i), a, t0 + std::chrono::seconds(i));
    EXPECT_EQ(s.stats().refreshes, 3u);
    EXPECT_FALSE(s.take_refresh(key(200)));
    EXPECT_TRUE(s.take_refresh(key(201)));

    // Links live as long as records.
    s.expire(t0 + 61s);
    EXPECT_EQ(s.stats().refreshes, 2u);
    s.expire(t0 + 62s);
    EXPECT_EQ(s.stats().refreshes, 1u) << "the link written at t0+2s is due at t0+62s";
    s.expire(t0 + 63s);
    EXPECT_EQ(s.stats().refreshes, 0u);
}

// A peer repeating one write (an IMMUTABLE_PUT or a refresh-only ANNOUNCE
// needs no signature) must not grow the expiry queues by one entry a write.
TEST(RecordStore, RepeatedWritesQueueABoundedNumberOfExpiries) {
    store::limits l;
    l.record_ttl = 800s;
    l.route_ttl = 800s;
    l.value_ttl = 800s;
    store::record_store s(l, t0, 1);
    const std::vector<std::byte> v(10, std::byte{1});
    const store::refresh_link link{key(1), rec(1), false};
    auto write_all = [&](base::mono_time at) {
        s.put_record(key(1), rec(1), at);
        s.put_route(key(2), {base::endpoint::v4(1, 1, 1, 1, 1), rec(2)}, at);
        ASSERT_TRUE(s.put_immutable(key(3), v, at));
        ASSERT_EQ(s.put_mutable(key(5), 1, v, 1, 2, at), store::put_mutable_result::stored);
        s.put_refresh(key(4), link, at);
    };
    write_all(t0);
    const std::size_t base = s.stats().queued_expiries;
    EXPECT_EQ(base, 5u);
    for (int i = 0; i < 10000; ++i) write_all(t0);
    EXPECT_EQ(s.stats().queued_expiries, base) << "repeats within one second queue nothing";
    for (int sec = 1; sec <= 800; ++sec) write_all(t0 + std::chrono::seconds(sec));
    EXPECT_LE(s.stats().queued_expiries, base + 5 * 8) << "one per eighth of the lifetime";
    EXPECT_EQ(s.stats().records, 1u);
    EXPECT_EQ(s.stats().mutables + s.stats().immutables, 2u);
    // The last extension was at 800 s: everything lives to 1600 s, not beyond.
    s.expire(t0 + 1500s);
    EXPECT_EQ(s.stats().records, 1u);
    EXPECT_NE(s.get_route(key(2)), nullptr);
    s.expire(t0 + 1600s);
    EXPECT_EQ(s.stats().records, 0u);
    EXPECT_EQ(s.get_route(key(2)), nullptr);
    EXPECT_EQ(s.stats().refreshes, 0u);
    EXPECT_EQ(s.stats().immutables + s.stats().mutables, 0u);
}

// Removing entries and creating them again (an IMMUTABLE_PUT of a public key
// alternating with a MUTABLE_PUT for that key, ANNOUNCE/UNANNOUNCE pairs,
// rising mutable seqs) must not leave expiry bookkeeping behind: whatever
// the sequence of writes, it is bounded by the live entries.
TEST(RecordStore, ExpiryBookkeepingIsBoundedByLiveEntriesWhateverTheWrites) {
    store::record_store s({}, t0, 1);
    const std::vector<std::byte> v(32, std::byte{7});
    auto live = [&] {
        const auto st = s.stats();
        return st.records + st.routes + st.refreshes + st.mutables + st.immutables;
    };
    for (std::uint64_t i = 0; i < 20000; ++i) {
        const auto at = t0 + std::chrono::milliseconds(i);  // 20 s of writes, well within every lifetime
        ASSERT_TRUE(s.put_immutable(key(1), v, at));        // the value under "H(pk)"
        ASSERT_EQ(s.put_mutable(key(1), i, v, 1, 2, at), store::put_mutable_result::stored);
        s.put_record(key(2), rec(i % 3), at);  // announce ...
        s.remove_record(key(2), rec(i % 3).pk);  // ... and unannounce
        s.put_route(key(3), {base::endpoint::v4(1, 1, 1, 1, 1), rec(1)}, at);
        s.remove_route(key(3));
        s.put_refresh(key(4), {key(2), rec(1), false}, at);
        ASSERT_TRUE(s.take_refresh(key(4)));
        ASSERT_LE(s.stats().queued_expiries, live()) << "after " << i << " cycles";
    }
    EXPECT_EQ(live(), 1u);
    EXPECT_EQ(s.stats().queued_expiries, 1u);
    // What is live still expires on time (values to within 43 s: a 48 h
    // lifetime is kept in 43-second buckets).
    s.expire(t0 + 20s + 48h - 1s);
    EXPECT_EQ(s.stats().mutables, 1u);
    s.expire(t0 + 20s + 48h + 43s);
    EXPECT_EQ(s.stats().mutables, 0u);
    EXPECT_EQ(s.stats().queued_expiries, 0u);
}

// A store whose expiry pass has not run for longer than a lifetime expires
// nothing early and everything due.
TEST(RecordStore, ALateExpiryPassExpiresExactlyWhatIsDue) {
    store::limits l;
    l.record_ttl = 100s;
    store::record_store s(l, t0, 1);
    s.put_record(key(1), rec(1), t0);
    s.put_record(key(2), rec(2), t0 + 1000s);  // the wheel has not turned since t0
    s.expire(t0 + 1050s);
    EXPECT_EQ(s.stats().records, 1u) << "key(1) was due at t0+100s, key(2) lives to t0+1100s";
    s.expire(t0 + 1100s);
    EXPECT_EQ(s.stats().records, 0u);
}

TEST(RecordStore, AMovedRefreshLinkKeepsItsSlotAndReplacesTheTarget) {
    store::record_store s({}, t0, 1);
    const store::refresh_link a{key(1), rec(1), false}, b{key(2), rec(2), true};
    s.put_refresh(key(100), a, t0);
    s.put_refresh(key(200), b, t0);
    const std::size_t queued = s.stats().queued_expiries;
    // A chain of a thousand steps in one second: no new slots, nothing queued.
    for (std::uint64_t i = 0; i < 1000; ++i) {
        auto got = s.move_refresh(key(100 + (i % 2) * 1000), key(100 + ((i + 1) % 2) * 1000), t0);
        ASSERT_TRUE(got) << i;
        EXPECT_EQ(got->target, key(1));
    }
    EXPECT_EQ(s.stats().refreshes, 2u);
    EXPECT_EQ(s.stats().queued_expiries, queued);
    EXPECT_FALSE(s.move_refresh(key(1100), key(7), t0)) << "the link is under key(100) after an even count";
    // Moving onto a key that holds a link replaces that link.
    ASSERT_TRUE(s.move_refresh(key(100), key(200), t0));
    EXPECT_EQ(s.stats().refreshes, 1u);
    auto got = s.take_refresh(key(200));
    ASSERT_TRUE(got);
    EXPECT_EQ(got->target, key(1));
}

TEST(RecordStore, BumpsOnlyRiseAndLeaveWithTheirTopic) {
    store::record_store s({}, t0, 1);
    s.raise_bump(key(1), 10);
    EXPECT_EQ(s.bump(key(1)), 0u) << "no topic, no bump";
    s.put_record(key(1), rec(1), t0);
    s.raise_bump(key(1), 10);
    s.raise_bump(key(1), 5);
    EXPECT_EQ(s.bump(key(1)), 10u);
    s.remove_record(key(1), rec(1).pk);
    s.put_record(key(1), rec(2), t0);
    EXPECT_EQ(s.bump(key(1)), 0u) << "a new topic starts without the old bump";
}

// A change_sink hears every write and every removal -- explicit, evicted and
// expired -- so a copy kept from its reports (persist/) matches the store.
struct recording_sink final : store::change_sink {
    struct seen {
        store::entry_kind kind;
        bool removed;
        store::key k;
        base::mono_time expires;
    };
    std::vector<seen> v;
    void on_change(const store::change& c) noexcept override { v.push_back({c.kind, c.removed, *c.k, c.expires}); }
    [[nodiscard]] std::size_t count(store::entry_kind k, bool removed) const {
        std::size_t n = 0;
        for (const auto& s : v) n += s.kind == k && s.removed == removed;
        return n;
    }
};

TEST(RecordStore, ReportsEveryWriteAndRemovalToItsSink) {
    store::limits l;
    l.max_records = 4;
    store::record_store s(l, t0, 1);
    recording_sink sink;
    s.set_sink(&sink);
    for (std::uint64_t i = 0; i < 6; ++i) s.put_record(key(i), rec(i), t0);  // two evicted
    EXPECT_EQ(sink.count(store::entry_kind::record, false), 6u);
    EXPECT_EQ(sink.count(store::entry_kind::record, true), 2u);
    EXPECT_EQ(sink.v[0].expires, t0 + l.record_ttl);
    EXPECT_TRUE(s.remove_record(key(5), rec(5).pk));
    EXPECT_EQ(sink.count(store::entry_kind::record, true), 3u);
    s.put_route(key(9), store::route{base::endpoint::v4(127, 0, 0, 1, 1), rec(9)}, t0);
    EXPECT_TRUE(s.remove_route(key(9)));
    EXPECT_EQ(sink.count(store::entry_kind::route, false), 1u);
    EXPECT_EQ(sink.count(store::entry_kind::route, true), 1u);
    s.put_refresh(key(20), store::refresh_link{key(1), rec(1), false}, t0);
    ASSERT_TRUE(s.move_refresh(key(20), key(21), t0));  // removed under 20, written under 21
    EXPECT_EQ(sink.count(store::entry_kind::refresh, false), 2u);
    EXPECT_EQ(sink.count(store::entry_kind::refresh, true), 1u);
    EXPECT_EQ(sink.v.back().k, key(21));
    std::vector<std::byte> v(10, std::byte{1});
    ASSERT_EQ(s.put_mutable(key(30), 1, v, 0, 10, t0), store::put_mutable_result::stored);
    ASSERT_EQ(s.put_mutable(key(30), 2, v, 0, 10, t0), store::put_mutable_result::stored);  // replaces: removed + written
    EXPECT_EQ(sink.count(store::entry_kind::value, false), 2u);
    EXPECT_EQ(sink.count(store::entry_kind::value, true), 1u);
    const std::size_t before = sink.v.size();
    ASSERT_EQ(s.put_mutable(key(30), 1, v, 0, 10, t0), store::put_mutable_result::seq_too_low);
    EXPECT_EQ(sink.v.size(), before) << "a refused write reports nothing";
    s.expire(t0 + l.value_ttl + std::chrono::hours(1));  // everything expires
    EXPECT_EQ(sink.count(store::entry_kind::record, true), 6u);
    EXPECT_EQ(sink.count(store::entry_kind::refresh, true), 2u);
    EXPECT_EQ(sink.count(store::entry_kind::value, true), 2u);
}

TEST(RecordStore, LimitExpiryOnlyBringsExpiryForward) {
    store::record_store s(store::limits{}, t0, 1);
    const crypto::public_key pk = rec(1).pk;
    s.put_record(key(1), rec(1), t0);
    EXPECT_TRUE(s.limit_expiry(store::entry_kind::record, key(1), &pk, t0 + std::chrono::seconds(60)));
    EXPECT_FALSE(s.limit_expiry(store::entry_kind::record, key(2), &pk, t0));
    s.expire(t0 + std::chrono::seconds(59));
    EXPECT_EQ(s.stats().records, 1u);
    s.expire(t0 + std::chrono::seconds(61));
    EXPECT_EQ(s.stats().records, 0u);
    s.put_record(key(1), rec(1), t0);
    EXPECT_TRUE(s.limit_expiry(store::entry_kind::record, key(1), &pk, t0 + std::chrono::hours(5)));
    s.expire(t0 + std::chrono::minutes(21));
    EXPECT_EQ(s.stats().records, 0u) << "a later time does not extend the lifetime";
}

TEST(RecordStore, ShardOfSpreadsKeys) {
    int counts[4] = {};
    for (std::uint64_t i = 0; i < 4000; ++i) ++counts[store::shard_of(key(i), 4)];
    for (int c : counts) EXPECT_GT(c, 800);
    EXPECT_EQ(store::shard_of(key(1), 1), 0);
}

}  // namespace
