"""The clinicians' dashboard (served by Voila from ``notebooks/dashboard.ipynb``).

- :class:`DashboardModel`: what each view shows, tested without a browser;
- :class:`Dashboard`: the ipywidgets views over it (study overview,
  participant, session, outcome entry with the workbench's forms);
- :func:`dashboard_app`: sign-in first, then the dashboard of that account
  (monitors and sponsors read everything and change nothing).
"""

from .app import dashboard_app
from .model import DashboardModel
from .views import Dashboard

__all__ = ["Dashboard", "DashboardModel", "dashboard_app"]
