"""Qt item models for the window's views."""
