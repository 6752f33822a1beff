"""The notebooks as a learner uses them: JupyterLab in headless Chromium, driven by Playwright.

A package (not loose files) so its module names cannot clash with tests elsewhere in tests/.
"""
