package main

import (
	"bufio"
	"fmt"
	"os"
	"sort"
)

// merge joins overlapping or touching intervals ([start, end]) and returns them sorted
// by start.
func merge(intervals [][2]int) [][2]int {
	sorted := append([][2]int(nil), intervals...)
	sort.Slice(sorted, func(a, b int) bool { return sorted[a][0] < sorted[b][0] })
	var merged [][2]int
	for _, interval := range sorted {
		last := len(merged) - 1
		if last >= 0 && interval[0] <= merged[last][1] {
			if interval[1] > merged[last][1] {
				merged[last][1] = interval[1]
			}
		} else {
			merged = append(merged, interval)
		}
	}
	return merged
}

func main() {
	in := bufio.NewReader(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	var count int
	fmt.Fscan(in, &count)
	intervals := make([][2]int, count)
	for k := range intervals {
		fmt.Fscan(in, &intervals[k][0], &intervals[k][1])
	}
	for _, interval := range merge(intervals) {
		fmt.Fprintln(out, interval[0], interval[1])
	}
}
