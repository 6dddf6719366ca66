mistudio_add_test(NAME test_memory_plan
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_memory_plan.cpp
  LIBS mistudio_core
  LABELS unit)
