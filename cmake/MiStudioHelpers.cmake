# Shared build settings: warnings, sanitizers, ccache, and the test helper.

find_program(MISTUDIO_CCACHE ccache)
if(MISTUDIO_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  # Precompiled headers are only cacheable with these sloppiness settings.
  set(_ccache_launcher ${CMAKE_COMMAND} -E env
      "CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime"
      # Paths relative to the source tree: a fresh clone elsewhere (CI) still hits the cache.
      "CCACHE_BASEDIR=${PROJECT_SOURCE_DIR}"
      ${MISTUDIO_CCACHE})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${_ccache_launcher})
  set(CMAKE_C_COMPILER_LAUNCHER ${_ccache_launcher})
  message(STATUS "miStudio: using ccache (${MISTUDIO_CCACHE})")
endif()

if(MISTUDIO_USE_CLANG_TIDY)
  find_program(MISTUDIO_CLANG_TIDY clang-tidy REQUIRED)
  set(CMAKE_CXX_CLANG_TIDY ${MISTUDIO_CLANG_TIDY})
endif()

if(MISTUDIO_ENABLE_ASAN)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# Warnings for project code only (third-party headers are included as SYSTEM).
function(mistudio_set_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wno-unused-parameter>)
endfunction()

# mistudio_add_test(NAME name SOURCES ... LIBS ... LABELS unit|ui|slow|gpu|fuzz [TIMEOUT s] [QT_KEYWORDS]
#                   [FUNCTIONS fn ...])
# One Qt Test executable per module, registered in CTest with its labels. The fixtures folder
# (../shared beside the checkout) is passed in MISTUDIO_SHARED_DIR; tests skip when it is absent.
# With FUNCTIONS, each listed test function is its own CTest test NAME_<function> (long tests).
function(mistudio_add_test)
  cmake_parse_arguments(T "QT_KEYWORDS" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS;FUNCTIONS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} Qt6::Test mistudio_test_support)
  set_target_properties(${T_NAME} PROPERTIES AUTOMOC ON)
  # Qt's 'slots' keyword clashes with LibTorch headers; tests use Q_SLOTS instead. UI tests that
  # include QCustomPlot (which uses 'signals:') pass QT_KEYWORDS and never include LibTorch.
  if(NOT T_QT_KEYWORDS)
    target_compile_definitions(${T_NAME} PRIVATE QT_NO_KEYWORDS)
  endif()
  mistudio_set_warnings(${T_NAME})
  set(tests ${T_NAME})
  if(T_FUNCTIONS)
    set(tests "")
    foreach(fn ${T_FUNCTIONS})
      add_test(NAME ${T_NAME}_${fn} COMMAND ${T_NAME} ${fn})
      list(APPEND tests ${T_NAME}_${fn})
    endforeach()
  else()
    add_test(NAME ${T_NAME} COMMAND ${T_NAME})
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 600)
  endif()
  if("gpu" IN_LIST T_LABELS)
    # A GPU test whose functions all QSKIP (no device) is reported as skipped, not passed.
    set_tests_properties(${tests} PROPERTIES SKIP_REGULAR_EXPRESSION "SKIP   : ")
  endif()
  set_tests_properties(${tests} PROPERTIES
    LABELS "${T_LABELS}"
    TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "QT_QPA_PLATFORM=offscreen;MISTUDIO_SHARED_DIR=${MISTUDIO_SHARED_DIR};MISTUDIO_SOURCE_DIR=${PROJECT_SOURCE_DIR};MISTUDIO_CLI=$<TARGET_FILE:mistudio-cli>")
endfunction()
