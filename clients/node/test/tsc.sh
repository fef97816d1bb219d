#!/bin/sh
# meson's client-node-types test: index.d.ts type-checks test/usage.ts under --strict,
# or "skipped" (exit 77) where no TypeScript compiler is installed (Debian: node-typescript).
tsc=$(command -v tsc) || { echo "skipped: no tsc on PATH (install node-typescript)"; exit 77; }
cd "$(dirname "$0")" || exit 1
"$tsc" --version
exec "$tsc" --noEmit --strict --target es2022 --lib es2022 --module nodenext --moduleResolution nodenext usage.ts
