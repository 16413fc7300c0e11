"""backbone: production-grade async Python backend services, built test-first."""

__version__ = "0.1.0"
