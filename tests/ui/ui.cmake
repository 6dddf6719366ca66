if(MISTUDIO_BUILD_GUI)
  mistudio_add_test(NAME test_ui_bridge
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_bridge.cpp
    LIBS mistudio_ui
    LABELS ui)
endif()
if(MISTUDIO_BUILD_GUI)
  mistudio_add_test(NAME test_ui_plots
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_plots.cpp
    LIBS mistudio_ui
    QT_KEYWORDS
    LABELS ui)
endif()
if(MISTUDIO_BUILD_GUI)
  mistudio_add_test(NAME test_ui_dashboard
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_dashboard.cpp
    LIBS mistudio_ui
    LABELS ui
    QT_KEYWORDS)
endif()
if(MISTUDIO_BUILD_GUI)
  mistudio_add_test(NAME test_ui_settings
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_settings.cpp
    LIBS mistudio_ui
    LABELS ui)
endif()
if(MISTUDIO_BUILD_GUI)
  mistudio_add_test(NAME test_ui_features
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_features.cpp
    LIBS mistudio_ui
    LABELS ui
    QT_KEYWORDS)
  target_include_directories(test_ui_features PRIVATE ${PROJECT_SOURCE_DIR}/tests/store)
endif()
if(MISTUDIO_BUILD_GUI)
  mistudio_add_test(NAME test_ui_wizard
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_wizard.cpp
    LIBS mistudio_ui
    LABELS ui)
endif()
if(MISTUDIO_BUILD_GUI)
  # The playground against the core's results, and the event-loop latency during a real training
  # job on the aidreams260k fixture (skips without ../shared).
  mistudio_add_test(NAME test_ui_playground
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_playground.cpp
    LIBS mistudio_ui
    LABELS ui
    QT_KEYWORDS
    TIMEOUT 900)
endif()
