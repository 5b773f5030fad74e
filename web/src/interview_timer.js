// The interview timer in the room's top bar: everyone sees it tick; interviewers start,
// pause and reset it (POST /sessions/{id}/timer). The server's figure is "elapsed as of
// now", so each browser counts on from when it heard it, whatever its own clock says.
import { api } from './api.js'
import { h } from './dom.js'

export function formatElapsed (ms) {
  const seconds = Math.floor(ms / 1000)
  const h = Math.floor(seconds / 3600)
  const m = Math.floor(seconds / 60) % 60
  const s = String(seconds % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`
}

export class InterviewTimer {
  constructor ({ sessionId, token, canControl, onError }) {
    this.sessionId = sessionId
    this.token = token
    this.onError = onError
    this.state = { running: false, elapsedMs: 0, heardAt: performance.now() }
    this.clock = h('span.interview-timer', { role: 'timer', 'aria-label': 'Interview time', title: 'Interview time' }, '0:00')
    this.toggle = canControl
      ? h('button.secondary.timer-toggle', { type: 'button', onclick: () => this.act(this.state.running ? 'pause' : 'start') }, 'Start timer')
      : null
    this.reset = canControl
      ? h('button.link-button.timer-reset', { type: 'button', 'aria-label': 'Reset timer', onclick: () => this.act('reset') }, 'Reset')
      : null
    this.element = h('span.timer-group', {}, this.clock, this.toggle, this.reset)
    this.ticker = setInterval(() => this.draw(), 500)
  }

  heard ({ running, elapsedMs }) {
    this.state = { running, elapsedMs, heardAt: performance.now() }
    this.draw()
  }

  elapsed () {
    const { running, elapsedMs, heardAt } = this.state
    return elapsedMs + (running ? performance.now() - heardAt : 0)
  }

  draw () {
    this.clock.textContent = formatElapsed(this.elapsed())
    this.clock.dataset.running = String(this.state.running)
    if (this.toggle) this.toggle.textContent = this.state.running ? 'Pause timer' : 'Start timer'
  }

  async resync () {
    try {
      const { data } = await api('GET', `/sessions/${this.sessionId}/timer`, { token: this.token })
      this.heard(data)
    } catch (error) {
      this.onError(`The timer could not be read: ${error.message}`)
    }
  }

  async act (action) {
    try {
      const { data } = await api('POST', `/sessions/${this.sessionId}/timer`, { token: this.token, body: { action } })
      this.heard(data)
    } catch (error) {
      this.onError(error.message)
    }
  }

  freeze () {
    if (this.toggle) this.toggle.hidden = true
    if (this.reset) this.reset.hidden = true
  }
}
