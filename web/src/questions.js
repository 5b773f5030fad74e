// `/questions`: the organization's question bank, searched by text, tag and difficulty,
// with "Add the example questions" (POST /templates/initialize) and links to the editor.
// Signed out, the page asks to sign in first.
import { account, accountApi, accountBar, signInForm } from './account.js'
import { h, clear } from './dom.js'
import { questionMeta, questionQuery } from './picker.js'

// The bank's pages need an account: render `page` once signed in.
export function withAccount (root, page, intro) {
  const current = account()
  if (current) return page(current)
  document.title = 'Duet — sign in'
  clear(root).append(h('main.home', {},
    h('div.brand', {}, h('a.logo', { href: '/' }, 'Duet'), h('span.muted', {}, 'question bank')),
    signInForm({ intro, onSignedIn: (signed) => page(signed) })))
}

export function renderBank (root) {
  withAccount(root, (current) => bankPage(root, current), 'Sign in to see your organization\'s question bank.')
}

function bankPage (root, current) {
  document.title = 'Duet — question bank'
  const text = h('input', { type: 'search', placeholder: 'Search title and prompt', 'aria-label': 'Search questions' })
  const tag = h('input', { type: 'search', placeholder: 'Tag', 'aria-label': 'Tag', size: '14' })
  const difficulty = h('select', { 'aria-label': 'Difficulty' },
    h('option', { value: '' }, 'Any difficulty'),
    ['easy', 'medium', 'hard'].map((name) => h('option', { value: name }, name)))
  const list = h('ul.bank-list')
  const status = h('p.error', { role: 'alert' })
  const notice = h('p.notice', { role: 'status' })
  const more = h('button.secondary.load-more', { type: 'button', hidden: true, onclick: () => load(cursor) }, 'Show more')
  let cursor = null

  const load = async (from = null) => {
    status.textContent = ''
    let page
    try {
      page = await accountApi('GET', questionQuery({
        text: text.value.trim(), tag: tag.value.trim(), difficulty: difficulty.value, cursor: from
      }))
    } catch (error) {
      status.textContent = error.message
      return
    }
    if (!from) clear(list)
    list.append(...page.data.map((question) => h('li.bank-item', { 'data-id': question.id },
      h('a', { href: `/questions/${question.id}` }, question.title),
      questionMeta(question),
      h('span.muted', {}, `version ${question.latestVersion}`))))
    if (!from && !page.data.length) {
      list.append(h('li.muted.empty', {}, text.value || tag.value || difficulty.value
        ? 'No question matches.'
        : 'The bank is empty. Add the example questions, or write a new one.'))
    }
    cursor = page.nextCursor
    more.hidden = !cursor
  }

  const examples = h('button.secondary.add-examples', {
    type: 'button',
    onclick: async () => {
      examples.disabled = true
      status.textContent = ''
      notice.textContent = ''
      try {
        const { data } = await accountApi('POST', '/templates/initialize')
        notice.textContent = data.message
        await load()
      } catch (error) {
        status.textContent = error.message
      } finally {
        examples.disabled = false
      }
    }
  }, 'Add the example questions')

  let timer = null
  const later = () => { clearTimeout(timer); timer = setTimeout(() => load(), 250) }
  text.addEventListener('input', later)
  tag.addEventListener('input', later)
  difficulty.addEventListener('change', () => load())

  clear(root).append(h('main.bank', {},
    h('div.brand', {}, h('a.logo', { href: '/' }, 'Duet'), accountBar(current, { onSignedOut: () => renderBank(root) })),
    h('div.page-head', {},
      h('h1', {}, 'Question bank'),
      examples,
      h('a.button', { href: '/questions/new' }, 'New question')),
    h('div.bank-filters', {}, text, tag, difficulty),
    notice, status, list, more))
  load()
}
