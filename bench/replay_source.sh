#!/usr/bin/env bash
# An external "connector" for the protocol benchmark: replays a file of Airbyte RECORD lines
# ($REPLAY_FILE) for the faker `users` stream, as fast as `cat` can.
set -euo pipefail
case "$1" in
  spec) echo '{"type":"SPEC","spec":{"connectionSpecification":{"type":"object"}}}' ;;
  check) echo '{"type":"CONNECTION_STATUS","connectionStatus":{"status":"SUCCEEDED"}}' ;;
  discover) cat "$REPLAY_CATALOG" ;;
  read) cat "$REPLAY_FILE" ;;
esac
