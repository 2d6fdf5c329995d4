#!/bin/sh
# A plugin that writes 10 MiB of long text after its status line.
echo "OK - ten megabytes follow | written=10485760B;;;0;"
yes 'long text that goes on and on and on and on and on and on and on' | head -c 10485760
exit 0
