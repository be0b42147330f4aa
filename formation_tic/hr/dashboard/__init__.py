"""The managers' dashboard (Voilà): the register of one manager's team, filters and charts."""

from .view import DashboardAccessError, ManagerDashboard, manager_from_environ

__all__ = ["DashboardAccessError", "ManagerDashboard", "manager_from_environ"]
