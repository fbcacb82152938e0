"""The window's widgets. They show state and emit requests; controllers do the work."""
