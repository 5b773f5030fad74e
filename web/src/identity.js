// What the browser remembers: your name, and per session the participant token it was given
// (so a reload, or the interviewer's own link, goes straight back into the room).
import { h } from './dom.js'

const NAME_KEY = 'duet:name'
const sessionKey = (id) => `duet:session:${id}`

export function rememberedName () {
  return localStorage.getItem(NAME_KEY) || ''
}

// The name field of the create and join forms, filled with the remembered name.
export function nameInput (placeholder) {
  return h('input', { name: 'name', required: true, maxlength: '100', value: rememberedName(), placeholder, autocomplete: 'name' })
}

export function rememberName (name) {
  localStorage.setItem(NAME_KEY, name)
}

export function savedSeat (sessionId) {
  try {
    return JSON.parse(localStorage.getItem(sessionKey(sessionId)) || 'null')
  } catch (error) {
    return null
  }
}

export function saveSeat (sessionId, seat) {
  localStorage.setItem(sessionKey(sessionId), JSON.stringify(seat))
}

export function forgetSeat (sessionId) {
  localStorage.removeItem(sessionKey(sessionId))
}

// crypto.randomUUID needs a secure context; an interview over plain http on a LAN is not one.
export function newId () {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  bytes[6] = (bytes[6] & 0x0f) | 0x40
  bytes[8] = (bytes[8] & 0x3f) | 0x80
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

const PALETTE = [
  '#e5484d', '#f76b15', '#ffc53d', '#46a758', '#12a594',
  '#0090ff', '#3e63dd', '#8e4ec6', '#d6409f', '#a18072'
]

export function pickColor () {
  return PALETTE[crypto.getRandomValues(new Uint8Array(1))[0] % PALETTE.length]
}

export function newUser (name) {
  return { id: newId(), name, color: pickColor() }
}
