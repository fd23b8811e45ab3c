"""The article site builder behind build.py: Markdown pipeline, citations, figure cache, server.

Nothing here imports TensorFlow or Lucid; figure scripts run in child processes
(`mechanics.site.run_figure`).
"""
