#include "crypto/sign.h"

#include <gtest/gtest.h>

#include <string>

#include "crypto/hash.h"

namespace {

// The batch verifier's rule is libsodium 1.0.18's; the build pins that
// release, and this checks the library the test actually loaded.
TEST(Sign, RunsWithTheLibsodiumReleaseTheBatchRuleIsProvedFor) {
    ASSERT_TRUE(crypto::init());
    EXPECT_EQ(std::string(crypto::sodium_version()), "1.0.18");
    EXPECT_TRUE(crypto::batch_rule_matches_library());
}

TEST(Sign, SignsAndVerifiesWithLibsodium) {
    ASSERT_TRUE(crypto::init());
    std::array<std::uint8_t, 32> s{};
    s.fill(9);
    const auto kp = crypto::keypair_from_seed(crypto::seed(s));
    const std::array<std::byte, 3> msg{std::byte{1}, std::byte{2}, std::byte{3}};
    auto sig = crypto::sign(msg, kp.sk);
    EXPECT_TRUE(crypto::verify(sig, msg, kp.pk));
    sig.data()[0] ^= 1;
    EXPECT_FALSE(crypto::verify(sig, msg, kp.pk));
}

}  // namespace
