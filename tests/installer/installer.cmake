# The packages build, install into a temporary root, and the installed CLI runs.
add_test(NAME package_deb_installs
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/check_package.sh ${CMAKE_BINARY_DIR})
set_tests_properties(package_deb_installs PROPERTIES LABELS slow TIMEOUT 900 RUN_SERIAL TRUE)
