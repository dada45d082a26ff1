# The one list of warning flags (Abseil copts style). Every shoal target gets it
# through shoal_target_defaults(). -Wconversion is left out on purpose: with
# byte-oriented code it mostly flags uint8 arithmetic promotions; truncation of
# peer-controlled lengths is instead prevented by byte_reader's typed reads.
set(SHOAL_WARNINGS
  -Wall -Wextra -Wpedantic
  -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wdouble-promotion
  -Wformat=2 -Wimplicit-fallthrough -Wmissing-declarations
  -Wundef -Wvla
  # Designated initialisers that leave members at their defaults are intended.
  -Wno-missing-field-initializers
)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  list(APPEND SHOAL_WARNINGS -Wduplicated-cond -Wlogical-op)
elseif(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  # g++ 12's -Wnull-dereference misfires inside libstdc++ stream code at -O2.
  list(APPEND SHOAL_WARNINGS -Wunreachable-code -Wthread-safety -Wnull-dereference)
endif()
