# libFuzzer target for the Hub API listing JSON (issue 12). Built only with
# -DMISTUDIO_BUILD_FUZZERS=ON and clang (Debian clang-14 + libclang-rt-14-dev). It compiles the
# few hub sources it needs with the fuzzer and sanitizers instead of linking mistudio_core, so a
# fuzz build does not rebuild the LibTorch-heavy engine.
#   ctest -L fuzz                      10 s smoke (MISTUDIO_FUZZ_SECONDS to change)
#   build/tests/fuzz_hub_json -max_total_time=60 build/tests/fuzz_hub_corpus build/tests/fuzz_hub_seeds
if(NOT (MISTUDIO_BUILD_FUZZERS AND CMAKE_CXX_COMPILER_ID MATCHES "Clang"))
  return()
endif()

set(MISTUDIO_FUZZ_SECONDS 10 CACHE STRING "Seconds each fuzz-labelled CTest runs")
set(_hub ${PROJECT_SOURCE_DIR}/core/hub)
add_executable(fuzz_hub_json
  ${CMAKE_CURRENT_LIST_DIR}/fuzz_hub_json.cpp
  ${_hub}/api.cpp ${_hub}/cache.cpp ${_hub}/http.cpp ${_hub}/repo_ref.cpp
  ${_hub}/dataset_layout.cpp ${PROJECT_SOURCE_DIR}/core/common/result.cpp)
target_include_directories(fuzz_hub_json PRIVATE
  ${PROJECT_SOURCE_DIR}/core ${PROJECT_SOURCE_DIR}/core/include ${PROJECT_BINARY_DIR}/core/generated)
target_link_libraries(fuzz_hub_json PRIVATE
  nlohmann_json::nlohmann_json CURL::libcurl OpenSSL::Crypto Threads::Threads)
target_compile_options(fuzz_hub_json PRIVATE -g -O1 -fsanitize=fuzzer,address,undefined
  -fno-sanitize-recover=undefined)
target_link_options(fuzz_hub_json PRIVATE -fsanitize=fuzzer,address,undefined)

# Seeds: listings the fake Hub serves (tests/hub/fake_hub.py --seed-corpus).
set(_seeds ${CMAKE_CURRENT_BINARY_DIR}/fuzz_hub_seeds)
add_custom_command(OUTPUT ${_seeds}/model-0.json
  COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/tests/hub/fake_hub.py --seed-corpus ${_seeds}
  DEPENDS ${PROJECT_SOURCE_DIR}/tests/hub/fake_hub.py
  COMMENT "Hub listing seeds for fuzz_hub_json")
add_custom_target(fuzz_hub_seeds ALL DEPENDS ${_seeds}/model-0.json)
add_dependencies(fuzz_hub_json fuzz_hub_seeds)

# The corpus grows in the build tree; crashes land in fuzz_hub_crashes/ (and make the test fail).
set(_corpus ${CMAKE_CURRENT_BINARY_DIR}/fuzz_hub_corpus)
file(MAKE_DIRECTORY ${_corpus} ${CMAKE_CURRENT_BINARY_DIR}/fuzz_hub_crashes)
add_test(NAME fuzz_hub_json
  COMMAND fuzz_hub_json -max_total_time=${MISTUDIO_FUZZ_SECONDS} -timeout=10 -rss_limit_mb=2048
          -artifact_prefix=${CMAKE_CURRENT_BINARY_DIR}/fuzz_hub_crashes/ ${_corpus} ${_seeds})
set_tests_properties(fuzz_hub_json PROPERTIES LABELS fuzz TIMEOUT 600)
