#!/usr/bin/env bash
# The compiled module (src/livelens/_columnar.c) under AddressSanitizer + UndefinedBehaviorSanitizer:
# build it with both, run the tests that drive it (the C decoder's property tests read random,
# mutated and truncated JSON lines), then build it again as `make setup` does, whatever happened.
# Not part of `make test`: it needs gcc's libasan/libubsan and runs several times slower.
set -euo pipefail
cd "$(dirname "$0")/.."
python=.venv/bin/python
include=$($python -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
suffix=$($python -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
trap '$python -m pip install --quiet --disable-pip-version-check --no-deps -e .' EXIT
gcc -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
    -fPIC -shared "-I$include" src/livelens/_columnar.c -o "src/livelens/_columnar$suffix"
LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)" \
ASAN_OPTIONS=detect_leaks=0 \
    $python -m pytest -q -p no:cacheprovider tests/events tests/test_ingest.py \
    tests/sources/test_jsonl_blocks.py "$@"
