# core/distributed: collectives over Gloo (two ranks as threads), sharding, cluster-job export,
# and data-parallel training end to end (two ranks on 127.0.0.1 vs one process, a killed rank,
# resume, world-size mismatch).
foreach(t test_distributed_comm test_distributed_train)
  mistudio_add_test(NAME ${t}
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/${t}.cpp
    LIBS mistudio_core mistudio_torch nlohmann_json::nlohmann_json
    LABELS unit)
  target_include_directories(${t} PRIVATE ${PROJECT_SOURCE_DIR}/core)
endforeach()
add_dependencies(test_distributed_train mistudio-cli)
