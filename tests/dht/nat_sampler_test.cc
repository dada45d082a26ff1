#include "dht/nat_sampler.h"

#include <gtest/gtest.h>

#include "tests/dht/vectors.h"

namespace {

// tests/dht/vectors/nat-sampler.json holds 120 random sample sequences and the
// reference nat-sampler's answer after every sample (tests/dht/gen/).
TEST(NatSampler, AgreesWithTheReferenceAfterEverySample) {
    auto cases = test::load_vectors("nat-sampler.json");
    int steps = 0, known = 0, randomised = 0;
    for (std::size_t c = 0; c < cases.size(); ++c) {
        dht::nat_sampler s;
        for (std::size_t i = 0; i < cases[c].size(); ++i) {
            const auto& step = cases[c][i];
            s.add(*base::endpoint::parse(step["add"].get<std::string>()));
            auto got = s.address();
            if (step["host"].is_null()) {
                EXPECT_FALSE(got) << "case " << c << " step " << i;
            } else {
                ASSERT_TRUE(got) << "case " << c << " step " << i;
                EXPECT_EQ(got->host_string(), step["host"].get<std::string>()) << "case " << c << " step " << i;
                EXPECT_EQ(got->port(), step["port"].get<int>()) << "case " << c << " step " << i;
                ++known;
                if (got->port() == 0) ++randomised;
            }
            ++steps;
        }
    }
    // The vectors must cover all three outcomes.
    EXPECT_GT(steps, 1000);
    EXPECT_GT(known, 0);
    EXPECT_GT(randomised, 0);
    EXPECT_GT(steps - known, 0);
}

TEST(NatSampler, ConsistentPortWins) {
    dht::nat_sampler s;
    for (int i = 0; i < 5; ++i) s.add(*base::endpoint::parse("1.2.3.4:5000"));
    ASSERT_TRUE(s.address());
    EXPECT_EQ(s.address()->to_string(), "1.2.3.4:5000");
}

TEST(NatSampler, RandomisedPortsGiveHostWithPortZero) {
    dht::nat_sampler s;
    for (int i = 0; i < 8; ++i) s.add(base::endpoint::v4(1, 2, 3, 4, static_cast<std::uint16_t>(1000 + i)));
    ASSERT_TRUE(s.address());
    EXPECT_EQ(s.address()->port(), 0);
}

}  // namespace
