# Reliability (issue 12): kill -9 loops over every long stage (slow), and fault / bad-input tests
# that span several areas. The kill loops run one CTest test per stage (each well under a minute).
# Every test drives mistudio-cli and compiles without LibTorch.
add_library(mistudio_reliability_support STATIC ${CMAKE_CURRENT_LIST_DIR}/reliability_support.cpp)
target_link_libraries(mistudio_reliability_support PUBLIC mistudio_test_support SQLite::SQLite3)
target_compile_definitions(mistudio_reliability_support PRIVATE QT_NO_KEYWORDS)
mistudio_set_warnings(mistudio_reliability_support)
mistudio_add_test(NAME test_kill_stages
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_kill_stages.cpp
  LIBS mistudio_reliability_support
  LABELS slow
  FUNCTIONS killDownload killExtraction killTraining killAnalysis)
target_compile_definitions(test_kill_stages PRIVATE
  MISTUDIO_HUB_TEST_DIR="${PROJECT_SOURCE_DIR}/tests/hub")
add_dependencies(test_kill_stages mistudio-cli)
# On a loaded machine one stage can exceed QtTest's 5-minute default per function.
foreach(fn killDownload killExtraction killTraining killAnalysis)
  set_property(TEST test_kill_stages_${fn} APPEND PROPERTY ENVIRONMENT QTEST_FUNCTION_TIMEOUT=900000)
endforeach()
mistudio_add_test(NAME test_memory_refusal
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_memory_refusal.cpp
  LIBS mistudio_reliability_support
  LABELS unit)
add_dependencies(test_memory_refusal mistudio-cli)
mistudio_add_test(NAME test_disk_full
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_disk_full.cpp
  LIBS mistudio_reliability_support
  LABELS unit)
add_dependencies(test_disk_full mistudio-cli)
mistudio_add_test(NAME test_token_secrecy
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_token_secrecy.cpp
  LIBS mistudio_reliability_support
  LABELS unit)
add_dependencies(test_token_secrecy mistudio-cli)
mistudio_add_test(NAME test_bad_inputs
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_bad_inputs.cpp
  LIBS mistudio_reliability_support
  LABELS unit)
add_dependencies(test_bad_inputs mistudio-cli)
