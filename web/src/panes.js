// Resizing the room's panes by dragging the line between them (or with the arrow keys on
// it): the side panel's width, and the prompt pane's when there is a question. Each width
// is kept per browser; on a phone the panes stack and the handles are hidden.
import { h } from './dom.js'

const STEP = 16
const PANES = {
  side: { key: 'duet.sideWidth', min: 260, maxShare: 0.7, variable: '--side-width', label: 'Resize the side panel' },
  prompt: { key: 'duet.promptWidth', min: 180, maxShare: 0.5, variable: '--prompt-width', label: 'Resize the question pane' }
}

function saved (key) {
  try { return Number(localStorage.getItem(key)) || null } catch { return null }
}

function save (key, value) {
  try { localStorage.setItem(key, String(Math.round(value))) } catch { /* private mode */ }
}

// A handle for `name` ('side': on the side panel's left edge; 'prompt': on the prompt
// pane's right edge), sizing that pane inside `workspace`. It is a child of the workspace
// placed over the line (out of the grid's flow), so the panes' own content and scrolling
// never move it; it follows the pane as that is resized or shown.
export function paneHandle (workspace, name) {
  const pane = PANES[name]
  const handle = h(`div.pane-handle.pane-handle-${name}`, {
    role: 'separator', tabindex: '0', 'aria-orientation': 'vertical', 'aria-label': pane.label
  })
  const bounds = () => {
    const max = Math.max(pane.min, workspace.getBoundingClientRect().width * pane.maxShare)
    return [pane.min, max]
  }
  const apply = (width, keep) => {
    const [min, max] = bounds()
    const bounded = Math.round(Math.min(max, Math.max(min, width)))
    workspace.style.setProperty(pane.variable, `${bounded}px`)
    handle.setAttribute('aria-valuenow', String(bounded))
    handle.setAttribute('aria-valuemin', String(min))
    handle.setAttribute('aria-valuemax', String(Math.round(max)))
    if (keep) save(pane.key, bounded)
    return bounded
  }
  const target = () => workspace.querySelector(name === 'side' ? '.side' : '.prompt-pane')
  const current = () => {
    const element = target()
    return element ? element.getBoundingClientRect().width : pane.min
  }
  const place = () => {
    const element = target()
    const shown = element && !element.hidden && element.offsetWidth > 0 &&
      getComputedStyle(workspace).gridTemplateColumns.split(' ').length > 1
    handle.hidden = !shown
    if (!shown) return
    const edge = name === 'side' ? element.offsetLeft : element.offsetLeft + element.offsetWidth
    handle.style.left = `${edge - 4}px`
    const [min, max] = bounds()
    handle.setAttribute('aria-valuenow', String(Math.round(element.offsetWidth)))
    handle.setAttribute('aria-valuemin', String(min))
    handle.setAttribute('aria-valuemax', String(Math.round(max)))
  }
  new ResizeObserver(place).observe(workspace)
  requestAnimationFrame(() => {
    const element = target()
    if (element) {
      new ResizeObserver(place).observe(element)
      new MutationObserver(place).observe(element, { attributes: true, attributeFilter: ['hidden'] })
    }
    place()
  })
  const widthAt = (clientX) => {
    const box = workspace.getBoundingClientRect()
    return name === 'side' ? box.right - clientX : clientX - box.left
  }
  handle.addEventListener('pointerdown', (event) => {
    event.preventDefault()
    handle.setPointerCapture(event.pointerId)
    workspace.classList.add('resizing')
    const move = (e) => apply(widthAt(e.clientX), false)
    const up = (e) => {
      apply(widthAt(e.clientX), true)
      workspace.classList.remove('resizing')
      handle.removeEventListener('pointermove', move)
      handle.removeEventListener('pointerup', up)
    }
    handle.addEventListener('pointermove', move)
    handle.addEventListener('pointerup', up)
  })
  handle.addEventListener('keydown', (event) => {
    // The side panel grows leftwards, the prompt pane rightwards.
    const grow = name === 'side' ? 'ArrowLeft' : 'ArrowRight'
    const shrink = name === 'side' ? 'ArrowRight' : 'ArrowLeft'
    if (event.key !== grow && event.key !== shrink) return
    event.preventDefault()
    apply(current() + (event.key === grow ? STEP : -STEP), true)
  })
  const stored = saved(pane.key)
  if (stored) requestAnimationFrame(() => apply(stored, false))
  return handle
}
