"""SongCal analysis core: decoding, descriptors, batch rules, calibration and exports.

Nothing in this package imports Qt; the window and the command line both build on it.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
