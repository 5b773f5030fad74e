// The prompt pane beside the editor: the session's question, its Markdown as the server
// rendered and sanitized it (`promptHtml`: no script, handler or javascript: link can be in
// it), and for interviewers the interviewer notes (as text).
import { h, clear } from './dom.js'

export function promptBody (promptHtml) {
  const body = h('div.prompt-body')
  // Sanitized by the server (nh3); the only HTML this app inserts as HTML.
  body.innerHTML = promptHtml
  for (const link of body.querySelectorAll('a')) link.target = '_blank'
  return body
}

export class PromptPane {
  constructor () {
    this.element = h('section.prompt-pane', { 'aria-label': 'Question', hidden: true })
  }

  show (question) {
    this.element.hidden = !question
    clear(this.element)
    if (!question) return
    this.element.append(
      h('header.prompt-header', {},
        h('h2.prompt-title', {}, question.title),
        h('span.muted', {},
          h('span.difficulty', { 'data-difficulty': question.difficulty }, question.difficulty),
          question.tags.length ? ` · ${question.tags.join(', ')}` : '',
          ` · version ${question.version}`)),
      promptBody(question.promptHtml))
    if (question.interviewerNotes) {
      this.element.append(h('details.interviewer-notes', {},
        h('summary', {}, 'Interviewer notes (not shown to the candidate)'),
        h('div.notes-text', {}, question.interviewerNotes)))
    }
  }
}
