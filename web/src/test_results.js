// One test's line and details, in the room's Tests tab and the question editor's trial.
// A test the page has no data for (a hidden one, for a candidate) is its number and
// whether it passed, nothing more: "Hidden test 3: passed".
import { h, formatDuration } from './dom.js'
import { lineDiff } from './diff.js'

const REASON_WORDS = {
  passed: 'passed',
  wrong_answer: 'wrong answer',
  time_limit: 'time limit reached',
  cpu_limit: 'CPU time limit reached',
  memory_limit: 'memory limit reached',
  output_limit: 'output limit reached',
  compile_error: 'compile error',
  runtime_error: 'runtime error',
  error: 'could not run',
  cancelled: 'stopped'
}

export function outcome (result) {
  if (result.passed) return 'passed'
  const words = REASON_WORDS[result.reason] || result.reason
  return result.reason === 'wrong_answer' ? 'failed (wrong answer)' : `failed (${words})`
}

export function testLabel (test, index) {
  const number = index + 1
  if (test.hidden) return test.stdin === null || test.stdin === undefined ? `Hidden test ${number}` : `Hidden test ${number} · ${test.name}`
  return `Test ${number} · ${test.name}`
}

function block (className, title, text) {
  return h('div.test-field', {}, h('span.test-field-name.muted', {}, title), h(`pre.${className}`, {}, text === '' ? '(empty)' : text))
}

function diffBlock (expected, actual) {
  const lines = lineDiff(expected, actual)
  if (!lines) return null
  const marks = { same: ' ', missing: '-', extra: '+' }
  return h('div.test-field', {},
    h('span.test-field-name.muted', {}, 'Diff (− expected, + actual)'),
    h('pre.test-diff', {}, lines.map(([kind, text]) => h(`span.diff-${kind}`, {}, `${marks[kind]} ${text}\n`))))
}

// `test` is the question's test (stdin/expectedStdout, null when hidden from this reader);
// `result` a test_result event or a stored result, or null before any run.
export function testItem (test, index, result, state) {
  const known = (value) => value !== null && value !== undefined
  const stdin = result && known(result.stdin) ? result.stdin : test.stdin
  // A hidden test this reader may not see is passed or failed, nothing more.
  const bare = test.hidden && !known(stdin)
  const status = result ? (bare ? (result.passed ? 'passed' : 'failed') : outcome(result)) : state || 'not run yet'
  const dataState = result ? (result.passed ? 'passed' : 'failed') : (state === 'running…' ? 'running' : 'pending')
  const expected = result && known(result.expected) ? result.expected : test.expectedStdout
  const line = h('div.test-line', {},
    h('span.test-name', {}, `${testLabel({ ...test, stdin }, index)}: `),
    h('span.test-outcome', {}, status),
    result && known(result.durationMs) ? h('span.muted', {}, ` · ${formatDuration(result.durationMs)}`) : null)
  const item = h('li.test-result', { 'data-index': String(index), 'data-state': dataState, 'data-hidden': String(Boolean(test.hidden)) }, line)
  if (!known(stdin)) return item
  const details = h('div.test-details', {},
    block('test-stdin', 'Input', stdin),
    known(expected) ? block('test-expected', 'Expected output', expected) : null)
  if (result && known(result.actual)) {
    details.append(block('test-actual', 'Actual output', result.actual))
    if (!result.passed && known(expected)) {
      const diff = diffBlock(expected, result.actual)
      if (diff) details.append(diff)
    }
  }
  if (result && result.stderr) details.append(block('test-stderr', 'stderr', result.stderr))
  item.append(details)
  return item
}

export function percent (score) {
  return `${Math.round(score * 1000) / 10}%`
}
