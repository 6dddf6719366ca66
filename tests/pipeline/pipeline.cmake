# The one-command pipeline end to end on the aidreams260k fixture (skips without ../shared).
mistudio_add_test(NAME test_pipeline
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_pipeline.cpp
  LIBS mistudio_core
  LABELS slow
  TIMEOUT 1200)
