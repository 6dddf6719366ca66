# The core/UI boundary (DEVELOPERS.md): core has no Qt, ui/ and core's public headers include no
# LibTorch. The second test runs the same check on a tree with planted breaches and must fail.
add_test(NAME layout_rules
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/check_layout.sh ${PROJECT_SOURCE_DIR})
add_test(NAME layout_rules_detect_breach
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/check_layout_selftest.sh ${CMAKE_CURRENT_LIST_DIR}/check_layout.sh)
set_tests_properties(layout_rules layout_rules_detect_breach PROPERTIES LABELS unit TIMEOUT 60)
