"""The imperative shell: Pulumi ComponentResources that register the desired state of `fleet/`."""
