# Run by `cmake --install` / cpack (packaging/CMakeLists.txt): writes the files
# made from the built binaries under the install prefix.
#   etc/shoal/shoald.toml          shoald --print-config, in an empty environment
#   usr/share/man/man{1,8}/*.gz    help2man over --help and --version, gzip -9n
#   usr/share/doc/shoal/changelog.gz
# Needs help2man and gzip (scripts/setup.sh installs them).
# file(INSTALL) puts $DESTDIR in front by itself.
set(root "${CMAKE_INSTALL_PREFIX}")
file(REMOVE_RECURSE "${SHOAL_WORK_DIR}")
file(MAKE_DIRECTORY "${SHOAL_WORK_DIR}")

function(shoal_run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "install_generated.cmake: '${ARGN}' failed (${rc}): ${err}")
  endif()
endfunction()

function(shoal_install_file from to_dir)
  file(INSTALL "${from}" DESTINATION "${root}/${to_dir}"
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endfunction()

# The default configuration: every key at its default. An empty environment
# keeps the builder's SHOALD_* variables (and $STATE_DIRECTORY) out of it.
shoal_run(env -i "${SHOAL_BIN_DIR}/shoald" --print-config OUTPUT_FILE "${SHOAL_WORK_DIR}/shoald.toml")
shoal_run(env -i "${SHOAL_BIN_DIR}/shoald" --check-config "${SHOAL_WORK_DIR}/shoald.toml" OUTPUT_QUIET)
shoal_install_file("${SHOAL_WORK_DIR}/shoald.toml" etc/shoal)

# Man pages. help2man runs each binary by name through PATH, so the usage
# lines read "shoald ..." rather than a build path.
find_program(HELP2MAN help2man REQUIRED)
set(pages "shoald|8|shoald.h2m|HyperDHT-compatible DHT node (bootstrap, storage, holepunch relay)"
          "shoal|1|-|client for HyperDHT networks"
          "shoal-load|1|-|load generator for HyperDHT nodes"
          "shoal-net|1|-|run and measure local networks of HyperDHT nodes")
foreach(page IN LISTS pages)
  string(REPLACE "|" ";" f "${page}")
  list(GET f 0 name)
  list(GET f 1 section)
  list(GET f 2 include)
  list(GET f 3 what)
  set(args -N --section=${section} "--name=${what}" "--source=shoal ${SHOAL_VERSION}"
      "--manual=shoal manual" --output=${SHOAL_WORK_DIR}/${name}.${section})
  if(NOT include STREQUAL "-")
    list(APPEND args "--include=${SHOAL_PACKAGING_DIR}/${include}")
  endif()
  shoal_run(env "PATH=${SHOAL_BIN_DIR}:/usr/bin:/bin" LC_ALL=C.UTF-8 "${HELP2MAN}" ${args} ${name})
  shoal_run(gzip -9nf "${SHOAL_WORK_DIR}/${name}.${section}")
  shoal_install_file("${SHOAL_WORK_DIR}/${name}.${section}.gz" usr/share/man/man${section})
endforeach()

# A version bump needs a changelog entry: refuse to package without one.
file(STRINGS "${SHOAL_PACKAGING_DIR}/changelog" top LIMIT_COUNT 1)
if(NOT top MATCHES "^shoal \\(${SHOAL_VERSION}\\) ")
  message(FATAL_ERROR "packaging/changelog: the first entry must be for shoal (${SHOAL_VERSION}), not: ${top}")
endif()
file(COPY_FILE "${SHOAL_PACKAGING_DIR}/changelog" "${SHOAL_WORK_DIR}/changelog")
shoal_run(gzip -9nf "${SHOAL_WORK_DIR}/changelog")
shoal_install_file("${SHOAL_WORK_DIR}/changelog.gz" usr/share/doc/shoal)
