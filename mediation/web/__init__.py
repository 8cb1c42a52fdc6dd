"""Web pages of complaint-centre staff and the mediator workbench (server-rendered)."""
