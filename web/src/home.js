// `/`: create an interview, then show the two links to share.
import { api } from './api.js'
import { h, clear } from './dom.js'
import { newUser, nameInput, rememberName, saveSeat } from './identity.js'
import { STARTER_CODE, label } from './templates.js'

export async function languageOptions () {
  try {
    const { data } = await api('GET', '/languages')
    return data.filter((language) => language.available)
  } catch (error) {
    return [{ name: 'python' }, { name: 'javascript' }, { name: 'html' }]
  }
}

function copyButton (text) {
  const button = h('button.secondary', {
    type: 'button',
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(text)
        button.textContent = 'Copied'
      } catch (error) {
        button.textContent = 'Select and copy'
      }
      setTimeout(() => { button.textContent = 'Copy' }, 1500)
    }
  }, 'Copy')
  return button
}

export function shareLinks (invites) {
  const row = (role, hint, url) => h('div.link-row', { 'data-role': role },
    h('div.link-label', {}, h('strong', {}, role === 'candidate' ? 'Candidate link' : 'Interviewer link'),
      h('span.muted', {}, hint)),
    h('input.link', { readonly: true, value: url, onfocus: (event) => event.target.select() }),
    copyButton(url))
  return h('div.links', {},
    row('candidate', 'send this to the candidate', invites.candidate.url),
    row('interviewer', 'for fellow interviewers', invites.interviewer.url))
}

export async function renderHome (root) {
  document.title = 'Duet — new interview'
  const languages = await languageOptions()
  const status = h('p.error', { role: 'alert' })
  const name = nameInput('Ivy Interviewer')
  const title = h('input', { name: 'title', maxlength: '200', placeholder: 'Backend pairing — arrays' })
  const language = h('select', { name: 'language' },
    languages.map((item) => h('option', { value: item.name, selected: item.name === 'python' }, label(item.name))))
  const submit = h('button', { type: 'submit' }, 'Create interview')
  const form = h('form.card', {
    onsubmit: async (event) => {
      event.preventDefault()
      submit.disabled = true
      status.textContent = ''
      const creator = newUser(name.value.trim())
      rememberName(creator.name)
      try {
        const created = await api('POST', '/sessions', {
          body: {
            creator,
            title: title.value.trim(),
            language: language.value,
            code: STARTER_CODE[language.value] || ''
          }
        })
        const session = created.data
        saveSeat(session.id, { token: created.token, user: creator, role: 'interviewer', invites: created.invites })
        showCreated(root, session, created.invites)
      } catch (error) {
        status.textContent = error.message
        submit.disabled = false
      }
    }
  },
  h('h1', {}, 'New interview'),
  h('label', {}, 'Your name', name),
  h('label', {}, 'Title', title),
  h('label', {}, 'Language', language),
  submit, status)
  clear(root).append(h('main.home', {},
    h('div.brand', {}, h('span.logo', {}, 'Duet'), h('span.muted', {}, 'collaborative coding interviews')),
    form))
  name.focus()
}

function showCreated (root, session, invites) {
  clear(root).append(h('main.home', {},
    h('div.brand', {}, h('span.logo', {}, 'Duet')),
    h('section.card.created', {},
      h('h1', {}, session.title || 'Interview ready'),
      h('p.muted', {}, 'Share the candidate link. Links work until the session expires.'),
      shareLinks(invites),
      h('a.button', { href: `/s/${session.id}`, id: 'open-room' }, 'Open the room'))))
}
