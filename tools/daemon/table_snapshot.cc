#include "tools/daemon/table_snapshot.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/byte_reader.h"
#include "base/hash.h"

namespace tools::daemon {

namespace {

constexpr std::array<char, 8> magic{'S', 'H', 'O', 'A', 'L', 'R', 'T', '1'};
constexpr std::uint16_t version = 1;
constexpr std::size_t head_bytes = 8 + 2 + 8 + 8 + 4;
constexpr std::size_t node_bytes = 32 + 4 + 2;
constexpr std::size_t max_file_bytes = head_bytes + snapshot_max_nodes * node_bytes + 8;

void put_le(std::vector<std::byte>& out, std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out.push_back(static_cast<std::byte>(v >> (8 * i)));
}

std::string sys(const std::string& what, const std::string& path) {
    return what + " " + path + ": " + std::strerror(errno);
}

// Writes all of `b` to fd; false on error (errno set).
bool write_all(int fd, std::span<const std::byte> b) {
    while (!b.empty()) {
        const ssize_t n = ::write(fd, b.data(), b.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        b = b.subspan(static_cast<std::size_t>(n));
    }
    return true;
}

}  // namespace

std::uint64_t network_of(std::span<const base::endpoint> bootstrap) {
    std::vector<std::string> names;
    for (const auto& b : bootstrap) names.push_back(b.to_string());
    std::sort(names.begin(), names.end());
    std::string all;
    for (const auto& n : names) all += n + "\n";
    return base::checksum64(std::as_bytes(std::span(all.data(), all.size())));
}

std::vector<std::byte> encode_snapshot(const table_snapshot& s) {
    std::vector<std::byte> out;
    const std::size_t count = std::min(s.nodes.size(), snapshot_max_nodes);
    out.reserve(head_bytes + count * node_bytes + 8);
    for (char c : magic) out.push_back(static_cast<std::byte>(c));
    put_le(out, version, 2);
    put_le(out, s.network, 8);
    put_le(out, s.written_unix_s, 8);
    put_le(out, count, 4);
    for (std::size_t i = 0; i < count; ++i) {
        const auto& n = s.nodes[i];
        const auto id = n.id.bytes();
        out.insert(out.end(), id.begin(), id.end());
        for (auto o : n.addr.v4_octets()) out.push_back(static_cast<std::byte>(o));
        put_le(out, n.addr.port(), 2);
    }
    put_le(out, base::checksum64(out), 8);
    return out;
}

base::result<table_snapshot, std::string> decode_snapshot(std::span<const std::byte> bytes) {
    if (bytes.size() < head_bytes + 8) return base::fail(std::string("truncated (shorter than its header)"));
    if (bytes.size() > max_file_bytes) return base::fail(std::string("larger than any snapshot"));
    const auto body = bytes.first(bytes.size() - 8);
    base::byte_reader tail(bytes.last(8));
    if (*tail.read_u64le() != base::checksum64(body)) return base::fail(std::string("checksum mismatch"));
    base::byte_reader r(body);
    auto m = r.read_bytes(8);
    if (!m || std::memcmp(m->data(), magic.data(), 8) != 0) return base::fail(std::string("bad magic"));
    const auto ver = r.read_u16le();
    if (!ver || *ver != version) return base::fail("version " + std::to_string(ver ? *ver : 0) + " is not 1");
    table_snapshot s;
    s.network = *r.read_u64le();
    s.written_unix_s = *r.read_u64le();
    const std::uint32_t count = *r.read_u32le();
    if (count > snapshot_max_nodes) return base::fail("count " + std::to_string(count) + " over the limit");
    if (r.remaining() != std::size_t{count} * node_bytes) return base::fail(std::string("size does not match its count"));
    s.nodes.reserve(count);
    for (std::uint32_t i = 0; i < count; ++i) {
        auto id = r.read_bytes(32);
        auto ip = r.read_array<4>();
        auto port = r.read_u16le();
        if (!id || !ip || !port) return base::fail(std::string("truncated"));
        s.nodes.push_back({dht::node_id::from_span(*id), base::endpoint::v4(*ip, *port)});
    }
    return s;
}

base::result<void, std::string> prepare_state_dir(const std::string& dir) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return base::fail(sys("mkdir", dir));
    struct stat st{};
    if (::stat(dir.c_str(), &st) != 0) return base::fail(sys("stat", dir));
    if (!S_ISDIR(st.st_mode)) return base::fail(dir + ": not a directory");
    if (::access(dir.c_str(), W_OK | X_OK) != 0) return base::fail(sys("cannot write in", dir));
    return {};
}

base::result<void, std::string> save_snapshot(const std::string& dir, const table_snapshot& s) {
    const std::string path = dir + "/" + std::string(snapshot_file_name), tmp = path + ".tmp";
    const auto bytes = encode_snapshot(s);
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return base::fail(sys("open", tmp));
    if (!write_all(fd, bytes) || ::fsync(fd) != 0) {
        const auto err = sys("write", tmp);
        ::close(fd);
        ::unlink(tmp.c_str());
        return base::fail(err);
    }
    ::close(fd);
    if (::rename(tmp.c_str(), path.c_str()) != 0) return base::fail(sys("rename to", path));
    // The rename itself must reach the disk too.
    if (const int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); d >= 0) {
        ::fsync(d);
        ::close(d);
    }
    return {};
}

base::result<table_snapshot, std::string> load_snapshot(const std::string& dir, std::uint64_t network, bool* missing) {
    const std::string path = dir + "/" + std::string(snapshot_file_name);
    if (missing) *missing = false;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (missing) *missing = errno == ENOENT;
        return base::fail(sys("open", path));
    }
    std::vector<std::byte> bytes(max_file_bytes + 1);
    std::size_t got = 0;
    for (;;) {
        const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const auto err = sys("read", path);
            ::close(fd);
            return base::fail(err);
        }
        if (n == 0 || (got += static_cast<std::size_t>(n)) == bytes.size()) break;
    }
    ::close(fd);
    bytes.resize(got);
    auto s = decode_snapshot(bytes);
    if (!s) return base::fail(path + ": " + s.error());
    if (s->network != network) return base::fail(path + ": saved on another network (another bootstrap list)");
    return s;
}

}  // namespace tools::daemon
