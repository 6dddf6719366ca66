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
