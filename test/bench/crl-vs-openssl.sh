#!/usr/bin/env bash
# Parses one 1,000,000-entry CRL with lienthong's parser (Go benchmark) and
# with `openssl crl -noout` in the same run, and prints both, so the ratio
# is measured on the same machine at the same time. Needs openssl and GNU time.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-/tmp/lienthong-crl1m.der}
export LIENTHONG_CRL1M_OUT=$out
go test -run '^$' -bench 'Parse1M$' -benchmem -count 5 ./validate/crl/ | grep -E '^BenchmarkParse1M'
for i in 1 2 3 4 5; do
  /usr/bin/time -f "openssl crl -noout: %e s wall, %M KiB max RSS" openssl crl -noout -inform DER -in "$out"
done
