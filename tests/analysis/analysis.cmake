# core/analysis: the streaming statistics against brute force, and end to end on a real model
# (aidreams260k fixture): import a SAELens folder, analyse, check a page against a recomputation.
mistudio_add_test(NAME test_analysis
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_analysis.cpp
  LIBS mistudio_core mistudio_torch
  LABELS unit)
target_include_directories(test_analysis PRIVATE ${PROJECT_SOURCE_DIR}/core)

mistudio_add_test(NAME test_analysis_e2e
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_analysis_e2e.cpp
  LIBS mistudio_core mistudio_torch nlohmann_json::nlohmann_json SQLite::SQLite3
  LABELS unit)
target_include_directories(test_analysis_e2e PRIVATE ${PROJECT_SOURCE_DIR}/core)
add_dependencies(test_analysis_e2e mistudio-cli)
# kill -9 while the analysis writes (slow): the same executable, one function, with the switch on.
add_test(NAME test_analysis_crash COMMAND test_analysis_e2e killDuringWritesLeavesIntactFile)
set_tests_properties(test_analysis_crash PROPERTIES
  LABELS slow
  TIMEOUT 900
  ENVIRONMENT "MISTUDIO_SLOW_TESTS=1;MISTUDIO_SHARED_DIR=${MISTUDIO_SHARED_DIR};MISTUDIO_CLI=$<TARGET_FILE:mistudio-cli>")

# The playground session against a direct recomputation on the aidreams260k fixture.
mistudio_add_test(NAME test_playground
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_playground.cpp
  LIBS mistudio_core mistudio_torch
  LABELS unit)
target_include_directories(test_playground PRIVATE ${PROJECT_SOURCE_DIR}/core)
