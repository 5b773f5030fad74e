// A line diff of a test's expected and actual output, for a failed test: the longest common
// subsequence of lines, then each line as kept, missing (expected only) or extra (actual
// only). Past MAX_LINES a side, the table would cost too much: no diff, both outputs stay.
export const MAX_LINES = 400

export function lineDiff (expected, actual) {
  const a = splitLines(expected)
  const b = splitLines(actual)
  if (a.length > MAX_LINES || b.length > MAX_LINES) return null
  const rows = a.length + 1
  const cols = b.length + 1
  const table = new Uint16Array(rows * cols)
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      table[i * cols + j] = a[i] === b[j]
        ? table[(i + 1) * cols + j + 1] + 1
        : Math.max(table[(i + 1) * cols + j], table[i * cols + j + 1])
    }
  }
  const lines = []
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      lines.push(['same', a[i]]); i++; j++
    } else if (i < a.length && (j === b.length || table[(i + 1) * cols + j] >= table[i * cols + j + 1])) {
      lines.push(['missing', a[i]]); i++
    } else {
      lines.push(['extra', b[j]]); j++
    }
  }
  return lines
}

function splitLines (text) {
  const lines = (text || '').split('\n')
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop()
  return lines
}
