#!/usr/bin/env bash
# The layout check must catch each kind of breach: plant one at a time in a scratch tree.
set -u
check=${1:?usage: check_layout_selftest.sh CHECK_SCRIPT}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/{core/include/mistudio,core/engine,ui,app/gui}
echo '#include <vector>' > "$tmp/core/engine/ok.cpp"
bash "$check" "$tmp" >/dev/null || { echo "clean tree reported as breach"; exit 1; }

plant() {  # file content -> expect failure
  echo "$2" > "$tmp/$1"
  if bash "$check" "$tmp" >/dev/null; then echo "missed: $1 with '$2'"; exit 1; fi
  rm "$tmp/$1"
}
plant core/engine/bad.cpp '#include <QObject>'
plant core/engine/bad2.cpp '#include <QtCore/QString>'
plant ui/bad.cpp '#include <torch/torch.h>'
plant app/gui/bad.cpp '#include <ATen/ATen.h>'
plant core/include/mistudio/bad.h '#include <c10/core/Device.h>'
plant ui/bad2.cpp '#include "engine/job_state.h"'
echo "core/CMakeLists: target_link_libraries(x Qt6::Core)" > /dev/null
echo 'target_link_libraries(mistudio_core PRIVATE Qt6::Core)' > "$tmp/core/CMakeLists.txt"
if bash "$check" "$tmp" >/dev/null; then echo "missed: Qt linked by core"; exit 1; fi
echo "every planted breach was detected"
