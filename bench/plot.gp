# bench/plot.gp: the chart bench/README.md links (called by report.sh with
# -e "ratios='...'; loss='...'; out='...'; title='...'").
#   left:  hdp/peer (ratio of the medians; above 1 hdp is faster) as bars,
#          the target of each as a mark; log scale.
#   right: packets lost by live capture, tcpdump and hdp side by side.
set terminal pngcairo size 1100,520 font "sans,10" noenhanced
set output out
if (has_loss) {
	set multiplot layout 1,2 title "hdp benchmarks (".title.")"
} else {
	set multiplot layout 1,1 title "hdp benchmarks (".title.")"
}

set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.8
set grid ytics
set key top left

set title "speed: hdp / peer (median), target marked"
set logscale y 10
set yrange [0.05:1000]
set ylabel "ratio hdp/peer (log)"
set xtics rotate by -30 font "sans,8" nomirror
plot ratios using 2:xtic(1) title "hdp/peer" lc rgb "#3b75af", \
     ratios using 0:3 with points pt 9 ps 2 lc rgb "#d62728" title "target", \
     ratios using 0:2:(sprintf("%.2f", $2)) with labels offset 0,0.8 \
       font "sans,8" notitle, \
     1 with lines dt 2 lc rgb "gray" title "parity"

if (!has_loss) { unset multiplot; exit }
unset logscale y
set autoscale y
set yrange [0:*]
set title "live capture during a trafgen flood: packets lost"
set ylabel "lost (%)"
set xtics rotate by 0 font "sans,9"
plot loss using 2:xtic(1) title "tcpdump" lc rgb "#999999", \
     loss using 3 title "hdp" lc rgb "#3b75af", \
     loss using ($0 - 0.2):2:(sprintf("%.2f", $2)) with labels \
       offset 0,0.8 font "sans,8" notitle, \
     loss using ($0 + 0.2):3:(sprintf("%.2f", $3)) with labels \
       offset 0,0.8 font "sans,8" notitle
unset multiplot
