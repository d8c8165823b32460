"""pinlint: lint and verify container-image pinning in GitOps repositories."""

__version__ = "0.1.0"
