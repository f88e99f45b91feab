# Finds every third-party dependency in one place.
#
# Arrow/Parquet: a system install (find_package(Arrow/Parquet CONFIG)) wins; otherwise
# the C++ libraries shipped inside the pinned pyarrow wheel in ${SYSTORE_VENV} are used.
# Either way the targets systore::arrow and systore::parquet exist afterwards.

find_package(Threads REQUIRED)
if(SYSTORE_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
find_package(benchmark QUIET)
if(SYSTORE_BUILD_TOOLS)
  find_package(CLI11 CONFIG REQUIRED)
endif()
find_package(nlohmann_json CONFIG REQUIRED)
find_package(OpenSSL REQUIRED)  # SHA-256 for content hashes

set(SYSTORE_ARROW_SOURCE "")
if(NOT SYSTORE_FORCE_VENV_ARROW)
  find_package(Arrow CONFIG QUIET)
  find_package(Parquet CONFIG QUIET)
endif()

if(Arrow_FOUND AND Parquet_FOUND)
  set(SYSTORE_ARROW_SOURCE "system (${Arrow_DIR})")
  add_library(systore::arrow INTERFACE IMPORTED)
  target_link_libraries(systore::arrow INTERFACE Arrow::arrow_shared)
  add_library(systore::parquet INTERFACE IMPORTED)
  target_link_libraries(systore::parquet INTERFACE Parquet::parquet_shared)
  add_library(systore::arrow_compute INTERFACE IMPORTED)
  add_library(systore::arrow_s3 INTERFACE IMPORTED)  # a system Arrow built with S3 has it in libarrow
  target_link_libraries(systore::arrow_s3 INTERFACE Arrow::arrow_shared)
  find_package(ArrowCompute CONFIG QUIET)  # Arrow >= 21 splits compute into its own library
  if(ArrowCompute_FOUND)
    target_link_libraries(systore::arrow_compute INTERFACE ArrowCompute::arrow_compute_shared)
  endif()
  set(SYSTORE_ARROW_VERSION "${Arrow_VERSION}")
else()
  set(_py "${SYSTORE_VENV}/bin/python")
  if(SKBUILD)
    set(_py "${Python_EXECUTABLE}")  # pip's build environment, which has the pinned pyarrow
  endif()
  if(NOT EXISTS "${_py}")
    message(FATAL_ERROR
      "No system Arrow C++ found and no virtual environment at ${SYSTORE_VENV}.\n"
      "Run scripts/setup.sh (creates .venv with the pinned pyarrow), or point CMake at "
      "your own Arrow with -DArrow_DIR=... -DParquet_DIR=... (see docs/building.md).")
  endif()
  execute_process(
    COMMAND "${_py}" -c "import pyarrow as pa; print(pa.get_include()); print(pa.get_library_dirs()[0]); print(pa.__version__); print(pa.cpp_build_info.so_version)"
    OUTPUT_VARIABLE _pa_out RESULT_VARIABLE _pa_rc OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT _pa_rc EQUAL 0)
    message(FATAL_ERROR "pyarrow is not importable from ${_py}; run scripts/setup.sh")
  endif()
  string(REPLACE "\n" ";" _pa_lines "${_pa_out}")
  list(GET _pa_lines 0 SYSTORE_ARROW_INCLUDE_DIR)
  list(GET _pa_lines 1 SYSTORE_ARROW_LIB_DIR)
  list(GET _pa_lines 2 SYSTORE_ARROW_VERSION)
  list(GET _pa_lines 3 _pa_so)

  # The wheel pins the Arrow ABI we build against: refuse a wheel that is not the
  # version requirements.txt asks for.
  file(STRINGS "${CMAKE_SOURCE_DIR}/requirements.txt" _req REGEX "^pyarrow==")
  string(REPLACE "pyarrow==" "" _pinned "${_req}")
  if(NOT _pinned STREQUAL SYSTORE_ARROW_VERSION)
    message(FATAL_ERROR "pyarrow in ${SYSTORE_VENV} is ${SYSTORE_ARROW_VERSION}, "
                        "requirements.txt pins ${_pinned}: rerun scripts/setup.sh")
  endif()

  foreach(_lib arrow parquet arrow_compute arrow_s3)  # arrow_s3: S3FileSystem (backup repositories on object storage)
    set(_path "${SYSTORE_ARROW_LIB_DIR}/lib${_lib}.so.${_pa_so}")
    if(NOT EXISTS "${_path}")
      message(FATAL_ERROR "expected ${_path} inside the pyarrow wheel")
    endif()
    add_library(systore::${_lib} SHARED IMPORTED)
    set_target_properties(systore::${_lib} PROPERTIES
      IMPORTED_LOCATION "${_path}"
      IMPORTED_NO_SONAME FALSE
      INTERFACE_INCLUDE_DIRECTORIES "${SYSTORE_ARROW_INCLUDE_DIR}")
  endforeach()
  target_link_libraries(systore::parquet INTERFACE systore::arrow)
  target_link_libraries(systore::arrow_s3 INTERFACE systore::arrow)
  set(SYSTORE_ARROW_SOURCE "pyarrow wheel (${SYSTORE_ARROW_LIB_DIR})")
  # Binaries find the wheel's libraries without LD_LIBRARY_PATH.
  set(CMAKE_BUILD_RPATH "${SYSTORE_ARROW_LIB_DIR}")
  set(CMAKE_INSTALL_RPATH "${SYSTORE_ARROW_LIB_DIR}")
endif()

# Fail loudly at configure time if headers and library disagree (version or C++ ABI):
# the probe links against the library and compares its runtime version with the headers.
try_run(_abi_run _abi_compile
  SOURCES "${CMAKE_SOURCE_DIR}/cmake/arrow_abi_check.cc"
  CMAKE_FLAGS "-DINCLUDE_DIRECTORIES=${SYSTORE_ARROW_INCLUDE_DIR}"
  LINK_LIBRARIES systore::arrow
  CXX_STANDARD 23
  COMPILE_OUTPUT_VARIABLE _abi_compile_out
  RUN_OUTPUT_VARIABLE _abi_run_out)
if(NOT _abi_compile OR NOT _abi_run EQUAL 0)
  message(FATAL_ERROR "Arrow ABI/version check failed (${SYSTORE_ARROW_SOURCE}):\n"
                      "${_abi_run_out}\n${_abi_compile_out}")
endif()
message(STATUS "systore: Arrow ${SYSTORE_ARROW_VERSION} from ${SYSTORE_ARROW_SOURCE}: ${_abi_run_out}")
