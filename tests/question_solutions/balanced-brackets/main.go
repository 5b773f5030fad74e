package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// isBalanced reports whether every bracket in s is closed in the right order.
func isBalanced(s string) bool {
	pairs := map[rune]rune{')': '(', ']': '[', '}': '{'}
	var stack []rune
	for _, ch := range s {
		switch ch {
		case '(', '[', '{':
			stack = append(stack, ch)
		case ')', ']', '}':
			if len(stack) == 0 || stack[len(stack)-1] != pairs[ch] {
				return false
			}
			stack = stack[:len(stack)-1]
		}
	}
	return len(stack) == 0
}

func main() {
	in := bufio.NewReader(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	first, _ := in.ReadString('\n')
	count, _ := strconv.Atoi(strings.TrimSpace(first))
	for k := 0; k < count; k++ {
		line, _ := in.ReadString('\n')
		fmt.Fprintln(out, isBalanced(strings.TrimRight(line, "\r\n")))
	}
}
