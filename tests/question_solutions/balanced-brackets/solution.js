const PAIRS = { ')': '(', ']': '[', '}': '{' };

function solve(s) {
  const stack = [];
  for (const ch of s) {
    if (ch === '(' || ch === '[' || ch === '{') {
      stack.push(ch);
    } else if (ch in PAIRS) {
      if (stack.length === 0 || stack.pop() !== PAIRS[ch]) return false;
    }
  }
  return stack.length === 0;
}
