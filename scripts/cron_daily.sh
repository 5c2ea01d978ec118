#!/usr/bin/env bash
# The daily run for cron: `spread-eagle run-daily` (today, league time, unless arguments say
# otherwise), its output appended to a dated log file, its exit status returned.
#
#   15 9 * * *  /srv/spread-eagle/scripts/cron_daily.sh
#   15 9 * * *  /srv/spread-eagle/scripts/cron_daily.sh --date 2024-11-24   # any run-daily option
#
# Logs: $SPREAD_EAGLE_CRON_LOG_DIR (default logs/cron under the checkout)/run-daily.YYYY-MM-DD.log.
# Overlaps are safe: run-daily holds the run lock of its league and date, so a second run of the
# same date (a slow run, a retry, a person typing it) is refused at once and exits non-zero, and
# nothing is published twice. The exit status is run-daily's: 0 only when the run validated and
# published, so cron's MAILTO (or a wrapper such as healthchecks) sees a failure.
# Configuration is the environment or .env in the checkout (SPREAD_EAGLE_*), as for a person.
set -uo pipefail
cd "$(dirname "$0")/.."
log_dir=${SPREAD_EAGLE_CRON_LOG_DIR:-logs/cron}
mkdir -p "$log_dir"
log="$log_dir/run-daily.$(date +%F).log"
bin=${SPREAD_EAGLE_BIN:-.venv/bin/spread-eagle}
{
  echo "== $(date -u +%FT%TZ) spread-eagle run-daily $*"
  "$bin" run-daily "$@"
  status=$?
  echo "== $(date -u +%FT%TZ) exit $status"
  exit "$status"
} >>"$log" 2>&1
