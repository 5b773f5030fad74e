// The room's "View" menu: theme (system, light, dark) and the editor's font size.
import { h } from './dom.js'
import { FONT_SIZES, chooseTheme, fontSize, onLookChange, setFontSize, themeChoice } from './theme.js'

export function lookControls ({ onShortcuts } = {}) {
  const theme = h('select', {
    'aria-label': 'Theme',
    onchange: () => chooseTheme(theme.value)
  },
  h('option', { value: 'system' }, 'System theme'),
  h('option', { value: 'light' }, 'Light'),
  h('option', { value: 'dark' }, 'Dark'))
  const size = h('output.font-size', { 'aria-live': 'polite', 'aria-label': 'Font size' })
  const smaller = h('button.secondary', { type: 'button', 'aria-label': 'Smaller text', onclick: () => setFontSize(fontSize() - 1) }, 'A−')
  const larger = h('button.secondary', { type: 'button', 'aria-label': 'Larger text', onclick: () => setFontSize(fontSize() + 1) }, 'A+')
  const panel = h('div.popover.look-panel', { hidden: true, role: 'group', 'aria-label': 'View settings' },
    h('label', {}, 'Theme ', theme),
    h('div.font-row', {}, 'Font size ', smaller, size, larger),
    onShortcuts ? h('button.link-button', { type: 'button', onclick: () => { panel.hidden = true; toggle.setAttribute('aria-expanded', 'false'); onShortcuts() } }, 'Keyboard shortcuts (?)') : null)
  const toggle = h('button.secondary.look-toggle', {
    type: 'button',
    'aria-label': 'View settings',
    'aria-expanded': 'false',
    title: 'Theme and font size',
    onclick: () => {
      panel.hidden = !panel.hidden
      toggle.setAttribute('aria-expanded', String(!panel.hidden))
      if (!panel.hidden) theme.focus()
    }
  }, 'Aa')
  panel.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') { panel.hidden = true; toggle.setAttribute('aria-expanded', 'false'); toggle.focus() }
  })
  const show = () => {
    theme.value = themeChoice()
    size.textContent = `${fontSize()} px`
    smaller.disabled = fontSize() <= FONT_SIZES.min
    larger.disabled = fontSize() >= FONT_SIZES.max
  }
  onLookChange(show)
  show()
  return { toggle, panel }
}
