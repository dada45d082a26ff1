# shoal_check_headers(dir...): compiles every public header of the given folders
# on its own (Seastar cmake/CheckHeaders.cmake), so a header that forgets an
# include fails the build. Built by the `check_headers` target (part of `all`).
function(shoal_check_headers)
  set(sources)
  foreach(dir ${ARGN})
    file(GLOB_RECURSE headers RELATIVE ${PROJECT_SOURCE_DIR} CONFIGURE_DEPENDS
         ${PROJECT_SOURCE_DIR}/${dir}/*.h)
    foreach(h ${headers})
      string(MAKE_C_IDENTIFIER ${h} id)
      set(src ${CMAKE_BINARY_DIR}/check_headers/${id}.cc)
      file(CONFIGURE OUTPUT ${src} CONTENT "#include \"${h}\"\n")
      list(APPEND sources ${src})
    endforeach()
  endforeach()
  add_library(check_headers OBJECT ${sources})
  target_include_directories(check_headers PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(check_headers PRIVATE shoal_base PkgConfig::URING PkgConfig::SODIUM
                        PkgConfig::XXHASH tl::expected)
  shoal_target_defaults(check_headers)
endfunction()
