#include "tools/daemon/table_snapshot.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

namespace {

using namespace tools::daemon;

table_snapshot sample(std::size_t n) {
    table_snapshot s;
    s.network = 42;
    s.written_unix_s = 1'800'000'000;
    for (std::size_t i = 0; i < n; ++i) {
        std::array<std::uint8_t, 32> id{};
        id[0] = static_cast<std::uint8_t>(i);
        id[31] = 7;
        s.nodes.push_back({dht::node_id(id), base::endpoint::v4(10, 0, 0, static_cast<std::uint8_t>(i), 4000)});
    }
    return s;
}

TEST(TableSnapshot, RoundTrip) {
    const auto s = sample(5);
    const auto bytes = encode_snapshot(s);
    EXPECT_EQ(bytes.size(), 30u + 5 * 38 + 8);
    auto d = decode_snapshot(bytes);
    ASSERT_TRUE(d) << d.error();
    EXPECT_EQ(d->network, 42u);
    EXPECT_EQ(d->written_unix_s, 1'800'000'000u);
    ASSERT_EQ(d->nodes.size(), 5u);
    for (std::size_t i = 0; i < 5; ++i) {
        EXPECT_EQ(d->nodes[i].id, s.nodes[i].id);
        EXPECT_EQ(d->nodes[i].addr, s.nodes[i].addr);
    }
}

TEST(TableSnapshot, EveryDamageIsRefusedWithItsReason) {
    const auto good = encode_snapshot(sample(3));
    auto expect_error = [](std::vector<std::byte> b, const std::string& want) {
        auto d = decode_snapshot(b);
        ASSERT_FALSE(d) << want;
        EXPECT_NE(d.error().find(want), std::string::npos) << d.error();
    };
    expect_error({}, "truncated");
    expect_error(std::vector<std::byte>(good.begin(), good.end() - 1), "checksum mismatch");
    for (std::size_t i = 0; i < good.size(); i += 7) {  // any flipped bit anywhere
        auto b = good;
        b[i] ^= std::byte{0x10};
        EXPECT_FALSE(decode_snapshot(b)) << "byte " << i;
    }
}

TEST(TableSnapshot, NetworkIsTheSortedBootstrapList) {
    const std::vector<base::endpoint> a{base::endpoint::v4(1, 2, 3, 4, 5), base::endpoint::v4(5, 6, 7, 8, 9)};
    const std::vector<base::endpoint> b{a[1], a[0]};
    EXPECT_EQ(network_of(a), network_of(b));
    EXPECT_NE(network_of(a), network_of(std::span(a).first(1)));
    EXPECT_NE(network_of(a), network_of({}));
}

TEST(TableSnapshot, SaveAndLoad) {
    const std::string dir = ::testing::TempDir() + "snapshot_test";
    ASSERT_TRUE(prepare_state_dir(dir)) << prepare_state_dir(dir).error();
    ::unlink((dir + "/routing-table").c_str());
    bool missing = false;
    EXPECT_FALSE(load_snapshot(dir, 42, &missing));
    EXPECT_TRUE(missing);
    ASSERT_TRUE(save_snapshot(dir, sample(4)));
    auto l = load_snapshot(dir, 42, &missing);
    ASSERT_TRUE(l) << l.error();
    EXPECT_EQ(l->nodes.size(), 4u);
    auto other = load_snapshot(dir, 43, &missing);
    ASSERT_FALSE(other);
    EXPECT_FALSE(missing);
    EXPECT_NE(other.error().find("another network"), std::string::npos);
    // A truncated file is refused, not a crash.
    ::truncate((dir + "/routing-table").c_str(), 40);
    auto t = load_snapshot(dir, 42, &missing);
    ASSERT_FALSE(t);
    EXPECT_NE(t.error().find("routing-table: "), std::string::npos) << t.error();
}

TEST(TableSnapshot, StateDirMustBeADirectory) {
    const std::string file = ::testing::TempDir() + "snapshot_test_file";
    std::ofstream(file) << "x";
    auto r = prepare_state_dir(file);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("not a directory"), std::string::npos);
}

}  // namespace
