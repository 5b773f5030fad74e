package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// twoSum returns i < j with nums[i] + nums[j] == target.
func twoSum(nums []int, target int) (int, int) {
	seen := make(map[int]int, len(nums))
	for j, number := range nums {
		if i, ok := seen[target-number]; ok {
			return i, j
		}
		seen[number] = j
	}
	return -1, -1
}

func main() {
	in := bufio.NewReader(os.Stdin)
	first, _ := in.ReadString('\n')
	var nums []int
	for _, word := range strings.Fields(first) {
		number, _ := strconv.Atoi(word)
		nums = append(nums, number)
	}
	second, _ := in.ReadString('\n')
	target, _ := strconv.Atoi(strings.TrimSpace(second))
	i, j := twoSum(nums, target)
	fmt.Println(i, j)
}
