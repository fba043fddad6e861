"""safeshare: a safeguarding partnership's information-sharing procedure as executable BPMN."""
