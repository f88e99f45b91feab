# systore_add_test(NAME source... [LIBS ...] [LABELS ...]): a GoogleTest binary registered with CTest.
# Label "unit" by default; pass LABELS to override (e.g. "integration").
function(systore_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT SYSTORE_BUILD_TESTS)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES} ${ARG_UNPARSED_ARGUMENTS})
  target_link_libraries(${name} PRIVATE systore_core GTest::gtest_main GTest::gmock ${ARG_LIBS})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}"
    ENVIRONMENT "ARROW_DEFAULT_MEMORY_POOL=system;SYSTORE_SOURCE_DIR=${CMAKE_SOURCE_DIR};SYSTORE_BINARY_DIR=${CMAKE_BINARY_DIR}")
endfunction()

# systore_add_benchmark(NAME SOURCES...): a Google Benchmark binary (not run by CTest).
function(systore_add_benchmark name)
  if(NOT benchmark_FOUND)
    return()
  endif()
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE systore_core benchmark::benchmark_main)
endfunction()
