"""Facts of the systems we drive (Kubernetes, Argo CD, AWS IAM, Pulumi type tokens), asked, never retyped."""
