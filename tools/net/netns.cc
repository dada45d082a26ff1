#include "tools/net/netns.h"

#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>

#include "tools/net/children.h"

namespace net {

namespace {

base::result<void, std::string> loopback_up() {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return base::fail(std::string("socket: ") + std::strerror(errno));
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, "lo", 3);
    int rc = ::ioctl(fd, SIOCGIFFLAGS, &ifr);
    if (rc == 0) {
        ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
        rc = ::ioctl(fd, SIOCSIFFLAGS, &ifr);
    }
    const int err = errno;
    ::close(fd);
    if (rc != 0) return base::fail(std::string("bringing lo up: ") + std::strerror(err));
    return {};
}

base::result<void, std::string> netem(double percent) {
    char pct[32];
    std::snprintf(pct, sizeof pct, "%.4g%%", percent);
    auto r = run_command({"tc", "qdisc", "add", "dev", "lo", "root", "netem", "loss", pct});
    if (!r) return base::fail(r.error());
    return {};
}

// numgen draws uniformly in [0, 10^6); dropping below P * 10^4 drops P percent.
base::result<void, std::string> nftables(double percent) {
    const auto threshold = static_cast<long>(std::llround(percent * 10'000.0));
    const std::vector<std::vector<std::string>> cmds = {
        {"nft", "add table ip shoal_net"},
        {"nft", "add chain ip shoal_net input { type filter hook input priority 0 ; policy accept ; }"},
        {"nft", "add rule ip shoal_net input meta l4proto udp counter"},
        {"nft", "add rule ip shoal_net input meta l4proto udp numgen random mod 1000000 < " + std::to_string(threshold) +
                    " counter drop"},
    };
    for (const auto& c : cmds) {
        if (auto r = run_command(c); !r) return base::fail(r.error());
    }
    return {};
}

// The number after `key` in `text` (from `from` on), or nullopt.
std::optional<std::uint64_t> number_after(const std::string& text, const std::string& key, std::size_t& from) {
    const auto at = text.find(key, from);
    if (at == std::string::npos) return std::nullopt;
    std::size_t i = at + key.size();
    std::uint64_t v = 0;
    bool any = false;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, any = true) {
        v = v * 10 + static_cast<std::uint64_t>(text[i] - '0');
    }
    from = i;
    if (!any) return std::nullopt;
    return v;
}

}  // namespace

const char* to_string(loss_method m) noexcept { return m == loss_method::netem ? "netns + tc netem" : "netns + nftables"; }

base::result<loss_counts, std::string> read_loss_counts(loss_method m) {
    if (m == loss_method::netem) {
        // "Sent B bytes P pkt (dropped D, overlimits ..."
        auto out = run_command({"tc", "-s", "qdisc", "show", "dev", "lo"});
        if (!out) return base::fail(out.error());
        std::size_t at = 0;
        auto sent = number_after(*out, " bytes ", at);
        auto dropped = number_after(*out, "(dropped ", at);
        if (!sent || !dropped) return base::fail("cannot read tc's counters: " + *out);
        return loss_counts{*sent + *dropped, *dropped};
    }
    // Two rules, each "... counter packets N bytes M ...": all UDP, then the dropped share.
    auto out = run_command({"nft", "list", "chain", "ip", "shoal_net", "input"});
    if (!out) return base::fail(out.error());
    std::size_t at = 0;
    auto seen = number_after(*out, "counter packets ", at);
    auto dropped = number_after(*out, "counter packets ", at);
    if (!seen || !dropped) return base::fail("cannot read nft's counters: " + *out);
    return loss_counts{*seen, *dropped};
}

base::result<loss_method, std::string> isolate_with_loss(double percent) {
    if (::unshare(CLONE_NEWNET) != 0) {
        return base::fail(std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno) +
                          " (a network namespace needs CAP_SYS_ADMIN)");
    }
    if (auto r = loopback_up(); !r) return base::fail(r.error());
    auto tc = netem(percent);
    if (tc) return loss_method::netem;
    auto nft = nftables(percent);
    if (nft) return loss_method::nftables;
    return base::fail("cannot make the namespace's loopback lossy.\n  tc netem: " + tc.error() + "\n  nftables: " +
                      nft.error() + "\n(netem needs CONFIG_NET_SCH_NETEM; the fallback needs the nft tool, Debian package nftables)");
}

}  // namespace net
