"""Where CI reads a run's results: GitHub's step outputs and job summary, GitLab's dotenv report (``outputs``)."""
