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
  mistudio_add_test(NAME test_ui_main_window
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_main_window.cpp
    LIBS mistudio_ui
    LABELS ui
    QT_KEYWORDS)
  # Open published SAE, the Report tab's exports (PDF included) and the wizard screenshots.
  mistudio_add_test(NAME test_ui_reports
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_reports.cpp
    LIBS mistudio_ui
    LABELS ui)
  # First start against a loopback Hub (tests/hub/fake_hub.py), HF_HUB_OFFLINE and a dead port.
  mistudio_add_test(NAME test_ui_first_start
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_first_start.cpp
    LIBS mistudio_ui
    LABELS ui)
  target_include_directories(test_ui_first_start PRIVATE ${PROJECT_SOURCE_DIR}/tests/hub)
  target_compile_definitions(test_ui_first_start PRIVATE MISTUDIO_HUB_TEST_DIR="${PROJECT_SOURCE_DIR}/tests/hub")
  # The playground against the core's results, and the event-loop latency during a real training
  # job on the aidreams260k fixture (skips without ../shared).
  mistudio_add_test(NAME test_ui_playground
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_playground.cpp
    LIBS mistudio_ui
    LABELS ui
    QT_KEYWORDS
    TIMEOUT 900)
endif()
