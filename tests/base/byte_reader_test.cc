#include "base/byte_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "base/byte_writer.h"
#include "base/fixed_bytes.h"

namespace {

std::vector<std::byte> bytes(std::initializer_list<int> v) {
    std::vector<std::byte> out;
    for (int x : v) out.push_back(std::byte(x));
    return out;
}

TEST(ByteReader, ReadsLittleEndianIntegers) {
    auto in = bytes({0x34, 0x12, 0x78, 0x56, 0x34, 0x12, 1, 2, 3, 4, 5, 6, 7, 8});
    base::byte_reader r(in);
    EXPECT_EQ(*r.read_u16le(), 0x1234);
    EXPECT_EQ(*r.read_u32le(), 0x12345678u);
    EXPECT_EQ(*r.read_u64le(), 0x0807060504030201ull);
    EXPECT_TRUE(r.empty());
}

TEST(ByteReader, FailedReadDoesNotMove) {
    auto in = bytes({1, 2, 3});
    base::byte_reader r(in);
    EXPECT_EQ(r.read_u32le().error(), base::decode_errc::truncated);
    EXPECT_EQ(r.position(), 0u);
    EXPECT_EQ(r.read_bytes(4).error(), base::decode_errc::truncated);
    EXPECT_EQ(*r.read_u16le(), 0x0201);
    EXPECT_EQ(r.remaining(), 1u);
}

TEST(ByteReader, HugeLengthIsTruncatedNotWrapped) {
    // A peer-chosen length near SIZE_MAX must not wrap the bounds check.
    auto in = bytes({1, 2, 3, 4});
    base::byte_reader r(in);
    ASSERT_TRUE(r.read_u8());
    EXPECT_EQ(r.read_bytes(SIZE_MAX).error(), base::decode_errc::truncated);
    EXPECT_EQ(r.read_bytes(SIZE_MAX - 1).error(), base::decode_errc::truncated);
    EXPECT_EQ(r.remaining(), 3u);
}

TEST(ByteWriter, OverflowStopsAllLaterWrites) {
    std::array<std::byte, 5> buf{};
    base::byte_writer w(buf);
    w.write_u32le(0xdeadbeef);
    EXPECT_TRUE(w.ok());
    w.write_u16le(1);  // does not fit
    EXPECT_FALSE(w.ok());
    w.write_u8(7);  // would fit, but the writer is already failed
    EXPECT_EQ(w.size(), 4u);
}

TEST(Hex, RoundTripsAndRejectsBadDigits) {
    std::string raw;
    ASSERT_TRUE(base::from_hex("00ff7Fa0", raw));
    EXPECT_EQ(base::to_hex(base::as_bytes(raw)), "00ff7fa0");
    EXPECT_FALSE(base::from_hex("abc", raw));
    EXPECT_FALSE(base::from_hex("zz", raw));
}

}  // namespace

#include "base/histogram.h"
#include "base/random.h"

namespace {

// Quantiles agree with an exact sort to within the histogram's 1/32 bound.
TEST(Histogram, QuantilesAreWithinTheRelativeErrorBound) {
    base::prng r(99);
    base::histogram h;
    std::vector<std::uint64_t> all;
    for (int i = 0; i < 100000; ++i) {
        std::uint64_t v = 1000 + r.below(r.chance(0.01) ? 50'000'000 : 200'000);
        h.record(v);
        all.push_back(v);
    }
    std::sort(all.begin(), all.end());
    for (double q : {0.5, 0.9, 0.99, 0.999}) {
        const double exact = static_cast<double>(all[static_cast<std::size_t>(q * all.size())]);
        const double got = static_cast<double>(h.quantile(q));
        EXPECT_NEAR(got, exact, exact / 32) << "q=" << q;
    }
    EXPECT_EQ(h.max(), all.back());
    EXPECT_EQ(h.count(), all.size());
}

TEST(Histogram, BucketsCoverEveryValueMonotonically) {
    std::size_t prev = 0;
    for (std::uint64_t v : {0ull, 1ull, 63ull, 64ull, 65ull, 127ull, 128ull, 1000ull, 1ull << 40, ~0ull}) {
        auto i = base::histogram::index_of(v);
        EXPECT_GE(i, prev);
        EXPECT_GE(base::histogram::upper_edge(i), v);
        prev = i;
    }
    base::histogram a, b;
    a.record(5);
    b.record(500);
    a.merge(b);
    EXPECT_EQ(a.count(), 2u);
    EXPECT_EQ(a.max(), 500u);
}

}  // namespace
