// The keyboard shortcuts sheet: opened with "?" (outside text fields) or from the View
// menu, closed with Escape or its button; focus goes back where it was.
import { h } from './dom.js'

const SHORTCUTS = [
  ['Ctrl/Cmd + Enter', 'Run the code (Preview for HTML)'],
  ['Ctrl/Cmd + Shift + Enter', 'Run the question\'s tests'],
  ['Tab / Shift + Tab', 'Indent / outdent in the editor'],
  ['Esc, then Tab', 'Leave the editor (Tab indents while in it)'],
  ['Ctrl/Cmd + Z, Ctrl/Cmd + Shift + Z', 'Undo / redo'],
  ['Ctrl/Cmd + F', 'Find in the code'],
  ['Ctrl/Cmd + /', 'Comment the line'],
  ['?', 'This sheet'],
  ['Esc', 'Close a menu, a dialog or this sheet']
]

function typing (target) {
  return target instanceof HTMLElement &&
    (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))
}

export function shortcutsSheet () {
  let returnTo = null
  const close = () => {
    sheet.hidden = true
    if (returnTo) returnTo.focus()
  }
  const closeButton = h('button.secondary', { type: 'button', onclick: close }, 'Close')
  const sheet = h('div.popover.shortcuts', {
    hidden: true, role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'shortcuts-title', tabindex: '-1'
  },
  h('h2', { id: 'shortcuts-title' }, 'Keyboard shortcuts'),
  h('table', {}, h('tbody', {}, SHORTCUTS.map(([keys, what]) =>
    h('tr', {}, h('th', { scope: 'row' }, h('kbd', {}, keys)), h('td', {}, what))))),
  closeButton)
  sheet.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') { event.stopPropagation(); close() }
  })
  const open = () => {
    returnTo = document.activeElement instanceof HTMLElement ? document.activeElement : null
    sheet.hidden = false
    closeButton.focus()
  }
  document.addEventListener('keydown', (event) => {
    if (event.key !== '?' || event.ctrlKey || event.metaKey || event.altKey) return
    if (typing(event.target) || event.target.closest?.('.cm-editor')) return
    event.preventDefault()
    open()
  })
  return { element: sheet, open }
}
