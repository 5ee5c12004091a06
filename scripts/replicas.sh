#!/bin/bash
# make replicas: two replicas of one CA on a local PostgreSQL, sharing the dev SoftHSM token.
# Replica 1: gRPC 127.0.0.1:8443, HTTP 8080. Replica 2: gRPC 8444, HTTP 8081. Ctrl-C stops both
# and the database (its data stays in var/replicas/pg).
set -euo pipefail
VAR=${VAR:-var}
R=$VAR/replicas
CONFIG=config/grpca.postgres.example.json
mkdir -p "$R"

scripts/local-postgres.sh "$R/pg" 55432 "$R/db.password"
./hsm-config/init-token.sh "$VAR/dev/hsm" >/dev/null
sed -e 's/"port": 8443/"port": 8444/' -e 's/"port": 8080/"port": 8081/' \
  -e 's#127.0.0.1:8080#127.0.0.1:8081#' "$CONFIG" > "$R/replica-2.json"
export SOFTHSM2_CONF=$PWD/$VAR/dev/hsm/softhsm2.conf

pids=()
stop() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/local-postgres.sh "$R/pg" stop
  echo "stopped both replicas and the database"
}
trap stop EXIT INT TERM

ready() { # port name log
  for _ in $(seq 1 120); do
    if curl -fs "http://127.0.0.1:$1/readyz" >/dev/null 2>&1; then
      echo "$2 ready: $(curl -fs "http://127.0.0.1:$1/readyz" | tr '\n' ',' | sed 's/,$//')"
      return 0
    fi
    sleep 0.5
  done
  echo "$2 did not become ready; its log ($3):" >&2
  tail -20 "$3" >&2
  return 1
}

# One after the other: the first makes the CA (keys in the token, rows in the database), the
# second finds it.
java -jar server/target/grpca-server.jar --config "$CONFIG" > "$R/replica-1.log" 2>&1 &
pids+=($!)
ready 8080 "replica 1 (gRPC 127.0.0.1:8443, HTTP 127.0.0.1:8080)" "$R/replica-1.log"
java -jar server/target/grpca-server.jar --config "$R/replica-2.json" > "$R/replica-2.log" 2>&1 &
pids+=($!)
ready 8081 "replica 2 (gRPC 127.0.0.1:8444, HTTP 127.0.0.1:8081)" "$R/replica-2.log"
cat <<INFO
Both serve one CA from one database: issue on one, revoke on the other, ask either's OCSP.
  admin token: $R/admin.token    root: $R/dev/ca.pem    logs: $R/replica-1.log, $R/replica-2.log
Ctrl-C stops both.
INFO
wait
