// `/s/{id}`: back into the room with the token this browser keeps, or join with the link's
// invite after asking for a name. Anything wrong with the link is a page that says what.
import { api } from './api.js'
import { h, clear } from './dom.js'
import { forgetSeat, newUser, nameInput, rememberName, saveSeat, savedSeat } from './identity.js'
import { renderRoom } from './room.js'

// How long interview links last, as the server words DUET_SESSION_TTL.
const ttl = () => (document.getElementById('app') || { dataset: {} }).dataset.sessionTtl || '24 hours'

const REASONS = {
  SESSION_NOT_FOUND: ['Interview not found', 'This interview does not exist, or it was deleted.'],
  SESSION_EXPIRED: ['Interview expired', () => `This interview has ended: interview links last ${ttl()}.`],
  SESSION_ENDED: ['Interview ended', 'The interviewer has ended this interview. Thank you for taking part!'],
  UNAUTHORIZED: ['Link not valid', 'This invite link is not valid any more. Ask the interviewer for a new one.'],
  FORBIDDEN: ['Link not valid', 'This link belongs to another interview.'],
  NO_INVITE: ['Invite needed', 'This link has no invite in it. Ask the interviewer for the full link.'],
  SEAT_INVALID: ['Link not valid', 'This browser\'s saved seat for the interview is not valid any more. Open your invite link again to rejoin, or ask the interviewer for a new one.'],
  REMOVED: ['You left the interview', 'You were removed from this interview, or your seat was revoked.'],
  PAGE_NOT_FOUND: ['Page not found', 'There is no page at this address.'],
  NETWORK: ['Cannot reach Duet', 'The server cannot be reached. Check your connection and reload.']
}

// Pages a candidate lands on: starting an interview of their own is not what they came for.
const CANDIDATE_PAGES = new Set(['SESSION_ENDED', 'REMOVED', 'SEAT_INVALID', 'UNAUTHORIZED', 'NO_INVITE'])

export function renderProblem (root, code, detail, { rejoin } = {}) {
  const [title, words] = REASONS[code] || ['Something went wrong', detail || 'Please reload the page.']
  const text = typeof words === 'function' ? words() : words
  document.title = `Duet — ${title}`
  const actions = []
  if (rejoin) actions.push(h('a.button', { href: rejoin }, 'Join again'))
  if (!CANDIDATE_PAGES.has(code)) actions.push(h('a.button', { href: '/' }, 'Start a new interview'))
  clear(root).append(h('main.home', {},
    h('div.brand', {}, h('a.logo', { href: '/' }, 'Duet')),
    h('section.card.problem', { 'data-code': code },
      h('h1', {}, title), h('p', {}, text), ...actions)))
}

export async function renderSession (root, sessionId, invite) {
  const seat = savedSeat(sessionId)
  if (seat && (!invite || seat.invite === invite || seat.role === 'interviewer')) {
    return enter(root, sessionId, seat, invite)
  }
  if (!invite) return renderProblem(root, 'NO_INVITE')
  return askName(root, sessionId, invite)
}

async function enter (root, sessionId, seat, invite) {
  try {
    const { data } = await api('GET', `/sessions/${sessionId}`, { token: seat.token })
    history.replaceState(null, '', `/s/${sessionId}`)
    return renderRoom(root, data, seat)
  } catch (error) {
    if (error.code === 'UNAUTHORIZED' || error.code === 'FORBIDDEN') {
      forgetSeat(sessionId)
      if (invite) return askName(root, sessionId, invite)
      // A seat this browser kept no longer opens the room: revoked, or its copy damaged.
      const rejoin = seat.invite ? `/s/${sessionId}?invite=${encodeURIComponent(seat.invite)}` : null
      return renderProblem(root, 'SEAT_INVALID', null, { rejoin })
    }
    return renderProblem(root, error.code, error.message)
  }
}

function askName (root, sessionId, invite) {
  document.title = 'Duet — join the interview'
  const status = h('p.error', { role: 'alert' })
  const name = nameInput('Your name')
  const submit = h('button', { type: 'submit' }, 'Join')
  clear(root).append(h('main.home', {},
    h('div.brand', {}, h('span.logo', {}, 'Duet')),
    h('form.card', {
      onsubmit: async (event) => {
        event.preventDefault()
        submit.disabled = true
        status.textContent = ''
        const user = newUser(name.value.trim())
        rememberName(user.name)
        try {
          const joined = await api('POST', `/sessions/${sessionId}/join`, { token: invite, body: { user } })
          const me = joined.data.participants.find((p) => p.id === user.id)
          // The server may give another colour than ours, when someone in the room has it.
          const seat = { token: joined.token, user: me ? { ...user, color: me.color } : user, role: me ? me.role : 'candidate', invite }
          saveSeat(sessionId, seat)
          history.replaceState(null, '', `/s/${sessionId}`)
          renderRoom(root, joined.data, seat)
        } catch (error) {
          if (['SESSION_NOT_FOUND', 'SESSION_EXPIRED', 'SESSION_ENDED', 'UNAUTHORIZED', 'FORBIDDEN'].includes(error.code)) {
            return renderProblem(root, error.code)
          }
          status.textContent = error.message
          submit.disabled = false
        }
      }
    }, h('h1', {}, 'Join the interview'), h('label', {}, 'Your name', name), submit, status)))
  name.focus()
}
