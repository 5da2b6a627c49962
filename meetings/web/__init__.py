"""The secretary's pages: the composer (create and edit), the meeting page with its move and
cancel forms, and the meeting lists. Views stay thin: forms validate and build the actions'
inputs (meetings/web/forms.py), the named actions write."""
