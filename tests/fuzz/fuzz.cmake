# libFuzzer targets (MISTUDIO_BUILD_FUZZERS=ON with clang: `cmake --preset fuzz`). Each compiles
# the parser sources it needs with -fsanitize=fuzzer,address,undefined instead of linking
# mistudio_core, so a fuzz build does not rebuild the whole engine.
#   cmake --preset fuzz && cmake --build --preset fuzz --target fuzz_model_config
#   ctest --test-dir build/fuzz -L fuzz_smoke     10 s per target (seeds built from ../shared)
#   ctest --test-dir build/fuzz -L '^fuzz$'       60 s per target
# Crashes land in build/fuzz/tests/<target>_crashes/ and make the test fail.
#
# Every other build (gcc, the default CI run) gets the same six targets, their parser sources
# compiled with ASan + UBSan and mutation_driver.cpp instead of libFuzzer: `<target>_smoke`
# (label fuzz_smoke, 10 s each) replays the seeds and mutates them without coverage feedback.
find_program(MISTUDIO_PYTHON3 python3 REQUIRED)
set(_fuzz_dir ${CMAKE_CURRENT_LIST_DIR})

if(NOT (MISTUDIO_BUILD_FUZZERS AND CMAKE_CXX_COMPILER_ID MATCHES "Clang"))
  if(MISTUDIO_BUILD_FUZZERS)
    message(WARNING "MISTUDIO_BUILD_FUZZERS needs clang (libFuzzer); building the mutation-driver "
                    "smokes instead. Configure with -DCMAKE_CXX_COMPILER=clang++-14.")
  endif()
  # mistudio_add_fuzz_smoke(NAME fuzz_x SEEDS kind SOURCES ... [LIBS ...] [INCLUDES ...])
  # Like the libFuzzer targets: the parser sources compiled with ASan + UBSan (so the smoke in
  # every CI run is a sanitized one), plus mutation_driver.cpp instead of libFuzzer.
  function(mistudio_add_fuzz_smoke)
    cmake_parse_arguments(F "" "NAME;SEEDS" "SOURCES;LIBS;INCLUDES" ${ARGN})
    add_executable(${F_NAME} ${F_SOURCES} ${_fuzz_dir}/mutation_driver.cpp
      ${PROJECT_SOURCE_DIR}/core/common/result.cpp)
    target_include_directories(${F_NAME} PRIVATE ${_fuzz_dir} ${PROJECT_SOURCE_DIR}/core
      ${PROJECT_SOURCE_DIR}/core/include ${PROJECT_BINARY_DIR}/core/generated
      ${PROJECT_SOURCE_DIR}/kernels/include ${F_INCLUDES})
    target_link_libraries(${F_NAME} PRIVATE nlohmann_json::nlohmann_json spdlog::spdlog ${F_LIBS})
    if(NOT MISTUDIO_ENABLE_ASAN) # the asan preset adds the same flags globally
      target_compile_options(${F_NAME} PRIVATE -fsanitize=address,undefined
        -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
      target_link_options(${F_NAME} PRIVATE -fsanitize=address,undefined)
    endif()
    mistudio_set_warnings(${F_NAME})
    # GCC 12 + -fsanitize: false -Wmaybe-uninitialized inside <regex>'s std::function moves.
    target_compile_options(${F_NAME} PRIVATE $<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized>)
    add_test(NAME ${F_NAME}_smoke
      COMMAND ${MISTUDIO_PYTHON3} ${_fuzz_dir}/run_fuzzer.py
              --seeds ${F_SEEDS} --shared "${MISTUDIO_SHARED_DIR}"
              --artifacts ${CMAKE_CURRENT_BINARY_DIR}/${F_NAME}_crashes
              $<TARGET_FILE:${F_NAME}> ${CMAKE_CURRENT_BINARY_DIR}/${F_NAME}_corpus 10)
    # abort_on_error: a sanitizer report ends in SIGABRT, which the driver turns into an artifact.
    set_tests_properties(${F_NAME}_smoke PROPERTIES LABELS fuzz_smoke TIMEOUT 180
      ENVIRONMENT "ASAN_OPTIONS=abort_on_error=1:allocator_may_return_null=1;UBSAN_OPTIONS=abort_on_error=1:print_stacktrace=1")
  endfunction()
  file(GLOB _families ${PROJECT_SOURCE_DIR}/core/model/families/*.cpp)
  file(GLOB _tokenizer ${PROJECT_SOURCE_DIR}/core/tokenizer/*.cpp)
  file(GLOB _store ${PROJECT_SOURCE_DIR}/core/store/*.cpp)
  file(GLOB _parquet ${PROJECT_SOURCE_DIR}/core/data/parquet/*.cpp)
  set(_hub ${PROJECT_SOURCE_DIR}/core/hub)
  mistudio_add_fuzz_smoke(NAME fuzz_safetensors SEEDS safetensors SOURCES
    ${_fuzz_dir}/fuzz_safetensors.cpp ${PROJECT_SOURCE_DIR}/core/io/safetensors_format.cpp)
  mistudio_add_fuzz_smoke(NAME fuzz_model_config SEEDS config LIBS mistudio_torch SOURCES
    ${_fuzz_dir}/fuzz_model_config.cpp ${_families} ${PROJECT_SOURCE_DIR}/core/model/config.cpp
    ${PROJECT_SOURCE_DIR}/core/model/rope_config.cpp ${PROJECT_SOURCE_DIR}/core/model/registry.cpp)
  mistudio_add_fuzz_smoke(NAME fuzz_tokenizer SEEDS tokenizer
    LIBS PkgConfig::PCRE2 PkgConfig::UTF8PROC Threads::Threads
    SOURCES ${_fuzz_dir}/fuzz_tokenizer.cpp ${_tokenizer})
  mistudio_add_fuzz_smoke(NAME fuzz_project_file SEEDS none LIBS SQLite::SQLite3
    SOURCES ${_fuzz_dir}/fuzz_project_file.cpp ${_store}
    INCLUDES ${PROJECT_SOURCE_DIR}/tests/store)
  mistudio_add_fuzz_smoke(NAME fuzz_parquet SEEDS parquet
    LIBS PkgConfig::ZSTD ${SNAPPY_LIBRARY} ZLIB::ZLIB
    SOURCES ${PROJECT_SOURCE_DIR}/core/data/fuzz/fuzz_parquet.cpp ${_parquet})
  mistudio_add_fuzz_smoke(NAME fuzz_hub_json SEEDS hub
    LIBS CURL::libcurl OpenSSL::Crypto Threads::Threads
    SOURCES ${PROJECT_SOURCE_DIR}/tests/fuzz_hub/fuzz_hub_json.cpp ${_hub}/api.cpp
    ${_hub}/cache.cpp ${_hub}/http.cpp ${_hub}/repo_ref.cpp ${_hub}/dataset_layout.cpp)
  # The driver itself must find what it is there to find (a test that can fail).
  add_executable(fuzz_driver_selftest ${_fuzz_dir}/selftest_target.cpp
    ${_fuzz_dir}/mutation_driver.cpp)
  target_include_directories(fuzz_driver_selftest PRIVATE ${_fuzz_dir})
  if(NOT MISTUDIO_ENABLE_ASAN)
    target_compile_options(fuzz_driver_selftest PRIVATE -fsanitize=address,undefined)
    target_link_options(fuzz_driver_selftest PRIVATE -fsanitize=address,undefined)
  endif()
  mistudio_set_warnings(fuzz_driver_selftest)
  add_test(NAME fuzz_driver_selftest COMMAND ${MISTUDIO_PYTHON3}
    ${_fuzz_dir}/driver_selftest.py $<TARGET_FILE:fuzz_driver_selftest>)
  set_tests_properties(fuzz_driver_selftest PROPERTIES LABELS unit TIMEOUT 120)
  return()
endif()

# mistudio_add_fuzzer(NAME fuzz_x SEEDS kind SOURCES ... [LIBS ...])
# Registers NAME_smoke (10 s, label fuzz_smoke) and NAME (60 s, label fuzz); run_fuzzer.py
# builds the seed corpus of `kind` from the fixtures at run time.
function(mistudio_add_fuzzer)
  cmake_parse_arguments(F "" "NAME;SEEDS" "SOURCES;LIBS" ${ARGN})
  add_executable(${F_NAME} ${F_SOURCES} ${PROJECT_SOURCE_DIR}/core/common/result.cpp)
  target_include_directories(${F_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/core
    ${PROJECT_SOURCE_DIR}/core/include ${PROJECT_BINARY_DIR}/core/generated
    ${PROJECT_SOURCE_DIR}/kernels/include)
  target_link_libraries(${F_NAME} PRIVATE nlohmann_json::nlohmann_json ${F_LIBS})
  target_compile_options(${F_NAME} PRIVATE -g -O1 -fsanitize=fuzzer,address,undefined
    -fno-sanitize-recover=undefined)
  target_link_options(${F_NAME} PRIVATE -fsanitize=fuzzer,address,undefined)
  mistudio_set_warnings(${F_NAME})
  foreach(run smoke:10:fuzz_smoke full:60:fuzz)
    string(REPLACE ":" ";" run ${run})
    list(GET run 0 kind)
    list(GET run 1 seconds)
    list(GET run 2 label)
    set(test ${F_NAME})
    if(kind STREQUAL "smoke")
      set(test ${F_NAME}_smoke)
    endif()
    add_test(NAME ${test}
      COMMAND ${MISTUDIO_PYTHON3} ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/run_fuzzer.py
              --seeds ${F_SEEDS} --shared "${MISTUDIO_SHARED_DIR}"
              --artifacts ${CMAKE_CURRENT_BINARY_DIR}/${F_NAME}_crashes
              $<TARGET_FILE:${F_NAME}> ${CMAKE_CURRENT_BINARY_DIR}/${F_NAME}_corpus ${seconds})
    set_tests_properties(${test} PROPERTIES LABELS ${label} TIMEOUT 300 RUN_SERIAL ON)
  endforeach()
endfunction()

mistudio_add_fuzzer(NAME fuzz_safetensors SEEDS safetensors SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/fuzz_safetensors.cpp ${PROJECT_SOURCE_DIR}/core/io/safetensors_format.cpp)

file(GLOB _families ${PROJECT_SOURCE_DIR}/core/model/families/*.cpp)
mistudio_add_fuzzer(NAME fuzz_model_config SEEDS config LIBS mistudio_torch SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/fuzz_model_config.cpp ${_families}
  ${PROJECT_SOURCE_DIR}/core/model/config.cpp ${PROJECT_SOURCE_DIR}/core/model/rope_config.cpp
  ${PROJECT_SOURCE_DIR}/core/model/registry.cpp)
# LibTorch 1.13's ATen/core/List.h does not compile with clang in C++20 (incomplete c10::IValue
# in std::vector's constexpr members); these sources need nothing beyond C++17.
set_target_properties(fuzz_model_config PROPERTIES CXX_STANDARD 17)

file(GLOB _tokenizer ${PROJECT_SOURCE_DIR}/core/tokenizer/*.cpp)
mistudio_add_fuzzer(NAME fuzz_tokenizer SEEDS tokenizer
  LIBS PkgConfig::PCRE2 PkgConfig::UTF8PROC Threads::Threads
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_tokenizer.cpp ${_tokenizer})

file(GLOB _store ${PROJECT_SOURCE_DIR}/core/store/*.cpp)
mistudio_add_fuzzer(NAME fuzz_project_file SEEDS none LIBS SQLite::SQLite3
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_project_file.cpp ${_store})
target_include_directories(fuzz_project_file PRIVATE ${PROJECT_SOURCE_DIR}/tests/store)
