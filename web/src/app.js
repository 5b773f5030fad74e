// One bundle, the app's pages: `/` creates an interview, `/s/{id}` joins or re-enters it,
// `/questions` is the question bank and `/questions/new`, `/questions/{id}` its editor.
import './style.css'
import { renderHome } from './home.js'
import { renderProblem, renderSession } from './join.js'
import { renderQuestionEditor } from './question_editor.js'
import { renderBank } from './questions.js'
import { startLook } from './theme.js'

startLook()

const root = document.getElementById('app')
const session = location.pathname.match(/^\/s\/([0-9a-f]{8})\/?$/)
const question = location.pathname.match(/^\/questions\/([0-9a-fA-F-]{36}|new)\/?$/)
const problem = root.dataset.problem

if (problem) {
  renderProblem(root, problem)
} else if (session) {
  renderSession(root, session[1], new URLSearchParams(location.search).get('invite'))
} else if (/^\/questions\/?$/.test(location.pathname)) {
  renderBank(root)
} else if (question) {
  renderQuestionEditor(root, question[1])
} else {
  renderHome(root)
}
