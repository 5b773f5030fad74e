// CodeMirror 6 bound to the session's Y.Text: y-codemirror.next turns local edits into Yjs
// updates and draws the other participants' cursors and selections from awareness.
import { EditorView, basicSetup } from 'codemirror'
import { Compartment, EditorState } from '@codemirror/state'
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

export function createEditor (parent, { ytext, awareness, language, onRun }) {
  const syntax = new Compartment()
  const editable = new Compartment()
  const look = new Compartment()
  const lookFor = (theme) => theme === 'dark' ? oneDark : []
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
