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
endif()
