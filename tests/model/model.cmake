# core/model: config parsing (no fixtures), the runtime against the fixtures' goldens, and the CLI.
mistudio_add_test(NAME test_model_config
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_model_config.cpp
  LIBS mistudio_core mistudio_torch nlohmann_json::nlohmann_json
  LABELS unit)
target_include_directories(test_model_config PRIVATE ${PROJECT_SOURCE_DIR}/core)

mistudio_add_test(NAME test_model
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_model.cpp
  LIBS mistudio_core mistudio_torch nlohmann_json::nlohmann_json
  LABELS unit)
target_include_directories(test_model PRIVATE ${PROJECT_SOURCE_DIR}/core)

mistudio_add_test(NAME test_model_cli
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_model_cli.cpp
  LIBS mistudio_core mistudio_torch nlohmann_json::nlohmann_json
  LABELS unit)
target_include_directories(test_model_cli PRIVATE ${PROJECT_SOURCE_DIR}/core)
add_dependencies(test_model_cli mistudio-cli)

mistudio_add_test(NAME test_quant_model
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_quant_model.cpp
  LIBS mistudio_core mistudio_torch
  LABELS unit)
target_include_directories(test_quant_model PRIVATE ${PROJECT_SOURCE_DIR}/core)
