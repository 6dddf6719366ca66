# core/sae: building blocks, ground-truth recovery, training/resume/saving, and the CLI end to end.
foreach(t test_sae_core test_sae_recovery test_sae_train test_sae_cli)
  mistudio_add_test(NAME ${t}
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/${t}.cpp
    LIBS mistudio_core mistudio_torch nlohmann_json::nlohmann_json
    LABELS unit)
  target_include_directories(${t} PRIVATE ${PROJECT_SOURCE_DIR}/core)
endforeach()
add_dependencies(test_sae_cli mistudio-cli)
