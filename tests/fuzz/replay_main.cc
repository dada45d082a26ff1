// Replays a fuzz corpus through LLVMFuzzerTestOneInput without libFuzzer, so
// every compiler (g++ included) runs the checked-in corpus in CTest. Each
// argument is a file or a folder of files. Exits 1 if no input was found.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "tests/fuzz/fuzz.h"

namespace {
bool run_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return false;
    std::vector<char> buf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // Copy into an exact-size heap buffer so ASan catches reads past the end.
    auto* exact = new std::uint8_t[buf.size() ? buf.size() : 1];
    std::copy(buf.begin(), buf.end(), exact);
    LLVMFuzzerTestOneInput(exact, buf.size());
    delete[] exact;
    return true;
}
}  // namespace

int main(int argc, char** argv) {
    std::size_t n = 0;
    for (int i = 1; i < argc; ++i) {
        std::filesystem::path p(argv[i]);
        if (std::filesystem::is_directory(p)) {
            for (const auto& e : std::filesystem::recursive_directory_iterator(p)) {
                if (e.is_regular_file() && run_file(e.path())) ++n;
            }
        } else if (run_file(p)) {
            ++n;
        }
    }
    std::printf("replayed %zu inputs\n", n);
    return n ? 0 : 1;
}
