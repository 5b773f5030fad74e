// The participant list: role and online state, kept current by user_join, user_leave and user_removed.
import { h, clear } from './dom.js'

export class People {
  constructor (participants, myId) {
    this.myId = myId
    this.byId = new Map(participants.map((p) => [p.id, { ...p }]))
    this.element = h('ul.people', { 'aria-label': 'Participants' })
    this.render()
  }

  joined (user) {
    const known = this.byId.get(user.id) || {}
    this.byId.set(user.id, { ...known, ...user, isOnline: true })
    this.render()
  }

  left (userId) {
    const known = this.byId.get(userId)
    if (known) known.isOnline = false
    this.render()
  }

  removed (userId) {
    if (this.byId.delete(userId)) this.render()
  }

  setOnline (userId, online) {
    const known = this.byId.get(userId)
    if (known && known.isOnline !== online) {
      known.isOnline = online
      this.render()
    }
  }

  name (userId) {
    const known = this.byId.get(userId)
    return known ? known.name : 'someone'
  }

  render () {
    const people = [...this.byId.values()].sort((a, b) =>
      (b.role === 'interviewer') - (a.role === 'interviewer') || a.joinedAt - b.joinedAt)
    clear(this.element).append(...people.map((person) => h('li.person', {
      'data-id': person.id, 'data-online': person.isOnline ? 'true' : 'false', title: person.isOnline ? 'online' : 'offline'
    },
    h('span.dot', { style: `background:${person.isOnline ? person.color : 'transparent'};border-color:${person.color}` }),
    h('span.person-name', {}, person.name + (person.id === this.myId ? ' (you)' : '')),
    h('span.role', {}, person.role))))
  }
}
