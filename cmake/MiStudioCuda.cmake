# CUDA detection. AUTO builds kernels/ when nvcc is found (it is compiled in CI even without a GPU,
# so kernel code keeps building); ON requires it; OFF skips it.

set(MISTUDIO_HAVE_CUDA OFF)
if(NOT MISTUDIO_WITH_CUDA STREQUAL "OFF")
  if(NOT CMAKE_CUDA_COMPILER)
    find_program(_nvcc nvcc HINTS /usr/local/cuda/bin ENV CUDA_PATH PATH_SUFFIXES bin)
    if(_nvcc)
      set(CMAKE_CUDA_COMPILER ${_nvcc})
    endif()
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    # Turing (T4), Ampere (A100, RTX 30xx), Hopper (H100/H200). CUDA 13 dropped anything older
    # than sm_75. Override with -DCMAKE_CUDA_ARCHITECTURES=native on a developer machine.
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES 75 80 90)
    endif()
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    set(MISTUDIO_HAVE_CUDA ON)
    message(STATUS "miStudio: CUDA kernels enabled (${CMAKE_CUDA_COMPILER}, arch ${CMAKE_CUDA_ARCHITECTURES})")
  elseif(MISTUDIO_WITH_CUDA STREQUAL "ON")
    message(FATAL_ERROR "MISTUDIO_WITH_CUDA=ON but no CUDA compiler (nvcc) was found. "
                        "Install the CUDA Toolkit or set CMAKE_CUDA_COMPILER, or use AUTO/OFF.")
  else()
    message(STATUS "miStudio: nvcc not found, building the CPU paths only")
  endif()
endif()
