# core/data: dataset sources, the Parquet reader, token windows.
mistudio_add_test(NAME test_parquet
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_parquet.cpp
  LIBS mistudio_core nlohmann_json::nlohmann_json
  LABELS unit)
target_include_directories(test_parquet PRIVATE ${PROJECT_SOURCE_DIR}/core)
mistudio_add_test(NAME test_dataset
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_dataset.cpp
  LIBS mistudio_core
  LABELS unit)
target_include_directories(test_dataset PRIVATE ${PROJECT_SOURCE_DIR}/core)
mistudio_add_test(NAME test_windows
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_windows.cpp
  LIBS mistudio_core
  LABELS unit)
add_dependencies(test_dataset mistudio-cli)

# libFuzzer target for the Parquet reader (clang). Built from the reader's sources alone so it
# needs no LibTorch: fuzz_parquet ${PROJECT_SOURCE_DIR}/tests/data/parquet
if(MISTUDIO_BUILD_FUZZERS)
  file(GLOB _parquet_sources ${PROJECT_SOURCE_DIR}/core/data/parquet/*.cpp)
  add_executable(fuzz_parquet ${PROJECT_SOURCE_DIR}/core/data/fuzz/fuzz_parquet.cpp
    ${_parquet_sources} ${PROJECT_SOURCE_DIR}/core/common/result.cpp)
  target_include_directories(fuzz_parquet PRIVATE ${PROJECT_SOURCE_DIR}/core
    ${PROJECT_SOURCE_DIR}/core/include)
  target_compile_options(fuzz_parquet PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(fuzz_parquet PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(fuzz_parquet PRIVATE PkgConfig::ZSTD ${SNAPPY_LIBRARY} ZLIB::ZLIB)
endif()
