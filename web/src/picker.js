// The question picker of the home page: the organization's bank, searched by text and tag
// (and difficulty), one question chosen (or none: a blank editor).
import { accountApi } from './account.js'
import { h, clear } from './dom.js'
import { label } from './templates.js'

export function questionQuery ({ text, tag, difficulty, cursor, limit = 20 }) {
  const query = new URLSearchParams({ limit: String(limit) })
  if (text) query.set('q', text)
  if (tag) query.set('tag', tag.toLowerCase())
  if (difficulty) query.set('difficulty', difficulty)
  if (cursor) query.set('cursor', cursor)
  return `/questions?${query}`
}

export function testCounts (question) {
  const visible = question.testCount - question.hiddenTestCount
  return `${question.testCount} ${question.testCount === 1 ? 'test' : 'tests'}` +
    (question.hiddenTestCount ? ` (${visible} visible, ${question.hiddenTestCount} hidden)` : '')
}

export function questionMeta (question) {
  return h('span.question-meta.muted', {},
    h('span.difficulty', { 'data-difficulty': question.difficulty }, question.difficulty),
    question.tags.length ? ` · ${question.tags.join(', ')}` : '',
    ` · ${testCounts(question)}`,
    question.languages && question.languages.length ? ` · ${question.languages.map(label).join(', ')}` : '')
}

export class QuestionPicker {
  constructor () {
    this.selected = null
    this.text = h('input', { type: 'search', placeholder: 'two sum', 'aria-label': 'Search questions' })
    this.tag = h('input', { type: 'search', placeholder: 'arrays', 'aria-label': 'Tag', size: '12' })
    this.list = h('div.question-choices', { role: 'radiogroup', 'aria-label': 'Questions' })
    this.status = h('p.error', { role: 'alert' })
    let timer = null
    const later = () => { clearTimeout(timer); timer = setTimeout(() => this.load(), 250) }
    this.text.addEventListener('input', later)
    this.tag.addEventListener('input', later)
    this.element = h('fieldset.question-picker', {},
      h('legend', {}, 'Question'),
      h('div.picker-filters', {}, this.text, this.tag),
      this.list, this.status)
  }

  choice (question) {
    const input = h('input', {
      type: 'radio',
      name: 'question',
      value: question ? question.id : '',
      checked: question ? this.selected && this.selected.id === question.id : !this.selected,
      onchange: () => { this.selected = question }
    })
    return h('div', {}, h('label.question-choice', {}, input,
      h('span.question-title', {}, question ? question.title : 'No question (a blank editor)'),
      question ? questionMeta(question) : null))
  }

  async load () {
    this.status.textContent = ''
    let page
    try {
      page = await accountApi('GET', questionQuery({ text: this.text.value.trim(), tag: this.tag.value.trim() }))
    } catch (error) {
      this.status.textContent = error.message
      return
    }
    // The chosen question stays listed while the search changes.
    const shown = page.data.filter((question) => !this.selected || question.id !== this.selected.id)
    clear(this.list).append(this.choice(null))
    if (this.selected) this.list.append(this.choice(this.selected))
    this.list.append(...shown.map((question) => this.choice(question)))
    if (!page.data.length) {
      this.list.append(h('p.muted', {}, this.text.value || this.tag.value
        ? 'No question matches.'
        : h('span', {}, 'The bank is empty. ', h('a', { href: '/questions' }, 'Add questions'))))
    }
  }
}
