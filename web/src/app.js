// One bundle, three pages: `/` creates an interview, `/s/{id}` joins or re-enters it.
import './style.css'
import { renderHome } from './home.js'
import { renderProblem, renderSession } from './join.js'

const root = document.getElementById('app')
const match = location.pathname.match(/^\/s\/([0-9a-f]{8})\/?$/)
const problem = root.dataset.problem

if (problem) {
  renderProblem(root, problem)
} else if (match) {
  renderSession(root, match[1], new URLSearchParams(location.search).get('invite'))
} else {
  renderHome(root)
}
