# libFuzzer targets (MISTUDIO_BUILD_FUZZERS=ON with clang). They compile the torch-free parsers
# directly, so a clang build dir only needs these few files:
#   cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_C_COMPILER=clang-14 \
#     -DMISTUDIO_BUILD_FUZZERS=ON -DMISTUDIO_BUILD_GUI=OFF -DMISTUDIO_WITH_CUDA=OFF
#   cmake --build build-fuzz --target fuzz_safetensors && ctest --test-dir build-fuzz -L fuzz
if(MISTUDIO_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(WARNING "MISTUDIO_BUILD_FUZZERS needs clang (libFuzzer); fuzz targets are not built "
                    "with ${CMAKE_CXX_COMPILER_ID}. Configure with -DCMAKE_CXX_COMPILER=clang++-14.")
  else()
    add_executable(fuzz_safetensors
      ${CMAKE_CURRENT_LIST_DIR}/fuzz_safetensors.cpp
      ${PROJECT_SOURCE_DIR}/core/io/safetensors_format.cpp
      ${PROJECT_SOURCE_DIR}/core/common/result.cpp)
    target_include_directories(fuzz_safetensors PRIVATE
      ${PROJECT_SOURCE_DIR}/core ${PROJECT_SOURCE_DIR}/core/include)
    target_link_libraries(fuzz_safetensors PRIVATE nlohmann_json::nlohmann_json)
    target_compile_options(fuzz_safetensors PRIVATE -g -fsanitize=fuzzer,address,undefined)
    target_link_options(fuzz_safetensors PRIVATE -fsanitize=fuzzer,address,undefined)
    mistudio_set_warnings(fuzz_safetensors)
    # 10 s of fuzzing from a seed corpus derived from the fixtures (plus built-in seeds).
    find_program(MISTUDIO_PYTHON3 python3)
    if(MISTUDIO_PYTHON3)
      add_test(NAME fuzz_safetensors
        COMMAND ${MISTUDIO_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/run_fuzzer.py
                $<TARGET_FILE:fuzz_safetensors> ${CMAKE_CURRENT_BINARY_DIR}/fuzz_safetensors_corpus
                10 "${MISTUDIO_SHARED_DIR}")
      set_tests_properties(fuzz_safetensors PROPERTIES LABELS fuzz TIMEOUT 120)
    else()
      message(WARNING "python3 not found: the fuzz_safetensors CTest (seed corpus + run) is not registered")
    endif()
  endif()
endif()
