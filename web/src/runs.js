// The shared console (output streams in as the room's run events arrive, stdout and stderr
// told apart) and the run history from the REST API.
import { api } from './api.js'
import { h, clear, formatClock, formatDuration } from './dom.js'
import { label } from './templates.js'

export function describeResult (run) {
  const parts = []
  if (run.cancelled) parts.push('stopped')
  else if (run.timedOut) parts.push('time limit reached')
  else if (run.memoryExceeded) parts.push('memory limit reached')
  else if (run.signal) parts.push(`killed by ${run.signal}`)
  else parts.push(`exit code ${run.exitCode}`)
  if (run.durationMs !== null && run.durationMs !== undefined) parts.push(formatDuration(run.durationMs))
  if (run.outputTruncated) parts.push('output truncated')
  return parts.join(' · ')
}

export class RunPanel {
  constructor ({ sessionId, token, people, getLanguage, getCode }) {
    this.sessionId = sessionId
    this.token = token
    this.people = people
    this.getLanguage = getLanguage
    this.getCode = getCode
    this.currentRun = null
    this.shownRun = null
    this.stdin = h('textarea.stdin', { placeholder: 'stdin (optional)', rows: '2', spellcheck: false, 'aria-label': 'Standard input' })
    this.runButton = h('button.run', { type: 'button', onclick: () => this.run(), title: 'Run (Ctrl/Cmd+Enter)' }, 'Run')
    this.stopButton = h('button.secondary.stop', { type: 'button', hidden: true, onclick: () => this.stop() }, 'Stop')
    this.heading = h('div.console-heading.muted', {}, 'Output appears here for everyone in the room.')
    this.output = h('pre.output', { 'aria-live': 'polite' })
    this.result = h('div.result')
    this.preview = null
    this.history = h('ol.history')
    this.element = h('section.console-panel', {},
      h('div.run-bar', {}, this.runButton, this.stopButton, this.stdin),
      this.heading, this.output, this.result)
    this.historyElement = h('section.history-panel', {}, this.history)
  }

  async run () {
    if (this.getLanguage() === 'html') return this.renderPreview()
    if (this.currentRun) return
    this.runButton.disabled = true
    try {
      await api('POST', `/sessions/${this.sessionId}/runs`, {
        token: this.token, body: { stdin: this.stdin.value }
      })
    } catch (error) {
      this.runButton.disabled = Boolean(this.currentRun)
      this.showError(error.message)
    }
  }

  async stop () {
    if (!this.currentRun) return
    try {
      await api('POST', `/sessions/${this.sessionId}/runs/${this.currentRun}/cancel`, { token: this.token })
    } catch (error) {
      this.showError(error.message)
    }
  }

  showHeading (language, by, at) {
    this.heading.textContent = `${label(language)} · run by ${this.people.name(by)} · ${formatClock(at)}`
  }

  // `run` is a run_finished event or a finished run from the history: same fields.
  showResult (run) {
    const ok = run.exitCode === 0 && !run.timedOut && !run.cancelled
    this.result.className = `result ${ok ? 'ok' : 'failed'}`
    this.result.textContent = describeResult(run)
  }

  showError (message) {
    this.result.className = 'result failed'
    this.result.textContent = message
  }

  // html renders in the browser, in a sandboxed frame with no access to this page.
  renderPreview () {
    this.clearConsole()
    this.heading.textContent = 'HTML preview (in your browser only)'
    this.preview = h('iframe.preview', { sandbox: 'allow-scripts', title: 'HTML preview' })
    this.preview.srcdoc = this.getCode()
    this.output.replaceWith(this.preview)
  }

  clearConsole () {
    if (this.preview) {
      this.preview.replaceWith(this.output)
      this.preview = null
    }
    clear(this.output)
    this.result.className = 'result'
    this.result.textContent = ''
  }

  started (event) {
    this.currentRun = event.runId
    this.shownRun = event.runId
    this.clearConsole()
    this.showHeading(event.language, event.by, event.timestamp)
    this.result.className = 'result running'
    this.result.textContent = 'Running…'
    this.runButton.disabled = true
    this.stopButton.hidden = false
  }

  appendOutput (event) {
    if (event.runId !== this.shownRun) return
    this.output.append(h(`span.${event.stream}`, {}, event.data))
    this.output.scrollTop = this.output.scrollHeight
  }

  finished (event) {
    if (event.runId === this.currentRun) {
      this.currentRun = null
      this.runButton.disabled = false
      this.stopButton.hidden = true
    }
    if (event.runId === this.shownRun) {
      this.showResult(event)
    }
    this.loadHistory()
  }

  async loadHistory () {
    let runs
    try {
      runs = (await api('GET', `/sessions/${this.sessionId}/runs?limit=20`, { token: this.token })).data
    } catch (error) {
      return
    }
    const running = runs.find((run) => run.status === 'running')
    if (running && !this.currentRun) {
      this.started({ runId: running.id, language: running.language, by: running.by, timestamp: running.startedAt })
    } else if (!this.shownRun && runs.length) {
      // A late joiner or a reload sees what ran last.
      this.show(runs[0].id)
    }
    clear(this.history).append(...runs.map((run) => h('li', {},
      h('button.history-item', { type: 'button', onclick: () => this.show(run.id) },
        h('span', {}, `${formatClock(run.startedAt)} · ${label(run.language)} · ${this.people.name(run.by)}`),
        h('span.muted', {}, run.status === 'running' ? 'running…' : describeResult(run))))))
    if (!runs.length) this.history.append(h('li.muted', {}, 'No runs yet.'))
  }

  async show (runId) {
    try {
      const run = (await api('GET', `/sessions/${this.sessionId}/runs/${runId}`, { token: this.token })).data
      this.shownRun = run.id
      this.clearConsole()
      this.showHeading(run.language, run.by, run.startedAt)
      for (const chunk of run.output) this.output.append(h(`span.${chunk.stream}`, {}, chunk.data))
      if (run.status === 'finished') {
        this.showResult(run)
      }
    } catch (error) {
      this.showError(error.message)
    }
  }
}
