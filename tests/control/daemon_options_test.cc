// shoald's settings: precedence flags > environment > file > defaults, and the
// printed default file checks clean.
#include "tools/daemon/options.h"

#include <gtest/gtest.h>

#include <fstream>

namespace {

using namespace tools::daemon;

std::variant<request, int> parse_args(std::vector<std::string> args, std::vector<std::string> env) {
    std::vector<char*> argv{const_cast<char*>("shoald")};
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    return parse(static_cast<int>(argv.size() - 1), argv.data(), envp.data());
}

const run_request& run_of(const std::variant<request, int>& p) {
    return std::get<run_request>(std::get<request>(p));
}

std::string write(const std::string& text) {
    std::string path = ::testing::TempDir() + "shoald_options_test.toml";
    std::ofstream(path) << text;
    return path;
}

TEST(DaemonOptions, Precedence) {
    const auto file = write("port = 1\nshards = 2\nmax_records = 3\nbootstrap = [\"a:1\"]\n");
    auto p = parse_args({"--config", file, "--port", "5"}, {"SHOALD_PORT=4", "SHOALD_SHARDS=4"});
    const auto& r = run_of(p);
    EXPECT_EQ(r.o.port, 5);           // flag over environment and file
    EXPECT_EQ(r.o.shards, 4);         // environment over file
    EXPECT_EQ(r.o.max_records, 3u);   // file over default
    EXPECT_EQ(r.o.max_values, 250'000u);  // default
    EXPECT_EQ(r.o.bootstrap, (std::vector<std::string>{"a:1"}));
    EXPECT_EQ(r.config_file, file);
    ASSERT_EQ(r.flags.size(), 1u);
    EXPECT_EQ(r.flags[0].first, "port");
}

TEST(DaemonOptions, ListsFromFlags) {
    auto p = parse_args({"--bootstrap", "a:1,b:2", "--bootstrap", "c:3", "--cpus", "0,1", "--ephemeral"}, {});
    const auto& r = run_of(p);
    EXPECT_EQ(r.o.bootstrap, (std::vector<std::string>{"a:1", "b:2", "c:3"}));
    EXPECT_EQ(r.o.cpus, (std::vector<int>{0, 1}));
    EXPECT_TRUE(r.o.ephemeral);
}

TEST(DaemonOptions, BadInputIsExitStatus2) {
    EXPECT_EQ(std::get<int>(parse_args({"--port", "x"}, {})), 2);
    EXPECT_EQ(std::get<int>(parse_args({"--nope"}, {})), 2);
    EXPECT_EQ(std::get<int>(parse_args({}, {"SHOALD_NOPE=1"})), 2);
    EXPECT_EQ(std::get<int>(parse_args({"--config", write("port = -1\n")}, {})), 2);
    EXPECT_EQ(std::get<int>(parse_args({"--config", "/nonexistent.toml"}, {})), 2);
}

TEST(DaemonOptions, ConfigWithoutPathSearches) {
    const std::string dir = ::testing::TempDir() + "xdg_test";
    std::string mk = "mkdir -p " + dir + "/shoal";
    ASSERT_EQ(std::system(mk.c_str()), 0);
    std::ofstream(dir + "/shoal/shoald.toml") << "port = 7\n";
    auto p = parse_args({"--config"}, {"XDG_CONFIG_HOME=" + dir});
    EXPECT_EQ(run_of(p).o.port, 7);
    EXPECT_EQ(run_of(p).config_file, dir + "/shoal/shoald.toml");
}

TEST(DaemonOptions, PrintedDefaultsLoadAsDefaults) {
    auto p = parse_args({"--print-config"}, {});
    const auto& text = std::get<print_request>(std::get<request>(p)).text;
    for (const auto& k : keys()) EXPECT_NE(text.find("\n" + std::string(k.name) + " = "), std::string::npos) << k.name;
    auto o = load(write(text), nullptr);
    ASSERT_TRUE(o) << o.error();
    const options d;
    for (const auto& k : keys()) EXPECT_EQ(control::detail::toml_of(*o, k), control::detail::toml_of(d, k)) << k.name;
}

TEST(DaemonOptions, ReloadKeepsFlagsOnTop) {
    const auto file = write("log_level = \"debug\"\nstats_interval = 5\n");
    auto p = parse_args({"--config", file, "--stats-interval", "9"}, {});
    std::ofstream(file) << "log_level = \"warn\"\nstats_interval = 7\n";
    auto o = reload(run_of(p), nullptr);
    ASSERT_TRUE(o) << o.error();
    EXPECT_EQ(o->log_level, "warn");
    EXPECT_EQ(o->stats_interval, 9u);
    std::ofstream(file) << "log_level = \"loud\"\n";
    EXPECT_FALSE(reload(run_of(p), nullptr));
}

}  // namespace

namespace {
// state_dir defaults to systemd's $STATE_DIRECTORY (its first entry), and
// SHOALD_STATE_DIR or the flag override it; store_flush_ms is range-checked.
TEST(DaemonOptions, StateDirDefaultsToSystemdsStateDirectory) {
    auto none = parse_args({}, {});
    EXPECT_EQ(std::get<run_request>(std::get<request>(none)).o.state_dir, "");
    auto sd = parse_args({}, {"STATE_DIRECTORY=/var/lib/shoal:/var/lib/other"});
    EXPECT_EQ(std::get<run_request>(std::get<request>(sd)).o.state_dir, "/var/lib/shoal");
    auto env = parse_args({}, {"STATE_DIRECTORY=/var/lib/shoal", "SHOALD_STATE_DIR=/srv/shoal"});
    EXPECT_EQ(std::get<run_request>(std::get<request>(env)).o.state_dir, "/srv/shoal");
    auto flag = parse_args({"--state-dir", "/tmp/s", "--store-flush-ms", "250"}, {"STATE_DIRECTORY=/var/lib/shoal"});
    const auto& o = std::get<run_request>(std::get<request>(flag)).o;
    EXPECT_EQ(o.state_dir, "/tmp/s");
    EXPECT_EQ(o.store_flush_ms, 250u);
    EXPECT_EQ(std::get<int>(parse_args({"--store-flush-ms", "0"}, {})), 2);
}
}  // namespace
