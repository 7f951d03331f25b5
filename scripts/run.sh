#!/usr/bin/env bash
# `make run`: an issuer key pair, demo keys for localhost and 127.0.0.1, and their
# verification, all under .run/ (kept between runs; delete .run/ to start over).
set -euo pipefail
cd "$(dirname "$0")/.."

bin=$(swift build --show-bin-path)
licensectl="${bin#"$PWD"/}/licensectl"
issuers=.run/issuers
licenses=.run/license

if [ ! -f "$issuers/default.key" ]; then
    "$licensectl" keygen --out "$issuers" --name default
fi

# A demo key runs for a year from today; re-issued on every run (Ed25519 is deterministic,
# so the same day gives the same key).
first_day=$(LC_ALL=C date -u +%d%b%Y)
last_day=$(LC_ALL=C date -u -d '+365 days' +%d%b%Y)
for host in localhost 127.0.0.1; do
    "$licensectl" issue --signing-key "$issuers/default.key" --out-dir "$licenses" -- \
        X-DEMO "id=demo-$host" "licensee=Demo licensee" version=+1.0 type=floating \
        users=5 hosts=5 rights=10 option=Export users=2 \
        "duration=$first_day-$last_day" "host=$host" >/dev/null
done

for host in localhost 127.0.0.1; do
    echo
    echo "== $licenses/$host.txt"
    cat "$licenses/$host.txt"
    echo "-- licensectl verify --issuers $issuers $licenses/$host.txt"
    "$licensectl" verify --issuers "$issuers" "$licenses/$host.txt"
done

cat <<TEXT

The issuer key pair is in $issuers (default.key is private), the demo keys in $licenses.
Try:
  $licensectl info
  $licensectl code --key-file $licenses/localhost.txt --revision 1.2 --user-id demo-user-0001 --domain localhost
  $licensectl issue --signing-key $issuers/default.key -- X-DEMO id=ACME-1 'licensee=ACME Corp' users=5 host=example.com
TEXT
