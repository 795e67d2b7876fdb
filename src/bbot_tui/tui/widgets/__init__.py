"""Widgets of the TUI: panes, cards and the message view (each module holds one widget).

Widgets only draw state handed down to them and post messages up; none of them builds a
request or talks to the network.
"""
