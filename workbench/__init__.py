"""smartbench: a terminal workbench for Fluvio SmartModules."""

__version__ = "0.1.0"
