#include "base/endpoint.h"

#include <gtest/gtest.h>

namespace {

TEST(Endpoint, ParsesDottedQuadWithPort) {
    auto e = base::endpoint::parse("127.0.0.1:49737");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->v4_u32(), 0x7f000001u);
    EXPECT_EQ(e->port(), 49737);
    EXPECT_EQ(e->to_string(), "127.0.0.1:49737");
    EXPECT_EQ(e->host_string(), "127.0.0.1");
}

TEST(Endpoint, RejectsMalformedInput) {
    for (const char* bad : {"", "1.2.3.4", "1.2.3:5", "1.2.3.4.5:6", "256.1.1.1:1", "1.2.3.4:65536",
                            "1.2.3.4:0", "1.2.3.4:-1", "a.b.c.d:1", "1.2.3.4:1x", " 1.2.3.4:1", "1..3.4:1"}) {
        EXPECT_FALSE(base::endpoint::parse(bad)) << bad;
    }
    EXPECT_TRUE(base::endpoint::parse("1.2.3.4:0", true));
}

TEST(Endpoint, KeyDistinguishesPortAndHost) {
    auto a = base::endpoint::v4(10, 0, 0, 1, 1);
    EXPECT_NE(a.key(), a.with_port(2).key());
    EXPECT_NE(a.key(), base::endpoint::v4(10, 0, 0, 2, 1).key());
    EXPECT_TRUE(a.same_host(a.with_port(9)));
}

}  // namespace

TEST(Endpoint, ScopeSortsAddressesByHowFarTheyReach) {
    using base::addr_scope;
    auto scope = [](const char* s) { return base::endpoint::parse(s, true)->scope(); };
    for (const char* s : {"1.2.3.4:1", "8.8.8.8:53", "100.63.255.255:1", "100.128.0.0:1", "172.15.255.255:1",
                          "172.32.0.0:1", "192.167.255.255:1", "198.17.255.255:1", "198.20.0.0:1",
                          "223.255.255.255:1", "126.255.255.255:1", "128.0.0.1:1"}) {
        EXPECT_EQ(scope(s), addr_scope::global) << s;
    }
    for (const char* s : {"127.0.0.1:1", "127.255.255.254:9"}) EXPECT_EQ(scope(s), addr_scope::loopback) << s;
    for (const char* s : {"10.0.0.1:1", "100.64.0.1:1", "100.127.255.255:1", "169.254.1.1:1", "172.16.0.1:1",
                          "172.31.255.255:1", "192.0.0.8:1", "192.0.2.1:1", "192.168.1.1:1", "198.18.0.1:1",
                          "198.19.255.255:1", "198.51.100.7:1", "203.0.113.7:1"}) {
        EXPECT_EQ(scope(s), addr_scope::private_net) << s;
    }
    for (const char* s : {"0.0.0.0:1", "0.1.2.3:1", "224.0.0.1:1", "239.255.255.255:1", "240.0.0.1:1",
                          "255.255.255.255:1", "8.8.8.8:0", "127.0.0.1:0"}) {
        EXPECT_EQ(scope(s), addr_scope::unusable) << s;
    }
}
