#!/bin/sh
# A plugin with perfdata in every unit and range form, on its first line
# and in its long text.
echo "WARNING - latency high | rta=250ms;100;200;0; loss=25%;20;50;0;100 'free space'=2GB;1:;0.5:;0;10"
echo "long text 1"
echo "long text 2 | hits=42c cpu=0.5s;~:1;~:2 band=15;10:20;@30:40"
echo "broken=x 'ok item'=1KB"
exit 1
