// Start the GOV.UK Frontend components (buttons, password reveal, navigation, reveals) on every page.
import { initAll } from '/static/govuk/govuk-frontend.min.js'
initAll()

// "Add another": a list of rows shows the rows given and one empty row; its spare empty rows (all drawn,
// so the page works without JavaScript) open one at a time, up to the list's limit.
for (const list of document.querySelectorAll('[data-module="app-add-another"]')) {
  const button = list.querySelector('.app-add-another')
  const spare = () => list.querySelectorAll('.app-row--spare[hidden]')
  for (const row of list.querySelectorAll('.app-row--spare')) {
    const answered = [...row.querySelectorAll('input, select, textarea')].some(
      (field) => (field.type === 'radio' || field.type === 'checkbox') ? field.checked : field.value !== ''
    )
    if (!answered) row.hidden = true
  }
  if (!button || spare().length === 0) continue
  button.hidden = false
  button.addEventListener('click', () => {
    const next = spare()[0]
    if (!next) return
    next.hidden = false
    const first = next.querySelector('input, select, textarea')
    if (first) first.focus()
    if (spare().length === 0) button.hidden = true
  })
}
