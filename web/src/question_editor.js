// `/questions/new` and `/questions/{id}`: write a question (title, prompt with a live preview
// rendered by the server, difficulty, tags, starters and harness per language, the tests
// with a hidden toggle, compare mode, interviewer notes), save it (POST, or PUT: a new
// version), and try a reference solution against the tests as they stand
// (POST /questions/try: nothing is stored).
import { accountApi, accountBar } from './account.js'
import { languageOptions } from './home.js'
import { h, clear } from './dom.js'
import { withAccount } from './questions.js'
import { percent, testItem } from './test_results.js'
import { label } from './templates.js'

const COMPARE_MODES = [
  ['trim', 'trim — ignore trailing spaces and newlines'],
  ['exact', 'exact — byte for byte'],
  ['tokens', 'tokens — whitespace-separated words'],
  ['float', 'float — numbers within a tolerance']
]

export function renderQuestionEditor (root, questionId) {
  withAccount(root, (current) => editorPage(root, current, questionId), 'Sign in to edit your organization\'s questions.')
}

// Code per language (starters, harness): rows of a language and its code.
class CodeList {
  constructor (what, languages) {
    this.what = what
    this.languages = languages
    this.rows = h('div.code-rows')
    this.add = h('button.secondary', { type: 'button', onclick: () => this.addRow('', '') }, `Add a ${what.toLowerCase()}`)
    this.element = h('div.code-list', {}, this.rows, this.add)
  }

  addRow (language, code) {
    const used = new Set(this.values().map(([name]) => name))
    const names = this.languages.map((item) => item.name)
    if (language && !names.includes(language)) names.push(language)
    const chosen = language || names.find((name) => !used.has(name)) || names[0]
    const select = h('select.code-language', { 'aria-label': `${this.what} language` },
      names.map((name) => h('option', { value: name, selected: name === chosen }, label(name))))
    const text = h('textarea.code-text', { spellcheck: false, 'aria-label': `${this.what} code` }, code)
    const row = h('div.code-row', {}, select, text,
      h('button.link-button', { type: 'button', onclick: () => row.remove() }, 'Remove'))
    this.rows.append(row)
  }

  values () {
    return [...this.rows.querySelectorAll('.code-row')].map((row) =>
      [row.querySelector('select').value, row.querySelector('textarea').value])
  }

  set (map) {
    clear(this.rows)
    for (const [language, code] of Object.entries(map || {})) this.addRow(language, code)
  }

  map () {
    return Object.fromEntries(this.values())
  }
}

// The tests table: name, stdin, expected stdout, hidden, timeout, weight.
class TestsTable {
  constructor () {
    this.body = h('tbody')
    this.add = h('button.secondary.add-test', { type: 'button', onclick: () => this.addRow() }, 'Add a test')
    this.element = h('div.tests-editor', {},
      h('table.tests-table', {},
        h('thead', {}, h('tr', {}, ['Name', 'stdin', 'Expected stdout', 'Hidden', 'Timeout (ms)', 'Weight', ''].map((name) => h('th', {}, name)))),
        this.body),
      this.add)
  }

  addRow (test = {}) {
    const number = this.body.children.length + 1
    const cell = (...children) => h('td', {}, ...children)
    const row = h('tr.test-row', {},
      cell(h('input.test-name-input', { type: 'text', value: test.name || `test ${number}`, 'aria-label': `Test ${number} name` })),
      cell(h('textarea.test-stdin-input', { spellcheck: false, 'aria-label': `Test ${number} stdin` }, test.stdin || '')),
      cell(h('textarea.test-expected-input', { spellcheck: false, 'aria-label': `Test ${number} expected stdout` }, test.expectedStdout || '')),
      cell(h('input.test-hidden-input', { type: 'checkbox', checked: Boolean(test.hidden), 'aria-label': `Test ${number} hidden` })),
      cell(h('input.test-timeout-input', { type: 'number', min: '100', max: '60000', step: '100', value: String(test.timeoutMs || 5000), 'aria-label': `Test ${number} timeout` })),
      cell(h('input.test-weight-input', { type: 'number', min: '0', step: 'any', value: String(test.weight || 1), 'aria-label': `Test ${number} weight` })),
      cell(h('button.link-button', { type: 'button', onclick: () => row.remove() }, 'Remove')))
    this.body.append(row)
  }

  set (tests) {
    clear(this.body)
    for (const test of tests || []) this.addRow(test)
  }

  // A number field the browser cannot read as one goes as typed: the server's 400 names it.
  values () {
    const number = (input, parse) => {
      if (input.value.trim() === '') return undefined
      const value = parse(input.value)
      return Number.isNaN(value) ? input.value : value
    }
    return [...this.body.querySelectorAll('tr')].map((row) => {
      const test = {
        name: row.querySelector('.test-name-input').value,
        stdin: row.querySelector('.test-stdin-input').value,
        expectedStdout: row.querySelector('.test-expected-input').value,
        hidden: row.querySelector('.test-hidden-input').checked
      }
      const timeoutMs = number(row.querySelector('.test-timeout-input'), (text) => Number(text))
      const weight = number(row.querySelector('.test-weight-input'), (text) => Number(text))
      if (timeoutMs !== undefined) test.timeoutMs = timeoutMs
      if (weight !== undefined) test.weight = weight
      return test
    })
  }
}

async function editorPage (root, current, questionId) {
  document.title = 'Duet — question'
  let id = questionId === 'new' ? null : questionId
  const languages = await languageOptions()
  const status = h('p.error', { role: 'alert' })
  const notice = h('p.notice', { role: 'status' })

  const title = h('input', { name: 'title', maxlength: '200', required: true })
  const difficulty = h('select', { name: 'difficulty' },
    ['easy', 'medium', 'hard'].map((name) => h('option', { value: name, selected: name === 'medium' }, name)))
  const tags = h('input', { name: 'tags', placeholder: 'arrays, hashing' })
  const compare = h('select', { name: 'compare' }, COMPARE_MODES.map(([value, words]) => h('option', { value }, words)))
  const tolerance = h('input', { name: 'tolerance', value: '1e-6', size: '10' })
  const toleranceLabel = h('label', { hidden: true }, 'Tolerance', tolerance)
  compare.addEventListener('change', () => { toleranceLabel.hidden = compare.value !== 'float' })
  const prompt = h('textarea.prompt-input', { name: 'prompt', spellcheck: true })
  const preview = h('div.preview-body', { 'aria-label': 'Prompt preview', 'aria-live': 'polite' })
  const previewStatus = h('p.error.preview-error', { role: 'alert' })
  const starters = new CodeList('Starter', languages)
  const harness = new CodeList('Harness', languages)
  const tests = new TestsTable()
  const notes = h('textarea', { name: 'interviewerNotes', spellcheck: true, rows: '4' })

  // The live preview is the server's rendering, so it is what the room will show.
  let previewTimer = null
  let previewAsked = 0
  const renderPreview = async () => {
    const asked = ++previewAsked
    try {
      const { data } = await accountApi('POST', '/questions/preview', { body: { prompt: prompt.value } })
      if (asked !== previewAsked) return
      previewStatus.textContent = ''
      // Sanitized by the server, as a saved question's promptHtml.
      preview.innerHTML = data.promptHtml
    } catch (error) {
      if (asked === previewAsked) previewStatus.textContent = `Preview: ${error.message}`
    }
  }
  prompt.addEventListener('input', () => { clearTimeout(previewTimer); previewTimer = setTimeout(renderPreview, 250) })

  const body = () => ({
    title: title.value,
    prompt: prompt.value,
    difficulty: difficulty.value,
    tags: tags.value.split(',').map((tag) => tag.trim()).filter(Boolean),
    starters: starters.map(),
    tests: tests.values(),
    compare: compare.value === 'float' ? `float:${tolerance.value.trim()}` : compare.value,
    harness: harness.map(),
    interviewerNotes: notes.value
  })

  const heading = h('h1', {}, id ? 'Edit question' : 'New question')
  const version = h('span.muted.question-version')
  const fill = (question) => {
    title.value = question.title
    difficulty.value = question.difficulty
    tags.value = question.tags.join(', ')
    prompt.value = question.prompt
    preview.innerHTML = question.promptHtml
    if (question.compare.startsWith('float:')) {
      compare.value = 'float'
      tolerance.value = question.compare.slice('float:'.length)
      toleranceLabel.hidden = false
    } else {
      compare.value = question.compare
    }
    starters.set(question.starters)
    harness.set(question.harness)
    tests.set(question.tests)
    notes.value = question.interviewerNotes
    version.textContent = `version ${question.version} of ${question.latestVersion}`
    document.title = `Duet — ${question.title}`
  }

  const save = h('button.save-question', {
    type: 'submit'
  }, 'Save question')
  const remove = h('button.danger.delete-question', {
    type: 'button',
    hidden: !id,
    onclick: async () => {
      if (!confirm('Take this question out of the bank? Past interviews keep their version.')) return
      try {
        await accountApi('DELETE', `/questions/${id}`)
        location.href = '/questions'
      } catch (error) {
        status.textContent = error.message
      }
    }
  }, 'Delete')
  const form = h('form.question-form', {
    onsubmit: async (event) => {
      event.preventDefault()
      save.disabled = true
      status.textContent = ''
      notice.textContent = ''
      try {
        const { data } = id
          ? await accountApi('PUT', `/questions/${id}`, { body: body() })
          : await accountApi('POST', '/questions', { body: body() })
        id = data.id
        history.replaceState(null, '', `/questions/${id}`)
        heading.textContent = 'Edit question'
        remove.hidden = false
        fill(data)
        notice.textContent = `Saved: version ${data.version}.`
      } catch (error) {
        status.textContent = error.message
      } finally {
        save.disabled = false
      }
    }
  },
  h('section.editor-grid', {},
    h('label.wide', {}, 'Title', title),
    h('label', {}, 'Difficulty', difficulty),
    h('label', {}, 'Tags (comma-separated)', tags),
    h('label', {}, 'Compare output', compare),
    toleranceLabel,
    h('label', {}, 'Prompt (Markdown)', prompt),
    h('div', {}, h('span.muted', {}, 'Preview'), preview, previewStatus)),
  h('section', {}, h('h2', {}, 'Starters'), h('p.muted', {}, 'The code the editor starts with, per language.'), starters.element),
  h('section', {}, h('h2', {}, 'Tests'),
    h('p.muted', {}, 'Hidden tests run and count in the score; candidates see only whether they passed.'),
    tests.element),
  h('section', {}, h('h2', {}, 'Harness'),
    h('p.muted', {}, 'Optional, per language: reads stdin, calls the candidate\'s function and prints its result.'),
    harness.element),
  h('section', {}, h('label', {}, 'Interviewer notes (never shown to candidates)', notes)),
  h('div.form-actions', {}, save, remove, notice),
  status)

  // Try the reference solution against the tests as they stand in the form.
  const trialLanguage = h('select', { 'aria-label': 'Solution language' },
    languages.map((item) => h('option', { value: item.name, selected: item.name === 'python' }, label(item.name))))
  const trialCode = h('textarea.trial-code', { spellcheck: false, 'aria-label': 'Reference solution', placeholder: 'Paste a solution; it is run against the tests above and not stored.' })
  const trialSummary = h('div.trial-summary', { 'aria-live': 'polite' })
  const trialStatus = h('p.error.trial-error', { role: 'alert' })
  const trialResults = h('ol.test-list.trial-results')
  const trialButton = h('button.try-solution', {
    type: 'button',
    onclick: async () => {
      trialButton.disabled = true
      trialStatus.textContent = ''
      trialSummary.textContent = 'Running the tests…'
      clear(trialResults)
      const question = body()
      try {
        const { data } = await accountApi('POST', '/questions/try', {
          body: { language: trialLanguage.value, code: trialCode.value, tests: question.tests, compare: question.compare, harness: question.harness }
        })
        trialSummary.textContent = `${data.passed} of ${data.total} ${data.total === 1 ? 'test' : 'tests'} passed · score ${percent(data.score)}`
        trialSummary.className = `trial-summary ${data.failed ? 'failed' : 'ok'}`
        trialResults.append(...data.results.map((result) =>
          testItem({ name: result.name, hidden: result.hidden, stdin: result.stdin, expectedStdout: result.expected }, result.index, result)))
      } catch (error) {
        trialSummary.textContent = ''
        trialStatus.textContent = error.message
      } finally {
        trialButton.disabled = false
      }
    }
  }, 'Run the tests')
  const trial = h('section.trial', {},
    h('h2', {}, 'Try the reference solution'),
    h('div.trial-bar', {}, trialLanguage, trialButton),
    trialCode, trialSummary, trialStatus, trialResults)

  clear(root).append(h('main.question-editor', {},
    h('div.brand', {}, h('a.logo', { href: '/' }, 'Duet'), accountBar(current, { onSignedOut: () => renderQuestionEditor(root, questionId) })),
    h('div.page-head', {}, heading, version, h('a', { href: '/questions' }, '← Question bank')),
    form, trial))

  if (!id) {
    tests.addRow()
    starters.addRow('python', '')
    return title.focus()
  }
  try {
    fill((await accountApi('GET', `/questions/${id}`)).data)
  } catch (error) {
    status.textContent = error.code === 'QUESTION_NOT_FOUND'
      ? 'This question is not in your organization\'s bank (or it was deleted).'
      : error.message
    save.disabled = true
  }
}
