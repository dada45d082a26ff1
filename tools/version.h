// tools/version.h -- the version every binary reports.
#pragma once
namespace tools {
inline constexpr const char* version = "0.1.0";
}
