// shoal-net's parts without a network: option checks, the ground-truth
// verdict, percentiles, and the SVG plot.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/tools/svg_check.h"
#include "tools/net/options.h"
#include "tools/net/report.h"
#include "tools/net/svg_plot.h"
#include "tools/net/truth.h"

namespace {

using namespace std::chrono_literals;

net::parse_outcome parse(std::vector<std::string> args) {
    args.insert(args.begin(), "shoal-net");
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    return net::parse_options(static_cast<int>(argv.size()), argv.data());
}

// The exit code and message of a refused command line.
net::parse_exit refused(std::vector<std::string> args) {
    auto r = parse(std::move(args));
    if (auto* e = std::get_if<net::parse_exit>(&r)) return *e;
    return {-1, "accepted"};
}

TEST(ShoalNetOptions, DefaultsAreAProcessNetworkOnLoopback) {
    auto r = parse({});
    ASSERT_TRUE(std::holds_alternative<net::options>(r));
    const auto& o = std::get<net::options>(r);
    EXPECT_EQ(o.mode, net::run_mode::process);
    EXPECT_EQ(o.host_ep.v4_octets()[0], 127);
    EXPECT_EQ(o.shards, 0);  // only inproc picks shards
}

TEST(ShoalNetOptions, InprocPicksAtMostTwoShardsAndNoMoreThanNodes) {
    auto r = parse({"--mode", "inproc", "--nodes", "1"});
    ASSERT_TRUE(std::holds_alternative<net::options>(r));
    EXPECT_EQ(std::get<net::options>(r).shards, 1);
    r = parse({"--mode", "inproc", "--nodes", "50"});
    EXPECT_EQ(std::get<net::options>(r).shards, 2);
}

TEST(ShoalNetOptions, BadValuesExit2WithAMessage) {
    struct bad_case {
        std::vector<std::string> args;
        std::string says;
    };
    const std::vector<bad_case> cases = {
        {{"--nodes", "0"}, "--nodes"},
        {{"--nodes", "abc"}, "--nodes"},
        {{"--mode", "threads"}, "--mode"},
        {{"--host", "10.1.2.3"}, "loopback"},
        {{"--host", "not-an-ip"}, "not an IPv4 address"},
        {{"--base-port", "65530", "--nodes", "10"}, "do not fit"},
        {{"--loss", "100"}, "--loss"},
        {{"--loss", "-1"}, "--loss"},
        {{"--churn", "5", "--nodes", "1"}, "at least 2 nodes"},
        {{"--down-s", "0"}, "--down-s"},
        {{"--plot", "cdf.png"}, ".svg"},
        {{"--shards", "2"}, "inproc only"},
        {{"--mode", "inproc", "--shoald", "/bin/true"}, "process only"},
        {{"--lookups", "0"}, "--lookups"},
        {{"--no-such-flag"}, "no-such-flag"},
    };
    for (const auto& c : cases) {
        const auto e = refused(c.args);
        std::string joined;
        for (const auto& a : c.args) joined += a + " ";
        EXPECT_EQ(e.code, 2) << joined;
        EXPECT_NE(e.message.find(c.says), std::string::npos) << joined << "-> " << e.message;
    }
}

TEST(ShoalNetOptions, HelpExits0) {
    const auto e = refused({"--help"});
    EXPECT_EQ(e.code, 0);
    EXPECT_NE(e.message.find("--churn"), std::string::npos);
}

// A timeline: t(s) is s seconds after an arbitrary origin.
base::mono_time t(double s) {
    return base::mono_time(std::chrono::duration_cast<base::nanoseconds>(std::chrono::duration<double>(1000.0 + s)));
}

base::endpoint ep(std::uint16_t port) { return base::endpoint::v4(127, 0, 0, 1, port); }

// Members sorted by distance to `tgt`, nearest first.
std::vector<std::size_t> by_distance(const net::liveness& l, const dht::target& tgt) {
    std::vector<std::size_t> v;
    for (std::size_t i = 0; i < l.size(); ++i) v.push_back(i);
    std::sort(v.begin(), v.end(), [&](std::size_t a, std::size_t b) { return dht::compare_distance(tgt, l.id(a), l.id(b)) < 0; });
    return v;
}

struct truth_fixture : testing::Test {
    net::liveness l;
    dht::target tgt = dht::target(std::array<std::uint8_t, 32>{0x5a, 0x11});
    std::vector<std::size_t> order;
    void SetUp() override {
        for (std::uint16_t p = 23700; p < 23710; ++p) l.add(ep(p), t(0));
        order = by_distance(l, tgt);
    }
    net::lookup_record found(std::size_t member, double start, double end) const {
        net::lookup_record r;
        r.tgt = tgt;
        r.start = t(start);
        r.end = t(end);
        r.finished = true;
        r.closest = l.addr(member);
        r.hops = 1;
        return r;
    }
};

using ShoalNetTruth = truth_fixture;

TEST_F(ShoalNetTruth, TheClosestMemberIsASuccessAndTheSecondIsNot) {
    EXPECT_TRUE(net::judge(l, found(order[0], 1, 2)).success);
    const auto v = net::judge(l, found(order[1], 1, 2));
    EXPECT_FALSE(v.success);
    EXPECT_EQ(v.expected, order[0]);
    EXPECT_EQ(v.found, order[1]);
    EXPECT_EQ(v.rank, 2u);
    EXPECT_EQ(net::judge(l, found(order[5], 1, 2)).rank, 6u);
}

TEST_F(ShoalNetTruth, ANodeDownDuringTheLookupIsNotRequired) {
    l.down(order[0], t(1.5));
    EXPECT_TRUE(net::judge(l, found(order[1], 1, 2)).success) << "went down mid-lookup";
    l.up(order[0], t(3));
    EXPECT_TRUE(net::judge(l, found(order[1], 2.5, 3.5)).success) << "came back mid-lookup";
    EXPECT_FALSE(net::judge(l, found(order[1], 4, 5)).success) << "up the whole time again";
    EXPECT_TRUE(net::judge(l, found(order[0], 1, 2)).success) << "finding it anyway is fine";
}

TEST_F(ShoalNetTruth, NoReplyUnfinishedOrAStrangerIsAFailure) {
    auto r = found(order[0], 1, 2);
    r.closest.reset();
    EXPECT_FALSE(net::judge(l, r).success);
    r = found(order[0], 1, 2);
    r.finished = false;
    EXPECT_FALSE(net::judge(l, r).success);
    r.finished = true;
    r.closest = ep(40000);  // not a member, whatever its distance
    EXPECT_FALSE(net::judge(l, r).success);
}

TEST(ShoalNetReport, NearestRankQuantiles) {
    const std::vector<double> v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    EXPECT_EQ(net::quantile(v, 0.5), 5);
    EXPECT_EQ(net::quantile(v, 0.9), 9);
    EXPECT_EQ(net::quantile(v, 0.99), 10);
    EXPECT_EQ(net::quantile(v, 1.0), 10);
    EXPECT_EQ(net::quantile({}, 0.5), 0);
    EXPECT_EQ(net::quantile({42}, 0.01), 42);
}

TEST(ShoalNetReport, SummaryCountsEachOutcome) {
    net::liveness l;
    for (std::uint16_t p = 23700; p < 23704; ++p) l.add(ep(p), t(0));
    const dht::target tgt(std::array<std::uint8_t, 32>{1});
    const auto order = by_distance(l, tgt);
    std::vector<net::lookup_record> recs(4);
    for (auto& r : recs) {
        r.tgt = tgt;
        r.start = t(1);
        r.end = t(1.010);
        r.finished = true;
        r.closest = l.addr(order[0]);
        r.hops = 2;
    }
    recs[1].closest = l.addr(order[1]);  // wrong node
    recs[2].closest.reset();             // no reply
    recs[3].finished = false;            // unfinished
    const auto s = net::summarize(l, recs, 5);
    EXPECT_EQ(s.requested, 5u);
    EXPECT_EQ(s.started, 4u);
    EXPECT_EQ(s.succeeded, 1u);
    EXPECT_EQ(s.wrong, 1u);
    EXPECT_EQ(s.no_reply, 1u);
    EXPECT_EQ(s.unfinished, 1u);
    EXPECT_EQ(s.wrong_rank.at(2), 1u);
    EXPECT_EQ(s.hops.size(), 2u);
    ASSERT_EQ(s.latency_ms.size(), 3u);
    EXPECT_NEAR(s.latency_ms[0], 10.0, 0.01);
    EXPECT_DOUBLE_EQ(s.success_rate(), 0.2);
    const auto j = net::to_json({.mode = "inproc", .nodes = 4}, s);
    EXPECT_EQ(j["lookups"]["succeeded"], 1);
    EXPECT_DOUBLE_EQ(j["lookups"]["success_rate"].get<double>(), 0.2);
    EXPECT_NE(net::to_text({.mode = "inproc", .nodes = 4}, s).find("1/5 found"), std::string::npos);
}

TEST(ShoalNetPlot, EscapesText) { EXPECT_EQ(net::xml_escape("a<b & \"c\">'"), "a&lt;b &amp; &quot;c&quot;&gt;&apos;"); }

TEST(ShoalNetPlot, LinearAndLogPlotsAreWellFormed) {
    const std::vector<std::vector<double>> samples = {
        {0.2, 0.3, 0.3, 0.5, 0.9},           // linear axis
        {0.4, 0.5, 1.0, 3.0, 1000.0, 4000},  // a long tail: log axis
        {},                                  // nothing finished
        {5.0},
    };
    for (const auto& v : samples) {
        const auto svg = net::render_cdf_svg({"title <&>", "sub", v});
        EXPECT_EQ(test::svg_problem(svg), "") << svg;
        EXPECT_NE(svg.find("lookup latency (ms"), std::string::npos);
        EXPECT_EQ(svg.find("<polyline") != std::string::npos, !v.empty());
    }
    EXPECT_NE(net::render_cdf_svg({"t", "s", samples[1]}).find("log scale"), std::string::npos);
    EXPECT_EQ(net::render_cdf_svg({"t", "s", samples[0]}).find("log scale"), std::string::npos);
}

TEST(ShoalNetPlot, TheCheckerCatchesBrokenDocuments) {
    EXPECT_NE(test::svg_problem("<svg><g></svg>"), "");
    EXPECT_NE(test::svg_problem("<svg>a & b</svg>"), "");
    EXPECT_NE(test::svg_problem("<svg x=\"1></svg>"), "");
    EXPECT_NE(test::svg_problem("<html></html>"), "");
    EXPECT_EQ(test::svg_problem("<?xml version=\"1.0\"?>\n<svg><g/><text>a &amp; b</text></svg>\n"), "");
}

}  // namespace
