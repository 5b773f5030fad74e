// `/`: create an interview, then show the two links to share. Signed in, the interview
// belongs to the account and may start from a question of the organization's bank.
import { api } from './api.js'
import { account, accountApi, accountBar, signInForm } from './account.js'
import { h, clear } from './dom.js'
import { newUser, nameInput, rememberName, saveSeat } from './identity.js'
import { QuestionPicker } from './picker.js'
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

// What POST /sessions gets: a question's starter comes from the server (unless the question
// has none for the language), and its title unless one is typed.
export function creationBody ({ creator, title, language, question }) {
  const body = { creator, language }
  if (title || !question) body.title = title
  if (question) body.questionId = question.id
  if (!question || !(question.languages || []).includes(language)) body.code = STARTER_CODE[language] || ''
  return body
}

export async function renderHome (root) {
  document.title = 'Duet — new interview'
  const languages = await languageOptions()
  const signedIn = account()
  const status = h('p.error', { role: 'alert' })
  const name = nameInput('Ivy Interviewer')
  const title = h('input', { name: 'title', maxlength: '200', placeholder: signedIn ? 'The question\'s title' : 'Backend pairing — arrays' })
  const language = h('select', { name: 'language' },
    languages.map((item) => h('option', { value: item.name, selected: item.name === 'python' }, label(item.name))))
  const picker = signedIn ? new QuestionPicker() : null
  const submit = h('button', { type: 'submit' }, 'Create interview')
  const form = h('form.card', {
    onsubmit: async (event) => {
      event.preventDefault()
      submit.disabled = true
      status.textContent = ''
      const creator = newUser(name.value.trim())
      rememberName(creator.name)
      const body = creationBody({
        creator, title: title.value.trim(), language: language.value, question: picker && picker.selected
      })
      try {
        const created = signedIn
          ? await accountApi('POST', '/sessions', { body })
          : await api('POST', '/sessions', { body })
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
  picker ? picker.element : null,
  h('label', {}, 'Title', title),
  h('label', {}, 'Language', language),
  submit, status)
  const again = () => renderHome(root)
  const side = signedIn
    ? accountBar(signedIn, { onSignedOut: again })
    : h('p.muted.sign-in-hint', {}, 'Interviewing from your question bank? ',
      h('button.link-button', {
        type: 'button',
        onclick: (event) => {
          event.target.closest('p').replaceWith(signInForm({
            intro: 'Sign in to pick a question from your organization\'s bank.', onSignedIn: again
          }))
        }
      }, 'Sign in'))
  clear(root).append(h('main.home', {},
    h('div.brand', {}, h('span.logo', {}, 'Duet'), h('span.muted', {}, 'collaborative coding interviews')),
    side, form))
  if (picker) picker.load()
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
