// A language switch and the code in the editor: the new language's starter replaces code
// that is still the old language's starter (or empty); anything else the person wrote is
// replaced only if they say so, in a dialog (Escape or Cancel keeps the old language).
// In a session with a question, the starters are the question's (the built-in ones for a
// language it has none for).
import { h } from './dom.js'
import { STARTER_CODE, label } from './templates.js'

export const builtInStarter = (language) => STARTER_CODE[language]

export function questionStarters (question) {
  return (language) => {
    const starters = (question && question.starters) || {}
    return language in starters ? starters[language] : STARTER_CODE[language]
  }
}

export function isUntouched (code, language, starterFor = builtInStarter) {
  return code.trim() === '' || code === (starterFor(language) || '')
}

// 'replace', 'keep' or 'cancel'.
export function askAboutCode (next) {
  return new Promise((resolve) => {
    let answer = 'cancel'
    const choose = (value) => () => { answer = value; dialog.close() }
    const dialog = h('dialog.switch-dialog', { 'aria-labelledby': 'switch-title' },
      h('h2', { id: 'switch-title' }, `Switch to ${label(next)}?`),
      h('p', {}, `The editor holds code written for another language. Replace it with the ${label(next)} starter, or keep it?`),
      h('div.dialog-actions', {},
        h('button', { type: 'button', onclick: choose('replace') }, `Replace with the ${label(next)} starter`),
        h('button.secondary', { type: 'button', onclick: choose('keep') }, 'Keep my code'),
        h('button.secondary', { type: 'button', onclick: choose('cancel') }, 'Cancel')))
    dialog.addEventListener('close', () => { dialog.remove(); resolve(answer) })
    document.body.append(dialog)
    dialog.showModal()
  })
}

// Switch `meta.language` to `next`, with the starter when the code is untouched or the
// person asks for it; in one transaction, so everyone sees both at once.
export async function switchLanguage ({ doc, ytext, meta, previous, next, starterFor = builtInStarter }) {
  const starter = starterFor(next)
  let replace = starter !== undefined && isUntouched(ytext.toString(), previous, starterFor)
  if (!replace && starter !== undefined && ytext.toString().trim() !== '') {
    const answer = await askAboutCode(next)
    if (answer === 'cancel') return false
    replace = answer === 'replace'
  }
  doc.transact(() => {
    meta.set('language', next)
    if (replace) {
      ytext.delete(0, ytext.length)
      ytext.insert(0, starter)
    }
  })
  return true
}
