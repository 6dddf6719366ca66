# core/sae: building blocks, ground-truth recovery, training/resume/saving, and the CLI end to end.
foreach(t test_sae_core test_sae_recovery test_sae_train test_sae_cli test_sae_stream)
  mistudio_add_test(NAME ${t}
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/${t}.cpp
    LIBS mistudio_core mistudio_torch nlohmann_json::nlohmann_json
    LABELS unit)
  target_include_directories(${t} PRIVATE ${PROJECT_SOURCE_DIR}/core)
endforeach()
add_dependencies(test_sae_cli mistudio-cli)

# SAE evaluation with the model spliced in (aidreams260k fixture) and `mistudio-cli eval`.
mistudio_add_test(NAME test_sae_eval
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_sae_eval.cpp
  LIBS mistudio_core mistudio_torch nlohmann_json::nlohmann_json
  LABELS unit)
target_include_directories(test_sae_eval PRIVATE ${PROJECT_SOURCE_DIR}/core)
add_dependencies(test_sae_eval mistudio-cli)

# Issue 8 acceptance: train + spliced evaluation on aidreams260k (minutes on CPU).
mistudio_add_test(NAME test_sae_aidreams
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_sae_aidreams.cpp
  LIBS mistudio_core mistudio_torch nlohmann_json::nlohmann_json
  LABELS slow)
target_include_directories(test_sae_aidreams PRIVATE ${PROJECT_SOURCE_DIR}/core)

# SAE training on CUDA against the CPU (skips with a reason without a GPU).
mistudio_add_test(NAME test_sae_gpu
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_sae_gpu.cpp
  LIBS mistudio_core mistudio_torch nlohmann_json::nlohmann_json
  LABELS gpu)
target_include_directories(test_sae_gpu PRIVATE ${PROJECT_SOURCE_DIR}/core)
