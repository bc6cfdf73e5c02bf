#!/usr/bin/env bash
# The curl session of `repair serve`, end to end, against the fake model server:
# 401 without the token, 200 with it, 413, 422, 503 with Retry-After under load, and the
# same result as `repair fix --json` for the seed. Prints each status.
#
#   bash docs/serve-session.sh          (a checkout with repair[serve] installed; curl, jq)
#   PYTHON=.venv/bin/python bash docs/serve-session.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
work=$(mktemp -d)
cleanup() {
    kill $(jobs -p) 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
FAKE_PORT=$(port)
SERVE_PORT=$(port)
URL=http://127.0.0.1:$SERVE_PORT

# A model that takes 0.3 s an answer, so that a repair is in flight long enough to see a 503.
"$PY" -m repair.fake --port "$FAKE_PORT" --ttft 0.3 >/dev/null &
export OPENAI_API_KEY=sk-session-fake-key-0000
export REPAIR_SERVICE_TOKEN
REPAIR_SERVICE_TOKEN=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(32))')
MODEL=(--base-url "http://127.0.0.1:$FAKE_PORT/v1" --model fake-repair --verify rules)
"$PY" -m repair serve --port "$SERVE_PORT" "${MODEL[@]}" --max-inflight 1 \
    --max-chars 100000 --max-body 1000000 --cache "$work/cache" 2>"$work/serve.log" &
for _ in $(seq 100); do curl -sf "$URL/healthz" >/dev/null && break; sleep 0.1; done

AUTH="Authorization: Bearer $REPAIR_SERVICE_TOKEN"
JSON="Content-Type: application/json"
jq -Rs '{text: .}' golden/putin-trump/input.txt >"$work/seed.json"

show() { # what, status, body file
    printf '%-44s -> %s  %s\n' "$1" "$2" "$(head -c 150 "$3")"
}

status=$(curl -s -o "$work/a" -w '%{http_code}' "$URL/v1/repair" -H "$JSON" --data @"$work/seed.json")
show "POST /v1/repair, no token" "$status" "$work/a"

status=$(curl -s -o "$work/served.json" -w '%{http_code}' "$URL/v1/repair" -H "$AUTH" -H "$JSON" \
    --data @"$work/seed.json")
show "POST /v1/repair, the seed, with the token" "$status" "$work/served.json"

"$PY" -c 'import json; print(json.dumps({"text": "word " * 300000}))' >"$work/big.json"
status=$(curl -s -o "$work/a" -w '%{http_code}' "$URL/v1/repair" -H "$AUTH" -H "$JSON" \
    --data-binary @"$work/big.json")
show "POST /v1/repair, a 1.5 MB body" "$status" "$work/a"

status=$(curl -s -o "$work/a" -w '%{http_code}' "$URL/v1/repair" -H "$AUTH" -H "$JSON" \
    -d '{"txt": "A typo in the field name.", "style": "bold"}')
show "POST /v1/repair, malformed fields" "$status" "$work/a"

# One repair in flight (--max-inflight 1), then another request.
jq -Rs '{text: .}' golden/economy-inflation/input.txt >"$work/other.json"
curl -s -o /dev/null "$URL/v1/repair" -H "$AUTH" -H "$JSON" --data @"$work/other.json" &
for _ in $(seq 100); do
    [ "$(curl -s "$URL/healthz" | jq .inflight)" = 1 ] && break
    sleep 0.05
done
status=$(curl -s -D "$work/h" -o "$work/a" -w '%{http_code}' "$URL/v1/repair" -H "$AUTH" -H "$JSON" \
    -d '{"text": "An other article, while the first is repaired."}')
show "POST /v1/repair, while one is in flight" "$status" "$work/a"
printf '%-44s    %s\n' "" "$(grep -i '^retry-after' "$work/h" | tr -d '\r')"
wait %3 2>/dev/null || true

# The same article through the command line: the same result, once the fields that describe
# one run (timings, attempts, the order concurrent calls ended in, the provider's prompt
# cache, when it finished, the file the CLI read) are set aside.
"$PY" -m repair fix golden/putin-trump/input.txt --json "${MODEL[@]}" >"$work/fixed.json" 2>/dev/null
run_fields='del(.timings, .finished_at, .source_file, .usage.cached_tokens)
    | .calls |= (map(del(.started_s, .wait_s, .attempts, .cached_tokens)) | sort_by(.chunk, .purpose))'
if diff <(jq -S "$run_fields" "$work/served.json") <(jq -S "$run_fields" "$work/fixed.json") >/dev/null; then
    echo "POST /v1/repair and repair fix --json, the seed  -> the same result ($(jq '.paragraphs | length' "$work/served.json") paragraphs, $(jq '.edits | length' "$work/served.json") edits)"
else
    echo "POST /v1/repair and repair fix --json, the seed  -> DIFFERENT"
    exit 1
fi

status=$(curl -s -D "$work/h" -o "$work/a" -w '%{http_code}' "$URL/v1/repair" -H "$AUTH" -H "$JSON" \
    --data @"$work/seed.json")
printf '%-44s -> %s  %s\n' "POST /v1/repair, the seed again" "$status" \
    "$(grep -i '^x-repair-cache-hits' "$work/h" | tr -d '\r') (model calls answered from the store)"

if grep -q "$OPENAI_API_KEY" "$work/serve.log" "$work"/*.json "$work/a" "$work/h"; then
    echo "the API key was found in an answer or the log"
    exit 1
fi
echo "the API key: in no answer and not in the service's log ($(grep -c '^{' "$work/serve.log") access lines)"
