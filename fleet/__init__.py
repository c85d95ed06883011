"""The pure core of app-of-apps: catalog, derived names, desired state, guardrails, reports.

Nothing in this package imports Pulumi or touches the network; everything is plain data.
"""
