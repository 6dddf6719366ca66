#!/usr/bin/env bash
# Fails (exit 1) with a list of breaches of the layering rules in the tree at $1.
set -u
root=${1:?usage: check_layout.sh SOURCE_DIR}
cd "$root" || exit 2
fail=0
report() { echo "layout breach: $1"; fail=1; }

# 1. core/ is Qt-free: no Qt includes, no Qt targets in its CMake.
while IFS= read -r hit; do report "Qt header in core: $hit"; done < <(
  grep -rnE '^\s*#\s*include\s*[<"](Q[A-Z][A-Za-z]*|Qt[A-Za-z]*/)' core --include='*.h' --include='*.cpp' --include='*.hpp' 2>/dev/null)
while IFS= read -r hit; do report "Qt target linked by core: $hit"; done < <(
  grep -rnE 'Qt6::|Qt5::|find_package\(Qt' core --include='CMakeLists.txt' --include='*.cmake' 2>/dev/null)

# 2. ui/ and the GUI app never include LibTorch.
torch_re='^\s*#\s*include\s*[<"](torch/|ATen/|c10/|caffe2/)'
while IFS= read -r hit; do report "LibTorch header in ui/app: $hit"; done < <(
  grep -rnE "$torch_re" ui app/gui --include='*.h' --include='*.cpp' 2>/dev/null)

# 3. core's public headers (what ui/ may include) are LibTorch-free.
while IFS= read -r hit; do report "LibTorch header in a public core header: $hit"; done < <(
  grep -rnE "$torch_re" core/include 2>/dev/null)

# 4. ui/ includes only core's public headers, never core internals.
while IFS= read -r hit; do report "ui/ includes a core internal header: $hit"; done < <(
  grep -rnE '^\s*#\s*include\s*"(engine|common|ops|io|hub|model|tokenizer|quant|data|activations|sae|analysis|store|report)/' ui app/gui --include='*.h' --include='*.cpp' 2>/dev/null)

if [ $fail -ne 0 ]; then exit 1; fi
echo "layout rules hold"
