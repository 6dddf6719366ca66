# core/io: safetensors reader/writer. The test runs tests/io/st_reference.py (python3, stdlib only)
# as an independent parser of the same files.
mistudio_add_test(NAME test_safetensors
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/safetensors_test.h
          ${CMAKE_CURRENT_LIST_DIR}/test_safetensors.cpp
          ${CMAKE_CURRENT_LIST_DIR}/test_safetensors_writer.cpp
          ${CMAKE_CURRENT_LIST_DIR}/test_safetensors_errors.cpp
  LIBS mistudio_core mistudio_torch
  LABELS unit)
target_include_directories(test_safetensors PRIVATE ${PROJECT_SOURCE_DIR}/core)
