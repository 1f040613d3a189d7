"""`dialspool demo`: a live predictive campaign against the simulator, with progress."""
