// Draw the instance's BPMN diagram with bpmn-js and mark done, current and overdue steps.
(function () {
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
    canvas.zoom('fit-viewport')
    container.setAttribute('data-rendered', 'true')
  }).catch(function (err) {
    container.textContent = 'The diagram could not be drawn: ' + err.message
  })
})()
