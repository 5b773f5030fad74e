// The room's Tests tab: the question's tests, "Run tests" (Ctrl/Cmd+Shift+Enter) and Stop,
// each result as it arrives (test_run_started, test_result, test_run_finished), and the
// latest test run again after a reload or reconnect. The server filters by role: a
// candidate's events and answers carry no hidden test's input or output, so this page
// cannot show them; interviewers get them all, and the score.
import { api } from './api.js'
import { h, clear, formatDuration } from './dom.js'
import { percent, testItem } from './test_results.js'

export class TestsPanel {
  constructor ({ sessionId, token, isInterviewer }) {
    this.sessionId = sessionId
    this.token = token
    this.isInterviewer = isInterviewer
    this.question = null
    this.currentRun = null
    this.shownRun = null
    this.results = []
    // Runs whose end this tab saw: a late 202 or replayed start must not reopen them.
    this.finishedRuns = new Set()
    this.runButton = h('button.run-tests', {
      type: 'button', onclick: () => this.run(), title: 'Run tests (Ctrl/Cmd+Shift+Enter)'
    }, 'Run tests')
    this.stopButton = h('button.secondary.stop-tests', { type: 'button', hidden: true, onclick: () => this.stop() }, 'Stop')
    this.summary = h('div.tests-summary', { 'aria-live': 'polite' })
    this.status = h('p.error.tests-error', { role: 'alert' })
    this.list = h('ol.test-list')
    this.element = h('section.tests-panel', {},
      h('div.run-bar', {}, this.runButton, this.stopButton, h('span.muted.shortcut', {}, 'Ctrl/Cmd+Shift+Enter')),
      this.summary, this.status, this.list)
  }

  setQuestion (question) {
    this.question = question
    this.results = []
    this.shownRun = null
    this.summary.textContent = ''
    this.summary.className = 'tests-summary'
    this.render()
  }

  testAt (index) {
    const tests = this.question ? this.question.tests : []
    if (tests[index]) return tests[index]
    const result = this.results[index] || {}
    return { name: result.name || `test ${index + 1}`, hidden: Boolean(result.hidden), stdin: result.stdin, expectedStdout: result.expected }
  }

  render (state) {
    const count = Math.max(this.question ? this.question.tests.length : 0, this.results.length)
    clear(this.list)
    for (let index = 0; index < count; index++) {
      this.list.append(testItem(this.testAt(index), index, this.results[index] || null, this.results[index] ? null : state))
    }
    if (!count) this.list.append(h('li.muted', {}, 'This question has no tests.'))
  }

  showError (message) {
    this.status.textContent = message
  }

  async run () {
    if (!this.question || this.currentRun || this.runButton.disabled) return
    this.status.textContent = ''
    this.runButton.disabled = true
    try {
      const { data } = await api('POST', `/sessions/${this.sessionId}/test-runs`, { token: this.token })
      if (!this.currentRun) this.started({ testRunId: data.id, total: data.total })
    } catch (error) {
      this.runButton.disabled = Boolean(this.currentRun)
      this.showError(error.message)
    }
  }

  async stop () {
    if (!this.currentRun) return
    try {
      await api('POST', `/sessions/${this.sessionId}/test-runs/${this.currentRun}/cancel`, { token: this.token })
    } catch (error) {
      this.showError(error.message)
    }
  }

  started (event) {
    if (this.finishedRuns.has(event.testRunId)) return
    if (this.shownRun === event.testRunId && this.currentRun === event.testRunId) return
    this.currentRun = event.testRunId
    this.shownRun = event.testRunId
    this.results = []
    this.status.textContent = ''
    this.summary.className = 'tests-summary running'
    this.summary.textContent = `Running ${event.total} ${event.total === 1 ? 'test' : 'tests'}…`
    this.runButton.disabled = true
    this.stopButton.hidden = false
    this.render('running…')
  }

  result (event) {
    if (event.testRunId !== this.shownRun) return
    this.results[event.index] = event
    const old = this.list.querySelector(`[data-index="${event.index}"]`)
    const item = testItem(this.testAt(event.index), event.index, event, null)
    if (old) old.replaceWith(item)
    else this.render(this.currentRun ? 'running…' : null)
  }

  finished (event) {
    this.finishedRuns.add(event.testRunId)
    if (event.testRunId === this.currentRun) {
      this.currentRun = null
      this.runButton.disabled = false
      this.stopButton.hidden = true
    }
    if (event.testRunId !== this.shownRun) return
    const words = [`${event.passed} of ${event.total} ${event.total === 1 ? 'test' : 'tests'} passed`]
    if (event.cancelled) words.push('stopped')
    if (event.durationMs !== null && event.durationMs !== undefined) words.push(formatDuration(event.durationMs))
    this.summary.className = `tests-summary ${event.failed === 0 && !event.cancelled ? 'ok' : 'failed'}`
    this.summary.textContent = words.join(' · ')
    if (this.isInterviewer && event.score !== null && event.score !== undefined) {
      this.summary.append(' · ', h('strong.tests-score', {}, `Score ${percent(event.score)}`))
    }
    this.render()
  }

  // The latest test run as the server holds it (by role): on load and after a reconnect,
  // since events sent while this tab was away are lost.
  async resync () {
    if (!this.question) return
    let runs
    try {
      runs = (await api('GET', `/sessions/${this.sessionId}/test-runs?limit=1`, { token: this.token })).data
    } catch (error) {
      this.showError(error.message)
      return
    }
    const latest = runs[0]
    if (!latest) return
    if (latest.status === 'running') {
      this.currentRun = null
      this.started({ testRunId: latest.id, total: latest.total })
      for (const result of latest.results) this.result({ ...result, testRunId: latest.id })
      return
    }
    if (this.currentRun && this.currentRun !== latest.id) return
    this.shownRun = latest.id
    this.currentRun = latest.id
    this.results = []
    for (const result of latest.results) this.results[result.index] = result
    this.finished({
      testRunId: latest.id, passed: latest.passed, failed: latest.failed, total: latest.total,
      score: latest.score, cancelled: latest.results.some((result) => result.reason === 'cancelled'),
      durationMs: latest.finishedAt - latest.startedAt
    })
  }
}
