"""Tests of build_installer.py: the PyInstaller bundle, its smoke check and its Linux packaging."""
