// The room: the editor on the shared document, people, language, runs, the question's
// prompt and tests (when the session has one), and (interviewers only) private notes. One
// Socket.IO connection carries the Yjs sync and every room event.
import * as Y from 'yjs'
import { io } from 'socket.io-client'
import { api } from './api.js'
import { h, clear, formatLeft } from './dom.js'
import { createEditor } from './editor.js'
import { InterviewTimer } from './interview_timer.js'
import { lookControls } from './look_controls.js'
import { paneHandle } from './panes.js'
import { shortcutsSheet } from './shortcuts.js'
import { languageOptions, shareLinks } from './home.js'
import { renderProblem } from './join.js'
import { EvaluationPanel } from './evaluation.js'
import { NotesPanel } from './notes.js'
import { People } from './people.js'
import { PromptPane } from './prompt.js'
import { SocketIOProvider } from './provider.js'
import { RunPanel } from './runs.js'
import { questionStarters, switchLanguage } from './switch.js'
import { TestsPanel } from './tests_tab.js'
import { label } from './templates.js'

// Refusals that no reconnect can fix: show the page that explains, stop retrying.
const FATAL = new Set(['SESSION_NOT_FOUND', 'SESSION_EXPIRED', 'UNAUTHORIZED', 'FORBIDDEN'])

export async function renderRoom (root, session, seat) {
  document.title = `Duet — ${session.title || 'interview'}`
  const me = session.participants.find((p) => p.id === seat.user.id)
  const role = me ? me.role : seat.role
  const isInterviewer = role === 'interviewer'
  let ended = Boolean(session.endedAt)
  if (ended && !isInterviewer) return renderProblem(root, 'SESSION_ENDED')

  const doc = new Y.Doc()
  const ytext = doc.getText('code')
  const meta = doc.getMap('meta')
  const socket = io({
    autoConnect: !ended,
    auth: { token: seat.token },
    transports: ['websocket', 'polling'],
    reconnectionDelay: 300,
    reconnectionDelayMax: 2000
  })
  const provider = new SocketIOProvider(socket, doc)
  provider.awareness.setLocalStateField('user', {
    name: seat.user.name, color: seat.user.color, colorLight: seat.user.color + '33'
  })

  const people = new People(session.participants, seat.user.id)
  const languageOf = () => meta.get('language') || session.language
  const runs = new RunPanel({
    sessionId: session.id, token: seat.token, people, getLanguage: languageOf, getCode: () => ytext.toString()
  })
  const notes = isInterviewer ? new NotesPanel({ sessionId: session.id, token: seat.token, myId: seat.user.id }) : null
  const scorecard = isInterviewer ? new EvaluationPanel({ sessionId: session.id, token: seat.token, myId: seat.user.id }) : null
  // The session's question, read by role (a candidate's copy has no hidden test data).
  let question = null
  const promptPane = new PromptPane()
  const tests = new TestsPanel({ sessionId: session.id, token: seat.token, isInterviewer })

  // -- header ------------------------------------------------------------------------------
  const status = h('span.status', { 'data-state': 'connecting' }, 'Connecting…')
  const timeLeft = h('span.time-left.muted')
  const interviewTimer = new InterviewTimer({
    sessionId: session.id, token: seat.token, canControl: isInterviewer && !ended,
    onError: (message) => runs.showError(message)
  })
  const picker = h('select.language', { 'aria-label': 'Language' })
  const available = await languageOptions()
  const fillPicker = (current) => {
    const names = available.map((item) => item.name)
    if (current && !names.includes(current)) names.push(current)
    clear(picker).append(...names.map((name) => h('option', { value: name, selected: name === current }, label(name))))
  }
  fillPicker(session.language)
  picker.addEventListener('change', async () => {
    const previous = languageOf()
    const switched = await switchLanguage({
      doc, ytext, meta, previous, next: picker.value, starterFor: questionStarters(question)
    })
    if (!switched) picker.value = previous
  })
  let sharePopover = null
  const shareButton = isInterviewer && seat.invites
    ? h('button.secondary', {
      type: 'button',
      onclick: () => {
        if (sharePopover) { sharePopover.remove(); sharePopover = null; return }
        sharePopover = h('div.popover', {}, shareLinks(seat.invites))
        shareButton.after(sharePopover)
      }
    }, 'Invite')
    : null
  const endButton = isInterviewer
    ? h('button.danger', {
      type: 'button',
      onclick: async () => {
        if (!confirm('End the interview for everyone? Editing and running stop; you keep the code, runs, notes and scorecard.')) return
        try {
          await api('POST', `/sessions/${session.id}/end`, { token: seat.token })
          enterEnded()
        } catch (error) {
          runs.showError(error.message)
        }
      }
    }, 'End interview')
    : null
  const shortcuts = shortcutsSheet()
  const view = lookControls({ onShortcuts: shortcuts.open })
  const header = h('header.topbar', {},
    h('a.logo', { href: '/', title: 'New interview' }, 'Duet'),
    h('span.title', {}, session.title || 'Interview'),
    picker, status, interviewTimer.element, timeLeft, view.toggle, shareButton, endButton, view.panel, shortcuts.element)

  // -- side panel with tabs ------------------------------------------------------------------
  const tabs = [['Console', runs.element], ['Tests', tests.element], ['History', runs.historyElement]]
  if (notes) tabs.push(['Notes', notes.element])
  if (scorecard) tabs.push(['Scorecard', scorecard.element])
  const tabBar = h('nav.tabs', { role: 'tablist' })
  const tabBody = h('div.tab-body')
  const select = (index) => {
    tabBar.querySelectorAll('button').forEach((button, i) => button.setAttribute('aria-selected', String(i === index)))
    clear(tabBody).append(tabs[index][1])
  }
  tabs.forEach(([name], index) => tabBar.append(h('button.tab', {
    type: 'button', role: 'tab', 'data-tab': name.toLowerCase(), onclick: () => select(index)
  }, name)))
  select(0)
  const testsTab = tabBar.querySelector('[data-tab=tests]')
  testsTab.hidden = true
  const selectTests = () => select(tabs.findIndex(([name]) => name === 'Tests'))

  const editorHost = h('div.editor', { 'aria-label': 'Code editor' })
  const banner = h('div.banner', { hidden: true, role: 'status' })
  const side = h('aside.side', {}, people.element, tabBar, tabBody)
  const workspace = h('main.workspace', {},
    promptPane.element,
    editorHost,
    side)
  workspace.append(paneHandle(workspace, 'side'), paneHandle(workspace, 'prompt'))
  clear(root).append(h('div.room', { 'data-role': role }, header, banner, workspace))

  const editor = createEditor(editorHost, {
    ytext, awareness: provider.awareness, language: session.language, onRun: () => runs.run()
  })

  // -- the question --------------------------------------------------------------------------
  const showQuestion = (next) => {
    question = next
    promptPane.show(question)
    workspace.classList.toggle('with-prompt', Boolean(question))
    testsTab.hidden = !question
    tests.setQuestion(question)
  }
  const loadQuestion = async () => {
    try {
      const { data } = await api('GET', `/sessions/${session.id}/question`, { token: seat.token })
      showQuestion(data)
      await tests.resync()
    } catch (error) {
      if (error.code === 'QUESTION_NOT_FOUND') return showQuestion(null)
      runs.showError(`The interview's question could not be loaded: ${error.message}`)
    }
  }
  // Ctrl+Shift+Enter (Cmd+Shift+Enter on a Mac), in the editor or anywhere on the page;
  // caught before CodeMirror, whose Mod-Enter is Run.
  const onKeyDown = (event) => {
    if (event.key !== 'Enter' || !event.shiftKey || !(event.ctrlKey || event.metaKey)) return
    event.preventDefault()
    event.stopPropagation()
    if (!question || ended) return
    selectTests()
    tests.run()
  }
  document.addEventListener('keydown', onKeyDown, true)

  // -- document and awareness ------------------------------------------------------------------
  meta.observe(() => {
    const language = languageOf()
    fillPicker(language)
    editor.setLanguage(language)
    runs.runButton.textContent = language === 'html' ? 'Preview' : 'Run'
  })
  runs.runButton.textContent = session.language === 'html' ? 'Preview' : 'Run'
  provider.awareness.on('change', () => {
    const present = new Set([...provider.awareness.getStates().values()].map((state) => state.id).filter(Boolean))
    for (const id of present) people.setOnline(id, true)
  })

  // -- connection state --------------------------------------------------------------------------
  const setStatus = (state, text) => {
    status.dataset.state = state
    status.textContent = text
  }
  const fatal = (code, message) => {
    socket.disconnect()
    renderProblem(root, code === 'UNAUTHORIZED' ? 'REMOVED' : code, message)
  }
  // Nobody edits or runs any more: the room stays readable, with a badge and a banner that
  // say why.
  const freeze = (state, badge, words) => {
    ended = true
    socket.disconnect()
    editor.setReadOnly()
    picker.disabled = true
    runs.runButton.disabled = true
    tests.runButton.disabled = true
    tests.stopButton.hidden = true
    interviewTimer.freeze()
    // The server stopped the clock with the interview: show where it stopped.
    interviewTimer.resync()
    if (endButton) endButton.remove()
    if (shareButton) shareButton.remove()
    if (sharePopover) sharePopover.remove()
    setStatus(state, badge)
    banner.hidden = false
    banner.textContent = words
  }
  // The interview was ended: interviewers keep the final code, the runs, their notes and
  // the scorecard; candidates see a page that says so.
  const enterEnded = () => {
    if (!isInterviewer) return fatal('SESSION_ENDED')
    freeze('ended', 'Ended', 'This interview has ended. The code and runs are read-only; notes and the scorecard stay open.')
  }
  // The link's time is up: nothing in the room works any more, Run included.
  const enterExpired = () => {
    freeze('expired', 'Expired', 'This interview has expired. The code is read-only and nothing runs.')
    runs.runButton.hidden = true
    tests.runButton.hidden = true
  }
  // Run events sent while this tab was away are lost: every reconnect resyncs the runs.
  let connectedBefore = false
  socket.on('connect', () => {
    setStatus('live', 'Live')
    if (connectedBefore) {
      runs.resync()
      tests.resync()
      interviewTimer.resync()
    }
    connectedBefore = true
  })
  socket.on('disconnect', async (reason) => {
    if (ended) return
    setStatus('reconnecting', 'Reconnecting…')
    if (reason === 'io server disconnect') {
      // The server closed this socket on purpose: the session may be gone or ended, or we
      // were removed. Ask; otherwise come back.
      try {
        const { data } = await api('GET', `/sessions/${session.id}`, { token: seat.token })
        if (data.endedAt) return enterEnded()
        setTimeout(() => socket.connect(), 500)
      } catch (error) {
        if (error.code === 'SESSION_ENDED') return enterEnded()
        if (FATAL.has(error.code)) fatal(error.code, error.message)
        else setTimeout(() => socket.connect(), 2000)
      }
    }
  })
  socket.on('connect_error', (error) => {
    const code = error.data && error.data.code
    if (code === 'SESSION_ENDED') return enterEnded()
    if (FATAL.has(code)) return fatal(code, error.message)
    setStatus('reconnecting', 'Reconnecting…')
    if (!socket.active) setTimeout(() => socket.connect(), 2000)
  })
  provider.onSynced = () => setStatus('live', 'Live')

  // -- room events ---------------------------------------------------------------------------------
  socket.on('timer_changed', (event) => interviewTimer.heard(event))
  socket.on('user_join', ({ user }) => people.joined(user))
  socket.on('user_leave', ({ userId }) => people.left(userId))
  socket.on('user_removed', ({ userId }) => people.removed(userId))
  socket.on('run_started', (event) => runs.started(event))
  socket.on('run_output', (event) => runs.appendOutput(event))
  socket.on('run_finished', (event) => runs.finished(event))
  socket.on('question_changed', () => loadQuestion())
  socket.on('test_run_started', (event) => tests.started(event))
  socket.on('test_result', (event) => tests.result(event))
  socket.on('test_run_finished', (event) => tests.finished(event))
  socket.on('error', (event) => {
    if (!event || !event.message) return
    if (event.event === 'run_tests') tests.showError(event.message)
    else runs.showError(event.message)
  })
  if (notes) {
    socket.on('note_added', (note) => notes.upsert(note))
    socket.on('note_updated', (note) => notes.upsert(note))
    socket.on('note_deleted', ({ id }) => notes.removed(id))
    notes.load()
    scorecard.load()
  }
  runs.resync()
  loadQuestion()
  interviewTimer.resync()

  // -- time left ---------------------------------------------------------------------------------
  const tick = () => {
    const left = session.expiresAt - Date.now()
    timeLeft.textContent = formatLeft(left)
    if (left <= 0) {
      clearInterval(timer)
      enterExpired()
    }
  }
  const timer = setInterval(tick, 1000)
  tick()

  if (ended) {
    // Nothing to sync with: show the final code as the server kept it.
    ytext.insert(0, session.code)
    enterEnded()
  }

  // A handle for debugging from the console (and for the browser tests).
  window.duet = { socket, doc, provider, editor, session, seat, question: () => question }
  editor.view.focus()
}
