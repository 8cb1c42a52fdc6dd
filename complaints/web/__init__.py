"""The server-rendered web pages: foundation (access, forms, navigation), accounts, consumers.

Other apps' pages (staff, mediator, platform console, regulator) build on the pieces
here: `complaints.web.access` for the role guard and the actor, `web/base.html` for the
layout, `complaints.web.forms.WebForm` for accessible forms. See /work/notes or the
module docstrings for how.
"""
