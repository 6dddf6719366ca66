// Precompiled header for mistudio_core: the LibTorch headers that most engine files need.
// Compiling <torch/torch.h> costs ~29 s per file on 2 cores; precompiled it is paid once.
#pragma once
#ifdef __cplusplus
#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <torch/torch.h>
#endif
