"""A local AWS for testing c7n_exposedkeys: moto's server plus Trusted Advisor."""

from .client import LocalAWS

__all__ = ["LocalAWS"]
