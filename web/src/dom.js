// A tiny element builder: h('div.class', {attrs}, children...). Text is always set as text,
// never as HTML, so names and program output cannot inject markup.
export function h (spec, attrs = {}, ...children) {
  const [tag, ...classes] = spec.split('.')
  const element = document.createElement(tag || 'div')
  if (classes.length) element.className = classes.join(' ')
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue
    if (key.startsWith('on')) element.addEventListener(key.slice(2).toLowerCase(), value)
    else if (key === 'text') element.textContent = value
    else if (key in element && typeof value !== 'string') element[key] = value
    else element.setAttribute(key, value === true ? '' : value)
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue
    element.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
  return element
}

export function clear (element) {
  while (element.firstChild) element.firstChild.remove()
  return element
}

export function formatDuration (ms) {
  if (ms < 1000) return `${ms} ms`
  return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`
}

export function formatLeft (ms) {
  if (ms <= 0) return 'expired'
  const minutes = Math.floor(ms / 60000)
  const hours = Math.floor(minutes / 60)
  if (hours > 0) return `${hours}h ${String(minutes % 60).padStart(2, '0')}m left`
  return `${minutes}m ${String(Math.floor(ms / 1000) % 60).padStart(2, '0')}s left`
}

export function formatClock (ms) {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
}
