# Hub client: cache layout and references (no network), downloads against a loopback fake Hub
# (tests/hub/fake_hub.py, started by the test with /usr/bin/python3), and the CLI end to end.
mistudio_add_test(NAME test_hub_download
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_hub_download.cpp
  LIBS mistudio_core
  LABELS unit)
target_include_directories(test_hub_download PRIVATE ${PROJECT_SOURCE_DIR}/core)
target_compile_definitions(test_hub_download PRIVATE MISTUDIO_HUB_TEST_DIR="${CMAKE_CURRENT_LIST_DIR}")
mistudio_add_test(NAME test_hub_cli
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_hub_cli.cpp
  LIBS mistudio_core
  LABELS unit)
target_compile_definitions(test_hub_cli PRIVATE MISTUDIO_HUB_TEST_DIR="${CMAKE_CURRENT_LIST_DIR}")
add_dependencies(test_hub_cli mistudio-cli)
mistudio_add_test(NAME test_hub_cache
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_hub_cache.cpp
  LIBS mistudio_core
  LABELS unit)
target_include_directories(test_hub_cache PRIVATE ${PROJECT_SOURCE_DIR}/core)
mistudio_add_test(NAME test_hub_sources
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_hub_sources.cpp
  LIBS mistudio_core
  LABELS unit)
target_include_directories(test_hub_sources PRIVATE ${PROJECT_SOURCE_DIR}/core)
target_compile_definitions(test_hub_sources PRIVATE MISTUDIO_HUB_TEST_DIR="${CMAKE_CURRENT_LIST_DIR}")
mistudio_add_test(NAME test_hub_faults
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_hub_faults.cpp
  LIBS mistudio_core
  LABELS unit)
target_compile_definitions(test_hub_faults PRIVATE MISTUDIO_HUB_TEST_DIR="${CMAKE_CURRENT_LIST_DIR}")
mistudio_add_test(NAME test_hub_probe
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_hub_probe.cpp
  LIBS mistudio_core
  LABELS unit)
target_compile_definitions(test_hub_probe PRIVATE MISTUDIO_HUB_TEST_DIR="${CMAKE_CURRENT_LIST_DIR}")
