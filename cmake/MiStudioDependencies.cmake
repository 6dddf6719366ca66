# Third-party dependencies, all from Debian 12 packages (installer/debian/install-deps.sh),
# or LibTorch from Torch_DIR / CMAKE_PREFIX_PATH (e.g. a CUDA LibTorch 2.x from pytorch.org).

find_package(Threads REQUIRED)
find_package(Torch REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(spdlog REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED) # libcrypto: sha256 of Hub downloads
find_package(ZLIB REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)
pkg_check_modules(UTF8PROC REQUIRED IMPORTED_TARGET libutf8proc)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
find_library(SNAPPY_LIBRARY snappy REQUIRED)

# TorchConfig puts its flags in TORCH_CXX_FLAGS (e.g. -D_GLIBCXX_USE_CXX11_ABI=0 for some
# pytorch.org builds); wrap everything in one interface target so each consumer gets it.
add_library(mistudio_torch INTERFACE)
target_link_libraries(mistudio_torch INTERFACE ${TORCH_LIBRARIES})
target_include_directories(mistudio_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})
if(TORCH_CXX_FLAGS)
  separate_arguments(_torch_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
  target_compile_options(mistudio_torch INTERFACE ${_torch_flags})
endif()

if(MISTUDIO_BUILD_GUI OR MISTUDIO_BUILD_TESTS)
  find_package(Qt6 6.2 REQUIRED COMPONENTS Core Gui Widgets PrintSupport Concurrent Svg Test)
endif()
if(MISTUDIO_BUILD_GUI)
  find_package(QCustomPlotQt6 REQUIRED)
endif()

# Fixtures beside the checkout (CI lays ../shared next to the clone).
get_filename_component(_shared "${PROJECT_SOURCE_DIR}/../shared" ABSOLUTE)
set(MISTUDIO_SHARED_DIR "${_shared}" CACHE PATH "Test fixtures folder (../shared)")

# Data-parallel training (core/distributed) uses LibTorch's c10d with Gloo. AUTO enables it when
# LibTorch ships the c10d headers and the Gloo headers are found (Debian: libgloo-dev); without it
# the build still works and `launch` / WORLD_SIZE > 1 fail with a clear message.
set(MISTUDIO_WITH_DISTRIBUTED AUTO CACHE STRING "Data-parallel training on c10d/Gloo: AUTO, ON or OFF")
set_property(CACHE MISTUDIO_WITH_DISTRIBUTED PROPERTY STRINGS AUTO ON OFF)
set(MISTUDIO_HAVE_DISTRIBUTED OFF)
if(NOT MISTUDIO_WITH_DISTRIBUTED STREQUAL "OFF")
  find_path(MISTUDIO_C10D_INCLUDE torch/csrc/distributed/c10d/ProcessGroupGloo.hpp
            HINTS ${TORCH_INCLUDE_DIRS})
  find_path(MISTUDIO_GLOO_INCLUDE gloo/algorithm.h HINTS ${TORCH_INCLUDE_DIRS})
  # Debian's LibTorch links libgloo.so dynamically; pytorch.org builds carry Gloo inside libtorch_cpu.
  find_library(MISTUDIO_GLOO_LIBRARY gloo)
  if(MISTUDIO_C10D_INCLUDE AND MISTUDIO_GLOO_INCLUDE)
    set(MISTUDIO_HAVE_DISTRIBUTED ON)
    message(STATUS "miStudio: distributed training on c10d/Gloo (${MISTUDIO_C10D_INCLUDE})")
  elseif(MISTUDIO_WITH_DISTRIBUTED STREQUAL "ON")
    message(FATAL_ERROR "MISTUDIO_WITH_DISTRIBUTED=ON but LibTorch's c10d headers or the Gloo "
                        "headers were not found: install libgloo-dev (Debian) or use a LibTorch "
                        "built with USE_DISTRIBUTED")
  else()
    message(STATUS "miStudio: distributed training disabled (no c10d/Gloo headers)")
  endif()
endif()
