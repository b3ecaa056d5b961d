#!/bin/sh
# Rebuild every sample module (src/NAME.c -> NAME.wasm) with the ziglang
# package's clang. Fixed flags, relative paths and throwaway caches make the
# output byte for byte reproducible. PYTHON picks the interpreter that has
# ziglang installed (default: python3).
set -eu
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT INT TERM
export ZIG_GLOBAL_CACHE_DIR="$scratch/global"
export ZIG_LOCAL_CACHE_DIR="$scratch/local"

for source in src/*.c; do
    name="$(basename "$source" .c)"
    "$PYTHON" -m ziglang cc \
        --target=wasm32-freestanding -O2 -s \
        -std=c11 -Wall -Wextra -Werror \
        -nostdlib -fno-builtin \
        -Iinclude \
        -Wl,--no-entry \
        -Wl,-z,stack-size=65536 \
        -o "$name.wasm" "$source"
    echo "built $name.wasm"
done
