#include "control/prometheus.h"

#include <gtest/gtest.h>

#include <array>

namespace {

using base::metrics::kind;

TEST(Prometheus, FamiliesAreWrittenOnceWithHelpAndType) {
    control::exposition x;
    const base::metrics::def a{"drop_a", "shoal_x_dropped_total", kind::counter, "Dropped.", {"reason", "a"}};
    const base::metrics::def b{"drop_b", "shoal_x_dropped_total", kind::counter, "Dropped.", {"reason", "b"}};
    x.add(a, {{"shard", "0"}}, 3);
    x.add("shoal_x_size", kind::gauge, "Size.", {}, 7);
    x.add(b, {{"shard", "0"}}, 4);
    x.add(a, {{"shard", "1"}}, 5);
    EXPECT_EQ(x.text(),
              "# HELP shoal_x_dropped_total Dropped.\n"
              "# TYPE shoal_x_dropped_total counter\n"
              "shoal_x_dropped_total{shard=\"0\",reason=\"a\"} 3\n"
              "shoal_x_dropped_total{shard=\"0\",reason=\"b\"} 4\n"
              "shoal_x_dropped_total{shard=\"1\",reason=\"a\"} 5\n"
              "# HELP shoal_x_size Size.\n"
              "# TYPE shoal_x_size gauge\n"
              "shoal_x_size 7\n");
}

TEST(Prometheus, LabelValuesAndHelpAreEscaped) {
    control::exposition x;
    x.add("shoal_y", kind::gauge, "Line\\one\nline two.", {{"v", "a\"b\\c\nd"}}, 1.5);
    EXPECT_EQ(x.text(),
              "# HELP shoal_y Line\\\\one\\nline two.\n"
              "# TYPE shoal_y gauge\n"
              "shoal_y{v=\"a\\\"b\\\\c\\nd\"} 1.5\n");
}

TEST(Prometheus, HistogramBucketsAreCumulative) {
    control::exposition x;
    const std::array<double, 3> upper{0.001, 0.01, 0.1};
    const std::array<std::uint64_t, 3> counts{2, 0, 3};
    x.add_histogram("shoal_z_seconds", "Latency.", {{"shard", "0"}}, upper, counts, 1, 0.25);
    EXPECT_EQ(x.text(),
              "# HELP shoal_z_seconds Latency.\n"
              "# TYPE shoal_z_seconds histogram\n"
              "shoal_z_seconds_bucket{shard=\"0\",le=\"0.001\"} 2\n"
              "shoal_z_seconds_bucket{shard=\"0\",le=\"0.01\"} 2\n"
              "shoal_z_seconds_bucket{shard=\"0\",le=\"0.1\"} 5\n"
              "shoal_z_seconds_bucket{shard=\"0\",le=\"+Inf\"} 6\n"
              "shoal_z_seconds_sum{shard=\"0\"} 0.25\n"
              "shoal_z_seconds_count{shard=\"0\"} 6\n");
}

TEST(Prometheus, Values) {
    EXPECT_EQ(control::format_value(0), "0");
    EXPECT_EQ(control::format_value(18446744073709551615.0), "1.84467441e+19");
    EXPECT_EQ(control::format_value(1.0 / 0.0), "+Inf");
    EXPECT_EQ(control::format_value(0.5), "0.5");
}

}  // namespace

namespace {

TEST(Prometheus, CounterTableBucketsBecomeAHistogram) {
    using base::metrics::def;
    const def b1{"rtt_1", "shoal_x_rtt_seconds", kind::bucket, "RTT.", {"le", "0.001"}};
    const def b2{"rtt_2", "shoal_x_rtt_seconds", kind::bucket, "RTT.", {"le", "0.002"}};
    const def inf{"rtt_more", "shoal_x_rtt_seconds", kind::bucket, "RTT.", {"le", "+Inf"}};
    const def sum{"rtt_sum_us", "shoal_x_rtt_seconds", kind::bucket_sum, "RTT."};
    const std::array<def, 4> table{b1, b2, inf, sum};
    EXPECT_EQ(base::metrics::check_table(table), "");
    control::exposition x;
    for (int shard = 0; shard < 2; ++shard) {
        const control::label_list l{{"shard", std::to_string(shard)}};
        x.add(b1, l, 3);
        x.add(b2, l, 1);
        x.add(inf, l, shard);
        x.add(sum, l, 2500);
    }
    EXPECT_EQ(x.text(),
              "# HELP shoal_x_rtt_seconds RTT.\n"
              "# TYPE shoal_x_rtt_seconds histogram\n"
              "shoal_x_rtt_seconds_bucket{shard=\"0\",le=\"0.001\"} 3\n"
              "shoal_x_rtt_seconds_bucket{shard=\"0\",le=\"0.002\"} 4\n"
              "shoal_x_rtt_seconds_bucket{shard=\"0\",le=\"+Inf\"} 4\n"
              "shoal_x_rtt_seconds_sum{shard=\"0\"} 0.0025\n"
              "shoal_x_rtt_seconds_count{shard=\"0\"} 4\n"
              "shoal_x_rtt_seconds_bucket{shard=\"1\",le=\"0.001\"} 3\n"
              "shoal_x_rtt_seconds_bucket{shard=\"1\",le=\"0.002\"} 4\n"
              "shoal_x_rtt_seconds_bucket{shard=\"1\",le=\"+Inf\"} 5\n"
              "shoal_x_rtt_seconds_sum{shard=\"1\"} 0.0025\n"
              "shoal_x_rtt_seconds_count{shard=\"1\"} 5\n");
}

}  // namespace

namespace {

TEST(Prometheus, WhatIsWrittenParsesBack) {
    control::exposition x;
    x.add("shoal_a_total", kind::counter, "A.", {{"shard", "0"}, {"why", "q\"uote\\d\nnl"}}, 12);
    x.add("shoal_b", kind::gauge, "B.", {}, 0.5);
    auto s = control::parse_samples(x.text());
    ASSERT_TRUE(s) << s.error();
    ASSERT_EQ(s->size(), 2u);
    EXPECT_EQ((*s)[0].name, "shoal_a_total");
    EXPECT_EQ((*s)[0].labels[1].second, "q\"uote\\d\nnl");
    EXPECT_EQ((*s)[0].value, 12);
    EXPECT_EQ((*s)[1].name, "shoal_b");
    EXPECT_EQ((*s)[1].value, 0.5);
}

TEST(Prometheus, BadLinesAreRefusedWithTheirNumber) {
    for (const char* bad : {"x{a=\"1\" 1\n", "x{a=1} 1\n", "x 1x\n", "{a=\"1\"} 1\n", "x\n", "x{a=\"\\", "x{=\"1\"} 2\n"}) {
        auto s = control::parse_samples(std::string("# c\nok 1\n") + bad);
        ASSERT_FALSE(s) << bad;
        EXPECT_EQ(s.error().rfind("line 3: ", 0), 0u) << s.error();
    }
    EXPECT_TRUE(control::parse_samples("up 1 1700000000000\n"));  // a timestamp is allowed
}

}  // namespace
