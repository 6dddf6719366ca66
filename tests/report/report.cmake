mistudio_add_test(NAME test_report
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_report.cpp
  LIBS mistudio_core
  LABELS unit)
target_include_directories(test_report PRIVATE ${PROJECT_SOURCE_DIR}/core ${PROJECT_SOURCE_DIR}/tests/store)
