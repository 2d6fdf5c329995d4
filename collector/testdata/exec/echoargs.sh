#!/bin/sh
# A plugin that writes its arguments and environment to the file named by
# $OUT (so the test sees what it was given), echoes them on its first
# line, and exits with $EXIT (default 0).
{ printf '%s\n' "$@"; env; } > "$OUT"
echo "OK - args $* token $TOKEN | items=3;5;10;0;"
echo "long text line"
exit "${EXIT:-0}"
