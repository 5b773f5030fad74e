// The look each browser keeps for itself: the theme (following the system's
// prefers-color-scheme unless the person picked one) and the editor's font size, both in
// localStorage. The page's colours come from CSS variables keyed on <html data-theme>; the
// editor takes CodeMirror's maintained One Dark theme when dark.
const THEME_KEY = 'duet.theme'
const FONT_KEY = 'duet.fontSize'
export const FONT_SIZES = { min: 11, max: 24, initial: 14 }

const listeners = new Set()
const systemDark = window.matchMedia('(prefers-color-scheme: dark)')

function stored (key) {
  try { return localStorage.getItem(key) } catch { return null }
}

function store (key, value) {
  try {
    if (value === null) localStorage.removeItem(key)
    else localStorage.setItem(key, String(value))
  } catch { /* private mode: the choice lasts for this page only */ }
}

// 'system', 'light' or 'dark': what the person chose.
export function themeChoice () {
  const choice = stored(THEME_KEY)
  return choice === 'light' || choice === 'dark' ? choice : 'system'
}

// 'light' or 'dark': what the page shows.
export function currentTheme () {
  const choice = themeChoice()
  if (choice !== 'system') return choice
  return systemDark.matches ? 'dark' : 'light'
}

export function fontSize () {
  const size = Number(stored(FONT_KEY))
  return Number.isInteger(size) && size >= FONT_SIZES.min && size <= FONT_SIZES.max ? size : FONT_SIZES.initial
}

function apply () {
  const root = document.documentElement
  root.dataset.theme = currentTheme()
  root.style.setProperty('--editor-font-size', `${fontSize()}px`)
  for (const listener of listeners) listener({ theme: currentTheme(), fontSize: fontSize() })
}

export function chooseTheme (choice) {
  store(THEME_KEY, choice === 'light' || choice === 'dark' ? choice : null)
  apply()
}

export function setFontSize (size) {
  const bounded = Math.min(FONT_SIZES.max, Math.max(FONT_SIZES.min, Math.round(size)))
  store(FONT_KEY, bounded === FONT_SIZES.initial ? null : bounded)
  apply()
}

// Call `listener({theme, fontSize})` on every change (the choice, or the system's theme).
export function onLookChange (listener) {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

export function startLook () {
  systemDark.addEventListener('change', () => { if (themeChoice() === 'system') apply() })
  // Another tab of this browser changed the look: follow it.
  window.addEventListener('storage', (event) => { if (event.key === THEME_KEY || event.key === FONT_KEY) apply() })
  apply()
}
