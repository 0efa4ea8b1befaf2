"""The calculator's front doors' shared code: the §10 JSON of a decision (used by the API,
`huzhu calc` and the pages), and the calculator form and page handling used by both the
member portal (/m/calc/) and the console (/console/calculator/)."""
