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

// Tables scroll in their own box on a narrow screen, so the page itself never scrolls sideways (WCAG 1.4.10).
// A box that does scroll can be reached and scrolled with the keyboard, and is named after its table.
for (const table of document.querySelectorAll('table.govuk-table')) {
  if (table.parentElement && table.parentElement.classList.contains('app-table-scroll')) continue
  const box = document.createElement('div')
  box.className = 'app-table-scroll'
  table.parentNode.insertBefore(box, table)
  box.appendChild(table)
}
const markScrollable = () => {
  for (const box of document.querySelectorAll('.app-table-scroll')) {
    if (box.scrollWidth > box.clientWidth + 1) {
      const caption = box.querySelector('caption')
      box.setAttribute('tabindex', '0')
      box.setAttribute('role', 'region')
      box.setAttribute('aria-label', caption ? caption.textContent.trim() : 'Table (scrolls sideways)')
    } else {
      box.removeAttribute('tabindex')
      box.removeAttribute('role')
      box.removeAttribute('aria-label')
    }
  }
}
markScrollable()
window.addEventListener('resize', markScrollable)
