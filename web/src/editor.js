// CodeMirror 6 bound to the session's Y.Text: y-codemirror.next turns local edits into Yjs
// updates and draws the other participants' cursors and selections from awareness.
import { EditorView, basicSetup } from 'codemirror'
import { Compartment, EditorState, Prec } from '@codemirror/state'
import { keymap } from '@codemirror/view'
import { indentWithTab } from '@codemirror/commands'
import { StreamLanguage } from '@codemirror/language'
import { javascript } from '@codemirror/lang-javascript'
import { python } from '@codemirror/lang-python'
import { html } from '@codemirror/lang-html'
import { cpp } from '@codemirror/lang-cpp'
import { java } from '@codemirror/lang-java'
import { rust } from '@codemirror/lang-rust'
import { go } from '@codemirror/lang-go'
import { shell } from '@codemirror/legacy-modes/mode/shell'
import { ruby } from '@codemirror/legacy-modes/mode/ruby'
import * as Y from 'yjs'
import { yCollab } from 'y-codemirror.next'
import { oneDark } from '@codemirror/theme-one-dark'
import { currentTheme, onLookChange } from './theme.js'

const SYNTAX = {
  javascript: () => javascript(),
  typescript: () => javascript({ typescript: true }),
  python: () => python(),
  html: () => html(),
  c: () => cpp(),
  cpp: () => cpp(),
  java: () => java(),
  rust: () => rust(),
  go: () => go(),
  bash: () => StreamLanguage.define(shell),
  ruby: () => StreamLanguage.define(ruby)
}

export function syntaxFor (language) {
  const make = SYNTAX[language]
  return make ? make() : []
}

// One Dark's active-line background leaves its keywords (#c678dd) at 4.4:1, under WCAG's
// 4.5:1 for text; a shade darker keeps the line visible and the text readable.
const activeLineWithContrast = EditorView.theme({
  '.cm-activeLine': { backgroundColor: '#292d36' },
  '.cm-activeLineGutter': { backgroundColor: '#292d36' }
}, { dark: true })

// A remote caret's name label is drawn on the participant's own colour, which may be light
// or dark (people pick theirs): its text is black or white, whichever reads (WCAG's
// relative luminance; 0.179 is where both give the same contrast).
function readableOn (background) {
  const [r, g, b] = (background.match(/\d+(\.\d+)?/g) || []).slice(0, 3).map(Number)
  if ([r, g, b].some((v) => Number.isNaN(v) || v === undefined)) return null
  const linear = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4 }
  const luminance = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
  return luminance > 0.179 ? '#000' : '#fff'
}

function labelsReadable (root) {
  const fix = (label) => {
    const color = readableOn(getComputedStyle(label).backgroundColor)
    if (color) label.style.color = color
  }
  new MutationObserver((changes) => {
    for (const change of changes) {
      for (const node of change.addedNodes) {
        if (!(node instanceof HTMLElement)) continue
        if (node.matches('.cm-ySelectionInfo')) fix(node)
        node.querySelectorAll?.('.cm-ySelectionInfo').forEach(fix)
      }
    }
  }).observe(root, { childList: true, subtree: true })
}

export function createEditor (parent, { ytext, awareness, language, onRun }) {
  const syntax = new Compartment()
  const editable = new Compartment()
  const look = new Compartment()
  const lookFor = (theme) => theme === 'dark' ? [Prec.highest(activeLineWithContrast), oneDark] : []
  const undoManager = new Y.UndoManager(ytext)
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: ytext.toString(),
      extensions: [
        keymap.of([
          { key: 'Mod-Enter', run: () => { onRun(); return true } },
          indentWithTab
        ]),
        basicSetup,
        syntax.of(syntaxFor(language)),
        editable.of([]),
        look.of(lookFor(currentTheme())),
        EditorView.contentAttributes.of({ 'aria-label': 'Code' }),
        yCollab(ytext, awareness, { undoManager }),
        EditorView.theme({
          '&': { height: '100%' },
          '.cm-scroller': { fontFamily: 'var(--mono)', fontSize: 'var(--editor-font-size)' },
          // Room above the first line for the name label on a remote caret there.
          '.cm-content': { paddingTop: '14px' },
          '.cm-ySelectionInfo': { fontFamily: 'var(--sans)', opacity: 1, padding: '1px 4px', borderRadius: '3px' }
        })
      ]
    })
  })
  onLookChange(({ theme }) => view.dispatch({ effects: look.reconfigure(lookFor(theme)) }))
  labelsReadable(view.dom)
  return {
    view,
    setLanguage (name) {
      view.dispatch({ effects: syntax.reconfigure(syntaxFor(name)) })
    },
    setReadOnly () {
      view.dispatch({ effects: editable.reconfigure([EditorState.readOnly.of(true), EditorView.editable.of(false)]) })
    }
  }
}
