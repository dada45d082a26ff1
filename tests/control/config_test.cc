#include "control/config.h"

#include <gtest/gtest.h>

#include <array>
#include <fstream>

namespace {

struct opts {
    std::string name = "x";
    bool flag = false;
    std::uint16_t port = 10;
    std::size_t count = 5;
    double ratio = 0.5;
    std::vector<std::string> peers;
    std::vector<int> cpus;
};

constexpr std::array<std::string_view, 2> words{"a", "b"};
const std::array<control::key<opts>, 8> table{{
    {"name", &opts::name, "a name"},
    {"mode", &opts::name, "a word", 0, 0, words},
    {"flag", &opts::flag, "a flag"},
    {"port", &opts::port, "a port"},
    {"count", &opts::count, "a count", 1, 100},
    {"ratio", &opts::ratio, "a ratio", 0, 1},
    {"peers", &opts::peers, "peers"},
    {"cpus", &opts::cpus, "cpus", 0, 63},
}};
std::span<const control::key<opts>> keys() { return table; }

std::string write(const std::string& text) {
    static int n = 0;
    std::string path = ::testing::TempDir() + "config_test_" + std::to_string(++n) + ".toml";
    std::ofstream(path) << text;
    return path;
}

TEST(Config, FileSetsEveryType) {
    opts o;
    auto p = write("name = \"n\"\nflag = true\nport = 99\ncount = 7\nratio = 1\npeers = [\"h:1\", \"h:2\"]\ncpus = [0, 3]\n");
    ASSERT_TRUE(control::apply_file(o, keys(), p)) << control::apply_file(o, keys(), p).error();
    EXPECT_EQ(o.name, "n");
    EXPECT_TRUE(o.flag);
    EXPECT_EQ(o.port, 99);
    EXPECT_EQ(o.count, 7u);
    EXPECT_EQ(o.ratio, 1.0);  // an integer is a fine number
    EXPECT_EQ(o.peers, (std::vector<std::string>{"h:1", "h:2"}));
    EXPECT_EQ(o.cpus, (std::vector<int>{0, 3}));
}

// Each error names the file, line and column, and the key; the options stay as they were.
TEST(Config, FileErrorsNameTheLineAndKey) {
    struct bad_case {
        std::string text, want;
    };
    const std::vector<bad_case> cases{
        {"name = \"ok\"\nnope = 1\n", ":2:1: unknown key 'nope'"},
        {"\n\ncount = 0\n", ":3:1: count: 0 is out of range (from 1 to 100)"},
        {"port = \"x\"\n", ":1:1: port: expected an integer, got a string"},
        {"port = 70000\n", ":1:1: port: 70000 is out of range (from 0 to 65535)"},
        {"ratio = 1.5\n", "ratio: 1.5 is out of range (from 0 to 1)"},
        {"mode = \"c\"\n", "mode: 'c' is not one of: a, b"},
        {"flag = 1\n", "flag: expected true or false, got an integer"},
        {"cpus = [1, \"a\"]\n", "cpus: an array must hold only strings or only integers"},
        {"cpus = [64]\n", "cpus: 64 is out of range (from 0 to 63)"},
        {"[section]\nname = \"a\"\n", "section: tables are not used"},
        {"port = \n", ":1:8: "},
        {"name = \"a\"\nname = \"b\"\n", ":2:"},
    };
    for (const auto& c : cases) {
        opts o;
        o.name = "before";
        auto p = write(c.text);
        auto r = control::apply_file(o, keys(), p);
        ASSERT_FALSE(r) << c.text;
        EXPECT_NE(r.error().find(p), std::string::npos) << r.error();
        EXPECT_NE(r.error().find(c.want), std::string::npos) << "wanted '" << c.want << "' in: " << r.error();
        EXPECT_EQ(o.name, "before");
    }
}

TEST(Config, MissingFileIsAnError) {
    opts o;
    auto r = control::apply_file(o, keys(), "/nonexistent/shoald.toml");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("/nonexistent/shoald.toml: cannot read"), std::string::npos) << r.error();
}

TEST(Config, EnvironmentUsesPrefixedUpperCaseNames) {
    opts o;
    std::string a = "APP_PORT=12", b = "APP_PEERS=h:1, h:2", c = "OTHER=1", d = "APP_FLAG=yes";
    char* env[] = {a.data(), b.data(), c.data(), d.data(), nullptr};
    ASSERT_TRUE(control::apply_env(o, keys(), "APP", env));
    EXPECT_EQ(o.port, 12);
    EXPECT_EQ(o.peers, (std::vector<std::string>{"h:1", "h:2"}));
    EXPECT_TRUE(o.flag);
}

TEST(Config, EnvironmentErrorsNameTheVariable) {
    opts o;
    std::string a = "APP_COUNT=many";
    char* env[] = {a.data(), nullptr};
    auto r = control::apply_env(o, keys(), "APP", env);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), "environment APP_COUNT: 'many' is not an integer");
    std::string u = "APP_NOPE=1";
    char* env2[] = {u.data(), nullptr};
    r = control::apply_env(o, keys(), "APP", env2);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), "environment APP_NOPE: no such setting");
}

TEST(Config, TextValues) {
    opts o;
    EXPECT_TRUE(control::set_from_text(o, table[4], "42", "--count"));
    EXPECT_EQ(o.count, 42u);
    auto r = control::set_from_text(o, table[4], "42x", "--count");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), "--count: '42x' is not an integer");
    r = control::set_from_text(o, table[5], "nan", "--ratio");
    EXPECT_FALSE(r);
    r = control::set_from_text(o, table[3], "-1", "--port");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), "--port: -1 is out of range (from 0 to 65535)");
    EXPECT_TRUE(control::set_from_text(o, table[7], "", "--cpus"));
    EXPECT_TRUE(o.cpus.empty());
}

// The printed defaults are a valid file that sets every key to its value.
TEST(Config, PrintedDefaultsReadBack) {
    const std::array<control::key<opts>, 7> all{{table[0], table[2], table[3], table[4], table[5], table[6], table[7]}};
    const std::span<const control::key<opts>> k(all);
    opts d;
    d.name = "quote\"d \\ back";
    d.peers = {"a:1", "b:2"};
    d.cpus = {1, 2};
    d.ratio = 0.1;
    d.count = 9;
    const std::string text = control::print_defaults<opts>(d, k, "# title\n");
    EXPECT_EQ(text.rfind("# title\n", 0), 0u);
    EXPECT_NE(text.find("# a count\ncount = 9\n"), std::string::npos) << text;
    opts o;
    auto p = write(text);
    auto r = control::apply_file(o, k, p);
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(o.name, d.name);
    EXPECT_EQ(o.peers, d.peers);
    EXPECT_EQ(o.cpus, d.cpus);
    EXPECT_EQ(o.ratio, d.ratio);
    EXPECT_EQ(o.count, d.count);
}

TEST(Config, FlagAndEnvNames) {
    EXPECT_EQ(control::flag_name("max_value_mib"), "--max-value-mib");
    EXPECT_EQ(control::env_name("SHOALD", "max_value_mib"), "SHOALD_MAX_VALUE_MIB");
}

}  // namespace
