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
