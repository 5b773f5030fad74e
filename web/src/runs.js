// The shared console (output streams in as the room's run events arrive, stdout and stderr
// told apart) and the run history from the REST API.
import { api } from './api.js'
import { h, clear, formatClock, formatDuration } from './dom.js'
import { label } from './templates.js'

// The console keeps at most this many lines in the page: a print loop of 200,000 lines must
// not become 200,000 nodes. The full output stays in memory (it is bounded by the server's
// output limit) for the download link.
export const MAX_SHOWN_LINES = 2000
// A run that is still "running" this long after it started missed its end event; ask the
// server. Longer than any wall-clock limit plus the time to record the result.
const STALE_RUN_MS = 15000

// The server says why a run ended (`reason`) and the limit's value: no signal decoding here.
const REASONS = {
  compile_error: () => 'Compile error',
  time_limit: (limit) => `Time limit${limit ? ` (${formatSeconds(limit)})` : ''} reached`,
  cpu_limit: (limit) => `CPU time limit${limit ? ` (${formatSeconds(limit)})` : ''} reached`,
  memory_limit: (limit) => `Memory limit${limit ? ` (${formatBytes(limit)})` : ''} reached`,
  output_limit: (limit) => `Output limit${limit ? ` (${formatBytes(limit)})` : ''} reached`,
  cancelled: () => 'Stopped'
}

export function describeResult (run) {
  const parts = []
  const words = REASONS[run.reason]
  if (words) parts.push(words(run.limit))
  else if (run.signal) parts.push(`killed by ${run.signal}`)
  else if (run.exitCode === null || run.exitCode === undefined) parts.push('no exit code')
  else parts.push(`exit code ${run.exitCode}`)
  if (run.durationMs !== null && run.durationMs !== undefined) parts.push(formatDuration(run.durationMs))
  if (run.outputTruncated && run.reason !== 'output_limit') parts.push('output truncated')
  return parts.join(' · ')
}

function formatSeconds (seconds) {
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`
}

function formatBytes (bytes) {
  const units = [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]]
  for (const [unit, size] of units) {
    if (bytes >= size) {
      const value = bytes / size
      return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`
    }
  }
  return `${bytes} bytes`
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
    this.downloadLink = h('button.link-button.download-output', { type: 'button', onclick: () => this.downloadOutput() }, 'Download full output')
    this.hiddenText = h('span.hidden-lines')
    this.outputNote = h('div.output-note.muted', { hidden: true }, this.hiddenText, ' · ', this.downloadLink)
    this.chunks = []
    this.pending = []
    this.frame = null
    this.shownLines = 0
    this.hiddenLines = 0
    this.staleTimer = null
    // The seq expected next from run_output; a jump means events were lost on the way.
    this.nextSeq = 0
    this.outputGap = false
    // From a (re)connect until the output so far is fetched: every run_output that arrives,
    // replayed after what the fetch gave (the server stores an event just after sending it,
    // so a fetch can miss one the socket already brought).
    this.caughtLive = null
    this.result = h('div.result')
    this.preview = null
    this.history = h('ol.history')
    this.element = h('section.console-panel', {},
      h('div.run-bar', {}, this.runButton, this.stopButton, this.stdin),
      this.heading, this.outputNote, this.output, this.result)
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
    const ok = run.reason === 'exit' && run.exitCode === 0
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
    this.chunks = []
    this.pending = []
    if (this.frame !== null) cancelAnimationFrame(this.frame)
    this.frame = null
    this.shownLines = 0
    this.hiddenLines = 0
    this.outputNote.hidden = true
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
    this.nextSeq = 0
    this.outputGap = false
    this.watchRun(event.runId)
  }

  appendOutput (event) {
    if (this.caughtLive) this.caughtLive.push(event)
    if (event.runId !== this.shownRun) return
    if (event.seq !== this.nextSeq) this.outputGap = true
    this.nextSeq = event.seq + 1
    this.queueOutput(event.stream, event.data)
  }

  // Output is written to the page once per animation frame, whatever the event rate.
  queueOutput (stream, data) {
    this.chunks.push([stream, data])
    this.pending.push([stream, data])
    if (this.frame === null) this.frame = requestAnimationFrame(() => this.flushOutput())
  }

  flushOutput () {
    if (this.frame !== null) cancelAnimationFrame(this.frame)
    this.frame = null
    if (!this.pending.length) return
    // Neighbouring chunks of one stream become one node.
    const merged = []
    for (const [stream, data] of this.pending) {
      const last = merged[merged.length - 1]
      if (last && last[0] === stream) last[1] += data
      else merged.push([stream, data])
    }
    this.pending = []
    for (const [stream, data] of merged) {
      this.output.append(h(`span.${stream}`, {}, data))
      this.shownLines += countLines(data)
    }
    this.trimOutput()
    this.output.scrollTop = this.output.scrollHeight
  }

  // Drop the oldest lines past MAX_SHOWN_LINES and say how many are hidden.
  trimOutput () {
    let excess = this.shownLines - MAX_SHOWN_LINES
    while (excess > 0 && this.output.firstChild) {
      const first = this.output.firstChild
      const text = first.textContent
      const lines = countLines(text)
      if (lines <= excess) {
        first.remove()
        this.shownLines -= lines
        this.hiddenLines += lines
        excess -= lines
        if (lines === 0) continue
      } else {
        let cut = -1
        for (let i = 0; i < excess; i++) cut = text.indexOf('\n', cut + 1)
        first.textContent = text.slice(cut + 1)
        this.shownLines -= excess
        this.hiddenLines += excess
        excess = 0
      }
    }
    if (this.hiddenLines) {
      this.hiddenText.textContent = `${this.hiddenLines.toLocaleString('en')} earlier ${this.hiddenLines === 1 ? 'line' : 'lines'} hidden`
      this.outputNote.hidden = false
    }
  }

  downloadOutput () {
    const blob = new Blob(this.chunks.map(([, data]) => data), { type: 'text/plain' })
    const link = h('a', { href: URL.createObjectURL(blob), download: `run-${this.shownRun || 'output'}.txt` })
    document.body.append(link)
    link.click()
    link.remove()
    setTimeout(() => URL.revokeObjectURL(link.href), 1000)
  }

  // A tab that missed run_finished (a connection blip, a dropped event) must not stay
  // "Running…" for good: past its time limit, ask the server how the run ended.
  watchRun (runId) {
    clearInterval(this.staleTimer)
    this.staleTimer = setInterval(() => {
      if (this.currentRun !== runId) return clearInterval(this.staleTimer)
      this.checkRun(runId)
    }, STALE_RUN_MS)
  }

  async checkRun (runId) {
    let run
    try {
      run = (await api('GET', `/sessions/${this.sessionId}/runs/${runId}`, { token: this.token })).data
    } catch (error) {
      return
    }
    if (run.status === 'finished' && this.currentRun === runId) this.finishedMeanwhile(run)
  }

  // The end of a run this tab did not see: its recorded output and result replace the
  // partial stream.
  finishedMeanwhile (run, reload = true) {
    const shown = this.shownRun === run.id
    // The recorded output is rendered below: no second fetch.
    if (shown) this.outputGap = false
    this.finished({ ...run, runId: run.id }, reload)
    if (shown) this.render(run)
  }

  finished (event, reload = true) {
    if (event.runId === this.currentRun) {
      this.currentRun = null
      clearInterval(this.staleTimer)
      this.runButton.disabled = false
      this.stopButton.hidden = true
    }
    if (event.runId === this.shownRun) {
      this.flushOutput()
      this.showResult(event)
      // Output went missing while the run went on: show it as recorded, whole.
      if (this.outputGap && reload) this.show(event.runId)
    }
    if (reload) this.loadHistory()
  }

  // After a reconnect: events sent while this tab was away are lost, so ask for the run
  // state again (the run shown as running may have ended, another may have started).
  // On the first load too: then a run going on is shown with its output so far.
  async resync () {
    if (!this.caughtLive) this.caughtLive = []
    const runId = this.currentRun
    // Until the output so far is fetched, what is shown has a hole in it.
    if (runId) this.outputGap = true
    try {
      await this.loadHistory()
      if (runId && this.currentRun === runId) await this.catchUp(runId)
    } finally {
      this.caughtLive = null
    }
  }

  // A run still going that this tab saw only part of (or none of): show the output the
  // server holds so far, then the live events from its outputSeq on.
  async catchUp (runId) {
    if (!this.caughtLive) this.caughtLive = []
    let run = null
    try {
      run = (await api('GET', `/sessions/${this.sessionId}/runs/${runId}`, { token: this.token })).data
    } catch (error) {
      // The stale-run check asks again later.
    }
    const live = (this.caughtLive || []).filter((event) => event.runId === runId)
    this.caughtLive = null
    if (!run || this.currentRun !== runId) return
    if (run.status === 'finished') return this.finishedMeanwhile(run)
    if (run.outputSeq === undefined || run.outputSeq === null) return
    this.shownRun = runId
    this.clearConsole()
    this.showHeading(run.language, run.by, run.startedAt)
    this.result.className = 'result running'
    this.result.textContent = 'Running…'
    for (const chunk of run.output) this.queueOutput(chunk.stream, chunk.data)
    this.nextSeq = run.outputSeq
    this.outputGap = false
    for (const event of live) if (event.seq >= this.nextSeq) this.appendOutput(event)
  }

  async loadHistory () {
    let runs
    try {
      runs = (await api('GET', `/sessions/${this.sessionId}/runs?limit=20`, { token: this.token })).data
    } catch (error) {
      return
    }
    const running = runs.find((run) => run.status === 'running')
    const current = this.currentRun && runs.find((run) => run.id === this.currentRun)
    if (current && current.status === 'finished') {
      this.finishedMeanwhile(current, false)
    } else if (running && !this.currentRun) {
      this.started({ runId: running.id, language: running.language, by: running.by, timestamp: running.startedAt })
      await this.catchUp(running.id)
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
      this.render(run)
    } catch (error) {
      this.showError(error.message)
    }
  }

  // A run as recorded (GET /runs/{id}): heading, output and result.
  render (run) {
    if (!run.output) return this.show(run.id)
    this.shownRun = run.id
    this.outputGap = false
    this.clearConsole()
    this.showHeading(run.language, run.by, run.startedAt)
    for (const chunk of run.output) this.queueOutput(chunk.stream, chunk.data)
    this.flushOutput()
    if (run.status === 'finished') this.showResult(run)
  }
}

function countLines (text) {
  let count = 0
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++
  return count
}
