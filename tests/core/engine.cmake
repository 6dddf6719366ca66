mistudio_add_test(NAME test_engine
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_engine.cpp
  LIBS mistudio_core spdlog::spdlog
  LABELS unit)
mistudio_add_test(NAME test_ops
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ops.cpp
  LIBS mistudio_core mistudio_torch
  LABELS unit)
target_include_directories(test_ops PRIVATE ${PROJECT_SOURCE_DIR}/core)
mistudio_add_test(NAME test_ops_gpu
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ops_gpu.cpp
  LIBS mistudio_core mistudio_torch
  LABELS gpu)
target_include_directories(test_ops_gpu PRIVATE ${PROJECT_SOURCE_DIR}/core)
