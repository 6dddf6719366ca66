mistudio_add_test(NAME test_tokenizer
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_tokenizer.cpp ${CMAKE_CURRENT_LIST_DIR}/test_tokenizer_units.cpp
          ${CMAKE_CURRENT_LIST_DIR}/tokenizer_test_util.cpp
  LIBS mistudio_core nlohmann_json::nlohmann_json
  LABELS unit)
target_include_directories(test_tokenizer PRIVATE ${PROJECT_SOURCE_DIR}/core)
add_dependencies(test_tokenizer mistudio-cli)
