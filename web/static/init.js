// Start the GOV.UK Frontend components (buttons, password reveal, navigation) on every page.
import { initAll } from '/static/govuk/govuk-frontend.min.js'
initAll()
