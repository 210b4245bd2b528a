"""The live screen (大屏): the frame it shows, built from engine state, and its static page."""
