#!/usr/bin/env bash
# `make run`: the whole service on this machine, under .run/ (kept between runs; delete .run/
# to start over), until Ctrl-C, which stops all it started.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=$(swift build --show-bin-path)
licensectl="${bin#"$PWD"/}/licensectl"
export BIN="$bin"
run=.run

trap 'echo; echo "stopping…"; scripts/stack.sh stop "$run"; exit 0' INT TERM
scripts/stack.sh stop "$run" 2>/dev/null || true
scripts/stack.sh start "$run"

for host in localhost 127.0.0.1; do
    echo
    echo "== $run/license/$host.txt"
    cat "$run/license/$host.txt"
    "$licensectl" verify --issuers "$run/issuers" "$run/license/$host.txt" | tail -n 1
done

cat <<TEXT

The service is up: nginx on https://localhost:${HTTPS_PORT:-8443} (certificate $run/tls/localhost.pem),
the worker pool on $run/fcgi.sock, PostgreSQL on socket $run/pg (port ${PG_PORT:-55432}, database license),
logs in $run/log. Try:

  code=\$($licensectl code --key-file $run/license/localhost.txt --revision 1.2 --user-id demo-user-0001 --domain localhost)
  curl --cacert $run/tls/localhost.pem "https://localhost:${HTTPS_PORT:-8443}/check?code=\$code"
  curl --cacert $run/tls/localhost.pem -H 'Accept: application/json' "https://localhost:${HTTPS_PORT:-8443}/check?code=\$code"
  $licensectl check --server https://localhost:${HTTPS_PORT:-8443} --cacert $run/tls/localhost.pem \\
      --key-file $run/license/localhost.txt --revision 1.2 --domain localhost --user-id-file $run/demo-user-id
  runuser -u postgres -- psql -h $PWD/$run/pg -p ${PG_PORT:-55432} -d license -c 'SELECT * FROM seats'
  curl http://127.0.0.1:${METRICS_PORT:-9464}/metrics

TEXT

# The browser client's example page (clients/web), a site of its own that checks cross-origin.
url_encoded() {
    local text=$1 encoded="" character index
    for ((index = 0; index < ${#text}; index++)); do
        character=${text:index:1}
        case "$character" in [A-Za-z0-9._~-]) encoded+=$character ;; *) encoded+=$(printf '%%%02X' "'$character") ;; esac
    done
    printf '%s' "$encoded"
}
web_key=$(grep -v '^#' "$run/license/app.localhost.txt" | head -n 1)
cat <<TEXT
In a browser (accept the self-signed certificate of https://localhost:${HTTPS_PORT:-8443}/healthz first), the
web client's example page, its answers verified with $run/answer-keys/default.pem:

  https://app.localhost:${HTTPS_PORT:-8443}/example.html?server=$(url_encoded "https://localhost:${HTTPS_PORT:-8443}")&revision=1.2&key=$(url_encoded "$web_key")&answerKey=$(url_encoded "$(cat "$run/answer-keys/default.pem")")

The console (user console, password in $run/console-password):

  https://console.localhost:${HTTPS_PORT:-8443}/console/

Ctrl-C stops everything.
TEXT

while true; do
    sleep 3600 &
    wait $! || true
done
