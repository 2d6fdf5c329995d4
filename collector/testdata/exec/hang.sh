#!/bin/sh
# A plugin that forks a child and hangs with it: both hold the output pipe.
# $1 is a file where the child's PID is written for the test to check.
sleep 1000 &
echo $! > "$1"
echo "OK - started a child that never ends"
sleep 1000
