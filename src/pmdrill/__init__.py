"""pmdrill: offline practice for the EdTech product-manager analytical interview."""

__version__ = "0.1.0"
