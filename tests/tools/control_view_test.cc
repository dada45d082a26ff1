#include "tools/control_view.h"

#include <gtest/gtest.h>

namespace {

const char* metrics =
    "# TYPE shoal_dht_requests_total counter\n"
    "shoal_dht_requests_total{shard=\"0\",command=\"ping\"} 10\n"
    "shoal_dht_requests_total{shard=\"1\",command=\"ping\"} 5\n"
    "shoal_hyperdht_requests_total{shard=\"0\",command=\"announce\"} 7\n"
    "shoal_dht_dropped_datagrams_total{shard=\"0\",reason=\"too_short\"} 2\n"
    "shoal_hyperdht_dropped_requests_total{shard=\"1\",reason=\"bad_token\"} 3\n"
    "shoal_port_other_datagrams_total{kind=\"junk\"} 4\n"
    "shoal_port_other_datagrams_total{kind=\"udx\"} 9\n"
    "shoal_store_entries{shard=\"0\",kind=\"record\"} 6\n"
    "shoal_node_table_nodes 20\n"
    "shoal_node_ready 1\n";

TEST(ControlView, FiguresAreSummedOverShards) {
    auto f = tools::top_figures(metrics);
    ASSERT_TRUE(f) << f.error();
    EXPECT_EQ(f->at("requests ping"), 15);
    EXPECT_EQ(f->at("requests announce"), 7);
    EXPECT_EQ(f->at("drops dht too_short"), 2);
    EXPECT_EQ(f->at("drops hyperdht bad_token"), 3);
    EXPECT_EQ(f->at("drops port junk"), 4);
    EXPECT_EQ(f->count("drops port udx"), 0u);
    EXPECT_EQ(f->at("store record"), 6);
    EXPECT_EQ(f->at("table nodes"), 20);
}

TEST(ControlView, FrameShowsRatesAndTotals) {
    tools::top_frame fr;
    fr.totals = *tools::top_figures(metrics);
    fr.rates["requests ping"] = 2.5;
    const auto text = tools::render_top({}, fr);
    EXPECT_NE(text.find("READY"), std::string::npos) << text;
    EXPECT_NE(text.find("table 20 nodes"), std::string::npos) << text;
    EXPECT_NE(text.find("  ping                        2.5           15"), std::string::npos) << text;
    EXPECT_NE(text.find("hyperdht bad_token"), std::string::npos) << text;
    EXPECT_NE(text.find("store  6 records"), std::string::npos) << text;
}

TEST(ControlView, BadAnswersAreErrors) {
    EXPECT_FALSE(tools::top_figures("shoal_x{a=\"1 2\n"));
    EXPECT_FALSE(tools::parse_control_target("localhost:1"));
    EXPECT_FALSE(tools::parse_control_target("127.0.0.1:0"));
    auto t = tools::parse_control_target("127.0.0.2:80");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->host, "127.0.0.2");
    EXPECT_EQ(t->port, 80);
}

}  // namespace
