# Project store (core/store): unit tests, query-vs-brute-force, CLI end to end, and a crash test.
mistudio_add_test(NAME test_store
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_store.cpp
  LIBS mistudio_core SQLite::SQLite3
  LABELS unit)
target_include_directories(test_store PRIVATE ${PROJECT_SOURCE_DIR}/core)
mistudio_add_test(NAME test_store_files
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_store_files.cpp
  LIBS mistudio_core SQLite::SQLite3
  LABELS unit)
mistudio_add_test(NAME test_store_queries
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_store_queries.cpp
  LIBS mistudio_core
  LABELS unit)
mistudio_add_test(NAME test_store_crash
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_store_crash.cpp
  LIBS mistudio_core SQLite::SQLite3
  LABELS slow)
mistudio_add_test(NAME test_store_cli
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_store_cli.cpp
  LIBS mistudio_core
  LABELS unit)
add_dependencies(test_store_cli mistudio-cli)
