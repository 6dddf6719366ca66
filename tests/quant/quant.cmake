# core/quant weight formats (reference torch path).
mistudio_add_test(NAME test_quant
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_quant.cpp
  LIBS mistudio_core mistudio_torch
  LABELS unit)
target_include_directories(test_quant PRIVATE ${PROJECT_SOURCE_DIR}/core)
mistudio_add_test(NAME test_quant_gpu
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_quant_gpu.cpp
  LIBS mistudio_core mistudio_torch
  LABELS gpu)
target_include_directories(test_quant_gpu PRIVATE ${PROJECT_SOURCE_DIR}/core)
mistudio_add_test(NAME test_quant_cli
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_quant_cli.cpp
  LIBS mistudio_core mistudio_torch nlohmann_json::nlohmann_json
  LABELS unit)
target_include_directories(test_quant_cli PRIVATE ${PROJECT_SOURCE_DIR}/core)
add_dependencies(test_quant_cli mistudio-cli)
# Writes a 2-block Phi-4-shaped checkpoint (~3.4 GB) to a temporary folder and measures peak RSS.
mistudio_add_test(NAME test_bench_memory
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_bench_memory.cpp
  LIBS mistudio_core nlohmann_json::nlohmann_json
  LABELS slow
  TIMEOUT 1800)
add_dependencies(test_bench_memory mistudio-cli)
