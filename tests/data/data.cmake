# core/data: dataset sources, the Parquet reader, token windows.
mistudio_add_test(NAME test_parquet
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_parquet.cpp
  LIBS mistudio_core nlohmann_json::nlohmann_json
  LABELS unit)
target_include_directories(test_parquet PRIVATE ${PROJECT_SOURCE_DIR}/core)
mistudio_add_test(NAME test_dataset
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_dataset.cpp
  LIBS mistudio_core
  LABELS unit)
target_include_directories(test_dataset PRIVATE ${PROJECT_SOURCE_DIR}/core)
mistudio_add_test(NAME test_windows
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_windows.cpp
  LIBS mistudio_core
  LABELS unit)
add_dependencies(test_dataset mistudio-cli)
