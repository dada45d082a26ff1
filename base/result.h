// base/result.h -- the error-or-value type used on every hot path.
//
// This is the only file that names the implementation (tl::expected, Debian
// libexpected-dev). std::expected is not usable: g++ 12 has it only in C++23
// mode without monadic operations and clang 14 has none. Switching later means
// changing these aliases. Thread safety: plain value types.
#pragma once

#include <tl/expected.hpp>

namespace base {

template <class T, class E>
using result = tl::expected<T, E>;

template <class E>
using unexpected = tl::unexpected<E>;

// Shorthand for returning an error: `return base::fail(decode_errc::truncated);`
template <class E>
[[nodiscard]] constexpr unexpected<E> fail(E e) noexcept {
    return unexpected<E>(e);
}

}  // namespace base
