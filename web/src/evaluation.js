// The interviewer's scorecard: one per interviewer per session (submitting again replaces
// it). Only interviewers load or send it; the server refuses a candidate's token.
import { api } from './api.js'
import { h, formatClock } from './dom.js'

const RATINGS = [[1, '1 — poor'], [2, '2 — weak'], [3, '3 — good'], [4, '4 — excellent']]
const RECOMMENDATIONS = [
  ['strong_no', 'Strong no'], ['no', 'No'], ['yes', 'Yes'], ['strong_yes', 'Strong yes']
]

export class EvaluationPanel {
  constructor ({ sessionId, token, myId }) {
    this.sessionId = sessionId
    this.token = token
    this.myId = myId
    this.status = h('p.muted.evaluation-status', { role: 'status' })
    this.text = h('textarea.evaluation-text', { rows: '6', maxlength: '20000', placeholder: 'Strengths, concerns, evidence', 'aria-label': 'Evaluation' })
    const choice = (name, value, text) => h('label.choice', {},
      h('input', { type: 'radio', name, value: String(value) }), text)
    this.form = h('form.evaluation', {
      onsubmit: (event) => { event.preventDefault(); this.submit() }
    },
    h('fieldset', {}, h('legend', {}, 'Rating'), ...RATINGS.map(([value, text]) => choice('rating', value, text))),
    h('fieldset', {}, h('legend', {}, 'Recommendation'), ...RECOMMENDATIONS.map(([value, text]) => choice('recommendation', value, text))),
    this.text,
    h('button', { type: 'submit' }, 'Submit scorecard'),
    this.status)
    this.element = h('section.evaluation-panel', {}, this.form)
  }

  async load () {
    try {
      const { data } = await api('GET', `/sessions/${this.sessionId}/evaluations`, { token: this.token })
      const mine = data.find((evaluation) => evaluation.authorId === this.myId)
      if (mine) this.show(mine)
    } catch (error) {
      this.status.textContent = error.message
    }
  }

  show (evaluation) {
    this.form.querySelector(`input[name=rating][value="${evaluation.rating}"]`).checked = true
    this.form.querySelector(`input[name=recommendation][value="${evaluation.recommendation}"]`).checked = true
    this.text.value = evaluation.text || ''
    this.status.textContent = `Submitted ${formatClock(evaluation.updatedAt)}`
  }

  async submit () {
    const rating = this.form.querySelector('input[name=rating]:checked')
    const recommendation = this.form.querySelector('input[name=recommendation]:checked')
    if (!rating || !recommendation) {
      this.status.textContent = 'Choose a rating and a recommendation.'
      return
    }
    try {
      const { data } = await api('POST', `/sessions/${this.sessionId}/evaluations`, {
        token: this.token,
        body: { rating: Number(rating.value), recommendation: recommendation.value, text: this.text.value }
      })
      this.show(data)
    } catch (error) {
      this.status.textContent = error.message
    }
  }
}
