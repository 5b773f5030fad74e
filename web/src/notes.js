// Interviewers' private notes: a timestamped log only interviewers load or receive (the
// server refuses a candidate's token and never sends them note events).
import { api } from './api.js'
import { h, clear, formatClock } from './dom.js'

export class NotesPanel {
  constructor ({ sessionId, token, myId }) {
    this.sessionId = sessionId
    this.token = token
    this.myId = myId
    this.notes = new Map()
    this.list = h('ol.notes')
    this.input = h('textarea.note-input', {
      rows: '3', placeholder: 'Private note — only interviewers see this (Ctrl/Cmd+Enter to add)', 'aria-label': 'New note',
      onkeydown: (event) => {
        if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
          event.preventDefault()
          event.stopPropagation()
          this.add()
        }
      }
    })
    this.status = h('p.error', { role: 'alert' })
    this.element = h('section.notes-panel', {},
      this.list, this.input, h('button.secondary', { type: 'button', onclick: () => this.add() }, 'Add note'), this.status)
  }

  async load () {
    try {
      const { data } = await api('GET', `/sessions/${this.sessionId}/notes`, { token: this.token })
      this.notes = new Map(data.map((note) => [note.id, note]))
      this.render()
    } catch (error) {
      this.status.textContent = error.message
    }
  }

  async add () {
    const body = this.input.value.trim()
    if (!body) return
    try {
      const { data } = await api('POST', `/sessions/${this.sessionId}/notes`, { token: this.token, body: { body } })
      this.input.value = ''
      this.status.textContent = ''
      this.upsert(data)
    } catch (error) {
      this.status.textContent = error.message
    }
  }

  async remove (id) {
    try {
      await api('DELETE', `/sessions/${this.sessionId}/notes/${id}`, { token: this.token })
      this.removed(id)
    } catch (error) {
      this.status.textContent = error.message
    }
  }

  upsert (note) {
    this.notes.set(note.id, note)
    this.render()
  }

  removed (id) {
    this.notes.delete(id)
    this.render()
  }

  render () {
    const notes = [...this.notes.values()].sort((a, b) => a.createdAt - b.createdAt)
    clear(this.list).append(...notes.map((note) => h('li.note', { 'data-id': note.id },
      h('div.note-meta.muted', {}, `${formatClock(note.createdAt)} · ${note.authorName}`,
        note.authorId === this.myId
          ? h('button.link-button', { type: 'button', onclick: () => this.remove(note.id), 'aria-label': 'Delete note' }, 'delete')
          : null),
      h('div.note-body', {}, note.body))))
    if (!notes.length) this.list.append(h('li.muted', {}, 'No notes yet.'))
  }
}
