# Helpers so that every target gets the same language level, warnings and
# sanitizer flags (LevelDB leveldb_test(), Seastar seastar_add_test()).

function(shoal_target_defaults target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:${SHOAL_WARNINGS}>
    $<$<BOOL:${SHOAL_WERROR}>:-Werror>
    $<$<BOOL:${SHOAL_NATIVE}>:-march=native>)
  if(SHOAL_FUZZ)
    # Coverage instrumentation for every library the fuzz targets link.
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link)
  endif()
  if(SHOAL_SANITIZE)
    list(JOIN SHOAL_SANITIZE "," _san)
    target_compile_options(${target} PRIVATE -fsanitize=${_san} -fno-omit-frame-pointer)
    if(_san MATCHES "undefined")
      target_compile_options(${target} PRIVATE -fno-sanitize-recover=undefined)
    endif()
    target_link_options(${target} PRIVATE -fsanitize=${_san})
  endif()
endfunction()

# shoal_add_library(name SOURCES ... DEPS ...): one library per folder.
function(shoal_add_library name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${A_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${A_DEPS} PRIVATE ${A_PRIVATE_DEPS})
  shoal_target_defaults(${name})
endfunction()

# shoal_add_executable(name SOURCES ... DEPS ...)
function(shoal_add_executable name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${A_SOURCES})
  target_link_libraries(${name} PRIVATE ${A_DEPS})
  shoal_target_defaults(${name})
endfunction()

# shoal_add_test(name SOURCES ... DEPS ... [LABELS ...] [TIMEOUT s] [RUN_SERIAL])
# Registers a GoogleTest binary as one CTest test. Exit code 77 means "skipped"
# (a kernel feature is missing), as in liburing's T_EXIT_SKIP.
function(shoal_add_test name)
  cmake_parse_arguments(A "RUN_SERIAL" "TIMEOUT" "SOURCES;DEPS;LABELS;ARGS" ${ARGN})
  add_executable(${name} ${A_SOURCES})
  # A test that brings its own main() (e.g. to exit 77) lists test_main.cc.
  if(A_SOURCES MATCHES "test_main\\.cc")
    target_link_libraries(${name} PRIVATE ${A_DEPS} GTest::gtest GTest::gmock)
  else()
    target_link_libraries(${name} PRIVATE ${A_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  endif()
  shoal_target_defaults(${name})
  add_test(NAME ${name} COMMAND ${name} ${A_ARGS})
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 120)
  endif()
  set_tests_properties(${name} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT ${A_TIMEOUT}
                       LABELS "unit;${A_LABELS}")
  if(A_RUN_SERIAL)
    set_tests_properties(${name} PROPERTIES RUN_SERIAL TRUE)
  endif()
  if("tsan" IN_LIST A_LABELS)
    set_property(GLOBAL APPEND PROPERTY SHOAL_TSAN_TESTS ${name})
  endif()
endfunction()

# The tests that cross threads, built alone by the tsan phase of scripts/test.sh.
function(shoal_finish_tsan_target)
  get_property(tests GLOBAL PROPERTY SHOAL_TSAN_TESTS)
  add_custom_target(tsan_tests)
  if(tests)
    add_dependencies(tsan_tests ${tests})
  endif()
endfunction()

# shoal_add_bench(name SOURCES ... DEPS ...): Google Benchmark binary.
function(shoal_add_bench name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${A_SOURCES})
  target_link_libraries(${name} PRIVATE ${A_DEPS} benchmark::benchmark benchmark::benchmark_main)
  shoal_target_defaults(${name})
endfunction()

# shoal_add_fuzz(name SOURCES ... DEPS ...)
# tests/fuzz/<name>_fuzz.cc defines LLVMFuzzerTestOneInput. Under SHOAL_FUZZ
# (clang) it links libFuzzer; otherwise it links a replay driver, and CTest runs
# every file of tests/fuzz/corpus/<name>/ through it on whichever compiler built it.
function(shoal_add_fuzz name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS" ${ARGN})
  set(corpus ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${name})
  if(SHOAL_FUZZ)
    add_executable(${name}_fuzz ${A_SOURCES})
    target_compile_options(${name}_fuzz PRIVATE -fsanitize=fuzzer)
    target_link_options(${name}_fuzz PRIVATE -fsanitize=fuzzer)
    target_link_libraries(${name}_fuzz PRIVATE ${A_DEPS})
    shoal_target_defaults(${name}_fuzz)
    # A short real fuzzing run per target: new inputs go to a scratch dir, the
    # checked-in corpus is only read.
    add_test(NAME fuzz_${name}
             COMMAND ${CMAKE_COMMAND} -E env ${PROJECT_SOURCE_DIR}/scripts/fuzz-run.sh
                     $<TARGET_FILE:${name}_fuzz> ${corpus} ${SHOAL_FUZZ_SECONDS})
    set_tests_properties(fuzz_${name} PROPERTIES LABELS "fuzz" TIMEOUT 300)
  else()
    add_executable(${name}_replay ${A_SOURCES} ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_main.cc)
    target_link_libraries(${name}_replay PRIVATE ${A_DEPS})
    shoal_target_defaults(${name}_replay)
    add_test(NAME replay_${name} COMMAND ${name}_replay ${corpus})
    set_tests_properties(replay_${name} PROPERTIES LABELS "unit;replay" TIMEOUT 300)
  endif()
endfunction()
