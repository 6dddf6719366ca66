#pragma once
// The QLoRA NormalFloat-4 codebook (Dettmers et al. 2023, appendix E; bitsandbytes NF4) and the
// double-quantization block size, in one place for the torch-ops path (core/quant/quant.h) and the
// CUDA kernel (kernels/src/dequantize.cu). Plain C++: compiled by both g++ and nvcc.

/// The 16 values, lowest first, as an initializer list body.
#define MISTUDIO_NF4_CODEBOOK_VALUES                                                               \
    -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,                     \
        -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,                \
        0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,   \
        0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f

/// Absmax scales of nf4 blocks are themselves quantized in groups of this many (double quant).
#define MISTUDIO_NF4_DOUBLE_QUANT_BLOCK 256
