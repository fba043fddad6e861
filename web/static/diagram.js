// Draw the instance's BPMN diagram with bpmn-js and mark done, current and overdue steps.
// Labels stay readable (issue 12): the diagram fits the width of its box but is never drawn smaller than
// MIN_SCALE (nor larger than life); a wider diagram scrolls sideways inside its own box, not the page.
(function () {
  var MIN_SCALE = 0.9
  var PAD = 20
  var container = document.getElementById('diagram')
  var source = document.getElementById('diagram-state')
  if (!container || !source || !window.BpmnJS) { return }
  var state = JSON.parse(source.textContent)
  var viewer = new window.BpmnJS({ container: container })
  viewer.importXML(state.bpmn_xml).then(function () {
    var canvas = viewer.get('canvas')
    var registry = viewer.get('elementRegistry')
    function mark (ids, cls) {
      ids.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, cls) } })
    }
    mark(state.done, 'app-done')
    mark(state.current, 'app-current')
    mark(state.overdue, 'app-overdue')
    var box = canvas.viewbox().inner
    var wrapper = container.parentNode
    var available = wrapper.clientWidth
    var width = box.width + 2 * PAD
    var height = box.height + 2 * PAD
    var scale = Math.min(1, Math.max(MIN_SCALE, available / width))
    container.style.width = Math.max(available, Math.ceil(width * scale)) + 'px'
    container.style.height = Math.ceil(height * scale) + 'px'
    canvas.resized()
    canvas.viewbox({
      x: box.x - PAD,
      y: box.y - PAD,
      width: container.clientWidth / scale,
      height: container.clientHeight / scale
    })
    container.setAttribute('data-scale', scale.toFixed(2))
    container.setAttribute('data-rendered', 'true')
  }).catch(function (err) {
    container.textContent = 'The diagram could not be drawn: ' + err.message
  })
})()
