# core/activations: extraction against the model runtime, the cache format, resume, the reader.
mistudio_add_test(NAME test_activations
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_activations.cpp
  LIBS mistudio_core mistudio_torch nlohmann_json::nlohmann_json
  LABELS unit)
target_include_directories(test_activations PRIVATE ${PROJECT_SOURCE_DIR}/core)
add_dependencies(test_activations mistudio-cli)
