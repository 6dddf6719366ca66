# Reliability (issue 12): kill -9 loops over every long stage (slow), and fault / bad-input tests
# that span several areas. The kill loops run one CTest test per stage (each well under a minute).
mistudio_add_test(NAME test_kill_stages
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_kill_stages.cpp
          ${CMAKE_CURRENT_LIST_DIR}/reliability_support.cpp
  LIBS SQLite::SQLite3
  LABELS slow
  FUNCTIONS killDownload killExtraction killTraining killAnalysis)
target_compile_definitions(test_kill_stages PRIVATE
  MISTUDIO_HUB_TEST_DIR="${PROJECT_SOURCE_DIR}/tests/hub")
add_dependencies(test_kill_stages mistudio-cli)
mistudio_add_test(NAME test_memory_refusal
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_memory_refusal.cpp
          ${CMAKE_CURRENT_LIST_DIR}/reliability_support.cpp
  LIBS SQLite::SQLite3
  LABELS unit)
add_dependencies(test_memory_refusal mistudio-cli)
mistudio_add_test(NAME test_disk_full
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_disk_full.cpp
          ${CMAKE_CURRENT_LIST_DIR}/reliability_support.cpp
  LIBS SQLite::SQLite3
  LABELS unit)
add_dependencies(test_disk_full mistudio-cli)
mistudio_add_test(NAME test_token_secrecy
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_token_secrecy.cpp
          ${CMAKE_CURRENT_LIST_DIR}/reliability_support.cpp
  LIBS SQLite::SQLite3
  LABELS unit)
add_dependencies(test_token_secrecy mistudio-cli)
mistudio_add_test(NAME test_bad_inputs
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_bad_inputs.cpp
          ${CMAKE_CURRENT_LIST_DIR}/reliability_support.cpp
  LIBS SQLite::SQLite3
  LABELS unit)
add_dependencies(test_bad_inputs mistudio-cli)
