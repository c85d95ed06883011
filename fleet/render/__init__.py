"""Catalog -> desired state: plain, frozen data per layer (Okta, IAM, Kubernetes, Argo CD). Pure."""
