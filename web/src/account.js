// Signing in to an account (the question bank and interviews from it need one). The access
// and refresh tokens live in this tab's sessionStorage: gone when the tab closes, never in
// localStorage. An access token lasts 15 minutes; a 401 spends the refresh token once for a
// new pair, then repeats the call.
import { api, ApiError } from './api.js'
import { h } from './dom.js'

const KEY = 'duet:account'

export function account () {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || 'null')
  } catch (error) {
    return null
  }
}

function keep (answer) {
  const kept = { access: answer.access_token, refresh: answer.refresh_token, user: answer.user }
  sessionStorage.setItem(KEY, JSON.stringify(kept))
  return kept
}

export function signOut () {
  const current = account()
  sessionStorage.removeItem(KEY)
  if (current) api('POST', '/auth/logout', { token: current.access }).catch(() => {})
}

export async function signIn (username, password) {
  return keep(await api('POST', '/auth/login', { body: { username, password } }))
}

export async function register (username, email, password) {
  return keep(await api('POST', '/auth/register', { body: { username, email, password } }))
}

let refreshing = null

async function refreshed (current) {
  if (!refreshing) {
    refreshing = api('POST', '/auth/refresh', { body: { refresh_token: current.refresh } })
      .then(keep)
      .finally(() => { refreshing = null })
  }
  return refreshing
}

// A call with the signed-in account's access token. Not signed in, or signed out by the
// server (a spent refresh token), is an ApiError UNAUTHORIZED the page shows.
export async function accountApi (method, path, options = {}) {
  let current = account()
  if (!current) throw new ApiError(401, 'UNAUTHORIZED', 'Sign in to use the question bank.')
  try {
    return await api(method, path, { ...options, token: current.access })
  } catch (error) {
    if (error.status !== 401 || !current.refresh) throw error
    try {
      current = await refreshed(current)
    } catch (refreshError) {
      sessionStorage.removeItem(KEY)
      throw new ApiError(401, 'UNAUTHORIZED', 'Your sign-in has expired; sign in again.')
    }
    return api(method, path, { ...options, token: current.access })
  }
}

// The sign-in card: username (or email) and password, or a new account.
export function signInForm ({ onSignedIn, intro }) {
  const status = h('p.error', { role: 'alert' })
  const username = h('input', { name: 'username', required: true, autocomplete: 'username' })
  const email = h('input', { name: 'email', type: 'email', autocomplete: 'email' })
  const password = h('input', { name: 'password', type: 'password', required: true, autocomplete: 'current-password' })
  const emailLabel = h('label', { hidden: true }, 'Email', email)
  const submit = h('button', { type: 'submit' }, 'Sign in')
  let creating = false
  const toggle = h('button.link-button', {
    type: 'button',
    onclick: () => {
      creating = !creating
      emailLabel.hidden = !creating
      email.required = creating
      submit.textContent = creating ? 'Create account' : 'Sign in'
      toggle.textContent = creating ? 'I have an account' : 'Create an account'
      status.textContent = ''
    }
  }, 'Create an account')
  const form = h('form.card.sign-in', {
    onsubmit: async (event) => {
      event.preventDefault()
      submit.disabled = true
      status.textContent = ''
      try {
        const signed = creating
          ? await register(username.value.trim(), email.value.trim(), password.value)
          : await signIn(username.value.trim(), password.value)
        onSignedIn(signed)
      } catch (error) {
        status.textContent = error.message
        submit.disabled = false
      }
    }
  },
  h('h1', {}, 'Sign in'),
  intro ? h('p.muted', {}, intro) : null,
  h('label', {}, 'Username or email', username),
  emailLabel,
  h('label', {}, 'Password', password),
  h('div.form-actions', {}, submit, toggle),
  status)
  return form
}

// "Signed in as ivy · Sign out", for a page's header.
export function accountBar (current, { onSignedOut }) {
  return h('div.account-bar.muted', {},
    h('span', {}, 'Signed in as ', h('strong', {}, current.user.username)),
    h('a', { href: '/questions' }, 'Question bank'),
    h('button.link-button', { type: 'button', onclick: () => { signOut(); onSignedOut() } }, 'Sign out'))
}
