"""Try mode (`tokendesk try`): the real desk on loopback with a practice Nmbrs, a local Slack and
a page at /try that plays a customer and support staff."""
